"""Small text on more than one plate: text under a settable size (8 pt by default) printed in
a colour of two or more process inks, or in rich black (black with cyan, magenta or yellow
under it). The plates of a press never line up exactly; at small sizes a misregistration of
a tenth of a millimetre fringes every letter with colour. Warnings: a print shop asks.
"""

from __future__ import annotations

from collections.abc import Iterator

from .content import Name
from .document import Document, colour_family, operations
from .report import Finding, Options

SHOW = {b"Tj", b"TJ", b"'", b'"'}
PLATE = 0.005  # an ink below half a percent does not print


def check_plates(document: Document, options: Options) -> Iterator[Finding]:
    limit = options.small_text
    if not limit:
        return
    for page in document.pages:
        worst: dict[str, tuple[float, tuple]] = {}
        state = _State()
        stack: list[_State] = []
        for op in operations(document, page):
            operator, operands = op.operator, op.operands
            if operator == b"q":
                stack.append(state.copy())
            elif operator == b"Q" and stack:
                state = stack.pop()
            elif operator == b"BeginForm":
                # A form draws in the state it is drawn in, through its own matrix.
                stack.append(state.copy())
                matrix = operands[0].get("/Matrix")
                if matrix is not None:
                    state.ctm = _multiply([float(v) for v in matrix], state.ctm)
            elif operator == b"EndForm" and stack:
                state = stack.pop()
            elif operator == b"cm" and len(operands) == 6:
                state.ctm = _multiply([float(v) for v in operands], state.ctm)
            elif operator == b"BT":
                state.tm = [1, 0, 0, 1, 0, 0]
            elif operator == b"Tm" and len(operands) == 6:
                state.tm = [float(v) for v in operands]
            elif operator == b"Tf" and len(operands) == 2:
                state.size = abs(float(operands[1]))
            elif operator == b"Tr" and operands:
                state.invisible = int(operands[0]) in (3, 7)
            elif operator == b"k" and len(operands) == 4:
                state.fill = tuple(float(v) for v in operands)
            elif operator == b"g" and len(operands) == 1:
                state.fill = (0.0, 0.0, 0.0, 1 - float(operands[0]))
            elif operator == b"rg":
                state.fill = None  # not CMYK: colour.space reports it
            elif operator == b"cs" and operands:
                state.space = colour_family(operands[0], op.resources)
                state.fill = None
            elif operator in (b"sc", b"scn") and len(operands) == 4 \
                    and not isinstance(operands[-1], Name) and state.space in ("cmyk",
                                                                              "icc-cmyk"):
                state.fill = tuple(float(v) for v in operands)
            elif operator in SHOW and state.fill is not None and not state.invisible:
                size = state.size * _scale(_multiply(state.tm, state.ctm))
                plates = [v for v in state.fill if v > PLATE]
                rich = state.fill[3] >= 0.8 and len(plates) > 1
                if size < limit - 0.05 and len(plates) > 1:  # 8 pt set as 7.99…
                    what = "rich black" if rich else f"{len(plates)} inks"
                    if what not in worst or size < worst[what][0]:
                        worst[what] = (size, state.fill)
        for what, (size, fill) in worst.items():
            percent = "/".join(f"{v * 100:.0f}" for v in fill)
            yield Finding("warning", "colour.small-text-plates",
                          f"text of {size:.1f} pt in {what} (CMYK {percent}): small type on "
                          "several plates fringes with colour when they do not line up",
                          f"set text under {limit:g} pt in one ink (black, or a single "
                          "process colour); in a layout, give small type a one-ink colour "
                          "token", page.number)


class _State:
    def __init__(self):
        self.ctm = [1.0, 0, 0, 1.0, 0, 0]
        self.tm = [1.0, 0, 0, 1.0, 0, 0]
        self.size = 0.0
        self.fill: tuple | None = (0.0, 0.0, 0.0, 1.0)  # black: DeviceGray 0 by default
        self.space = "gray"
        self.invisible = False

    def copy(self) -> "_State":
        other = _State()
        other.__dict__.update({key: (list(value) if isinstance(value, list) else value)
                               for key, value in self.__dict__.items()})
        return other


def _multiply(a: list[float], b: list[float]) -> list[float]:
    """The matrix a × b (PDF's [a b c d e f] row-vector convention)."""
    return [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
            a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
            a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5]]


def _scale(matrix: list[float]) -> float:
    """How much the matrix enlarges a glyph's height."""
    return (matrix[2] ** 2 + matrix[3] ** 2) ** 0.5
