"""A fast reader of PDF content streams: operators with their operands.

pypdf's parser builds a full object per token and costs ~20 ms per text page; preflight only
needs names, numbers, strings and arrays, so a regular-expression tokenizer does (~10× faster).
"""

from __future__ import annotations

import re

WHITESPACE = b" \t\r\n\f\0"
_TOKEN = re.compile(rb"""
    [ \t\r\n\f\0]+ | %[^\r\n]*                               # space, comments
  | (?P<number>[+-]?(?:\d+\.?\d*|\.\d+))(?=[\s/\[\]()<>{}%]|$)
  | (?P<name>/[^\s/\[\]()<>{}%]*)
  | (?P<hex><[0-9A-Fa-f\s]*>)
  | (?P<open><<|\[)
  | (?P<close>>>|\])
  | (?P<string>\()
  | (?P<operator>[^\s/\[\]()<>{}%]+)
""", re.VERBOSE)
_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b",
            ord("f"): b"\f", ord("("): b"(", ord(")"): b")", ord("\\"): b"\\"}


class Name(str):
    """A PDF name, with its slash: ``/F1``."""


def parse(data: bytes) -> list[tuple[bytes, list]]:
    """``data`` → [(operator, operands)]. Inline images come as (b"BI", [settings])."""
    operations: list[tuple[bytes, list]] = []
    stack: list[list] = [[]]          # operands, then open arrays / dictionaries
    kinds: list[bytes] = []
    position, end = 0, len(data)
    while position < end:
        match = _TOKEN.match(data, position)
        if match is None:             # a stray delimiter: skip it
            position += 1
            continue
        position = match.end()
        kind = match.lastgroup
        if kind is None:
            continue
        text = match.group(kind)
        if kind == "number":
            stack[-1].append(float(text) if b"." in text else int(text))
        elif kind == "name":
            stack[-1].append(Name(text.decode("latin-1")))
        elif kind == "hex":
            digits = text[1:-1].decode("latin-1")
            try:  # fromhex skips whitespace itself
                stack[-1].append(bytes.fromhex(digits))
            except ValueError:  # an odd number of digits: the last one is followed by 0
                digits = re.sub(r"\s", "", digits)
                stack[-1].append(bytes.fromhex(digits + "0"))
        elif kind == "string":
            value, position = _literal(data, position)
            stack[-1].append(value)
        elif kind == "open":
            kinds.append(text)
            stack.append([])
        elif kind == "close":
            if len(stack) > 1:
                items = stack.pop()
                opened = kinds.pop()
                stack[-1].append(dict(zip(items[::2], items[1::2])) if opened == b"<<" else items)
        elif len(stack) > 1:
            stack[-1].append(text)    # true, false, null inside an array
        elif text == b"BI":
            settings, position = _inline_image(data, position)
            operations.append((b"BI", [settings]))
            stack = [[]]
        else:
            operations.append((text, stack[0]))
            stack = [[]]
    return operations


def _literal(data: bytes, position: int) -> tuple[bytes, int]:
    """A literal string from just after its ``(``: its bytes and the position after ``)``."""
    out = bytearray()
    depth = 1
    end = len(data)
    while position < end:
        byte = data[position]
        position += 1
        if byte == 0x5C:  # backslash
            if position >= end:
                break
            escaped = data[position]
            position += 1
            if escaped in _ESCAPES:
                out += _ESCAPES[escaped]
            elif 0x30 <= escaped <= 0x37:
                digits = bytes([escaped])
                while len(digits) < 3 and position < end and 0x30 <= data[position] <= 0x37:
                    digits += data[position:position + 1]
                    position += 1
                out.append(int(digits, 8) & 0xFF)
            elif escaped == 0x0D:  # line continuation
                if position < end and data[position] == 0x0A:
                    position += 1
            elif escaped != 0x0A:
                out.append(escaped)
        elif byte == 0x28:
            depth += 1
            out.append(byte)
        elif byte == 0x29:
            depth -= 1
            if depth == 0:
                break
            out.append(byte)
        else:
            out.append(byte)
    return bytes(out), position


def _inline_image(data: bytes, position: int) -> tuple[dict, int]:
    """Settings of an inline image after ``BI``, and the position after its ``EI``."""
    start = data.find(b"ID", position)
    if start < 0:
        return {}, len(data)
    tokens = parse(data[position:start] + b" x")[0][1] if data[position:start].strip() else []
    settings = dict(zip(tokens[::2], tokens[1::2]))
    # The binary data ends at "EI" standing alone between whitespace.
    found = re.compile(rb"[\s\0]EI(?=[\s\0]|$)").search(data, start + 3)
    return settings, (found.end() if found else len(data))
