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
        field = str(location[-1])
        return PublisherError(f"missing required field '{name}'", path=document.path, line=line,
                              fix=f"add a line '{field}: …'")
    message = first["msg"]
    message = message.removeprefix("Value error, ")
    return PublisherError(f"'{name}': {message}", path=document.path, line=line,
                          fix=first.get("ctx", {}).get("fix") or "correct this value")
