"""Validation of YAML data against typed models, with errors that name file, line and fix."""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import PublisherError
from .yamlsource import YamlDocument

Model = TypeVar("Model", bound=BaseModel)


class Strict(BaseModel):
    """Base for every user-facing model: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _unwrap(annotation: Any) -> type[BaseModel] | None:
    """The model class inside ``Optional[X]``, ``list[X]`` or ``X``, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, typing.Union, types.UnionType, typing.Annotated):
        for argument in typing.get_args(annotation):
            if found := _unwrap(argument):
                return found
    return None


def _model_at(model: type[BaseModel], location: tuple[Any, ...]) -> type[BaseModel] | None:
    for part in location:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None or (model := _unwrap(field.annotation)) is None:
            return None
    return model


def _dotted(location: tuple[Any, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def suggest(word: str, choices: typing.Iterable[str]) -> str | None:
    """The closest of ``choices`` to a misspelt ``word``."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def validate(model: type[Model], document: YamlDocument, *, what: str) -> Model:
    """Validate ``document.data`` as ``model``; raise one PublisherError for the first problem."""
    data = document.data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PublisherError(f"{what} must be a set of 'key: value' lines",
                             path=document.path, line=document.line_of(()),
                             fix="start each setting on its own line as 'name: value'")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _to_publisher_error(error, model, document) from None


def _to_publisher_error(error: ValidationError, model: type[BaseModel],
                        document: YamlDocument) -> PublisherError:
    # Report unknown keys and missing fields before type errors: they are the usual slips.
    order = {"extra_forbidden": 0, "missing": 1}
    first = sorted(error.errors(), key=lambda e: order.get(e["type"], 2))[0]
    location = tuple(part for part in first["loc"] if not isinstance(part, str)
                     or not re.fullmatch(r"function-\w+\[.*\]|[a-z_]+\[.*\]", part))
    if hasattr(document, "source_of"):  # layered settings: name the file that set the key
        document = document.source_of(location)
    line = document.line_of(location)
    name = _dotted(location)
    kind = first["type"]
    if kind == "extra_forbidden":
        parent = _model_at(model, location[:-1])
        known = sorted(parent.model_fields) if parent else []
        guess = suggest(str(location[-1]), known)
        fix = (f"did you mean '{guess}'?" if guess
               else f"remove it; known keys here are: {', '.join(known)}")
        return PublisherError(f"unknown key '{name}'", path=document.path, line=line, fix=fix)
    if kind == "missing":
        # Every missing field at once: staff fill them in one go.
        missing = [_dotted(tuple(e["loc"])) for e in error.errors() if e["type"] == "missing"]
        fields = [m.rpartition(".")[2].rpartition("]")[2] or m for m in missing]
        if len(missing) > 1:
            return PublisherError(
                "missing required fields " + ", ".join(f"'{m}'" for m in missing),
                path=document.path, line=line,
                fix="add the lines " + ", ".join(f"'{f}: …'" for f in fields))
        return PublisherError(f"missing required field '{name}'", path=document.path, line=line,
                              fix=f"add a line '{fields[0]}: …'")
    if kind in PLAIN_WORDS:
        what, fix = PLAIN_WORDS[kind]
        if kind == "list_type" and location and location[-1] == "signatories":
            fix = "start each entry on its own line with '- name:' (then '  role:' below it)"
        return PublisherError(f"'{name}' must be {what}", path=document.path, line=line,
                              fix=fix.format(field=location[-1] if location else name))
    message = first["msg"]
    message = message.removeprefix("Value error, ")
    return PublisherError(f"'{name}': {message}", path=document.path, line=line,
                          fix=first.get("ctx", {}).get("fix") or "correct this value")


# pydantic's error types, said in the words staff use, with how to write it instead.
PLAIN_WORDS = {
    "list_type": ("a list", "start each entry on its own line with '- '"),
    "dict_type": ("a set of 'key: value' lines",
                  "put them on their own lines, indented by two spaces under '{field}:'"),
    "model_type": ("a set of 'key: value' lines",
                   "put them on their own lines, indented by two spaces under '{field}:'"),
    "model_attributes_type": ("a set of 'key: value' lines",
                              "put them on their own lines, indented by two spaces under "
                              "'{field}:'"),
    "string_type": ("text", "write the text after '{field}:' (put it in quotes if it is a "
                            "number or yes/no)"),
    "int_parsing": ("a whole number", "write a number such as 3"),
    "int_type": ("a whole number", "write a number such as 3"),
    "float_parsing": ("a number", "write a number such as 2.5"),
    "float_type": ("a number", "write a number such as 2.5"),
    "bool_parsing": ("true or false", "write true or false"),
    "bool_type": ("true or false", "write true or false"),
    "date_from_datetime_parsing": ("a date", "write the date as year-month-day: 2027-04-20"),
    "date_parsing": ("a date", "write the date as year-month-day: 2027-04-20"),
    "date_type": ("a date", "write the date as year-month-day: 2027-04-20"),
}
