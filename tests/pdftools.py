"""Independent readers of our PDFs: poppler's command-line tools and qpdf."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


def run(*args: str) -> str:
    if shutil.which(args[0]) is None:
        raise RuntimeError(f"{args[0]} is missing: install poppler-utils and qpdf (.ci/setup)")
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


@dataclass
class Boxes:
    media: tuple[float, ...]
    crop: tuple[float, ...]
    bleed: tuple[float, ...]
    trim: tuple[float, ...]


def page_boxes(pdf: Path) -> list[Boxes]:
    """Every page's boxes, as ``pdfinfo -box`` reads them."""
    pages = int(re.search(r"^Pages:\s+(\d+)", run("pdfinfo", str(pdf)), re.M)[1])
    text = run("pdfinfo", "-f", "1", "-l", str(pages), "-box", str(pdf))
    found: dict[int, dict[str, tuple[float, ...]]] = {}
    for number, box, values in re.findall(
            r"^Page\s+(\d+)\s+(MediaBox|CropBox|BleedBox|TrimBox):\s+([-\d. ]+)$", text, re.M):
        found.setdefault(int(number), {})[box] = tuple(float(v) for v in values.split())
    return [Boxes(media=b["MediaBox"], crop=b["CropBox"], bleed=b["BleedBox"], trim=b["TrimBox"])
            for _, b in sorted(found.items())]


def fonts(pdf: Path) -> list[dict[str, str]]:
    """``pdffonts`` rows: name, type, emb, sub."""
    lines = run("pdffonts", str(pdf)).splitlines()[2:]
    rows = []
    for line in lines:
        parts = line.split()
        # name, type (may contain spaces), encoding, emb, sub, uni, object, ID
        rows.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4], "uni": parts[-3]})
    return rows


def text(pdf: Path, first: int | None = None, last: int | None = None, *,
         layout: bool = False, crop: tuple[float, float, float, float] | None = None) -> str:
    """``pdftotext`` of the pages (1-based), optionally of a region x, y, w, h in points."""
    args = ["pdftotext", "-enc", "UTF-8"]
    if first:
        args += ["-f", str(first), "-l", str(last or first)]
    if layout:
        args.append("-layout")
    if crop:
        args += ["-r", "72"]
        x, y, w, h = crop
        args += ["-x", str(int(x)), "-y", str(int(y)), "-W", str(int(w)), "-H", str(int(h))]
    return run(*args, str(pdf), "-")


def page_count(pdf: Path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", run("pdfinfo", str(pdf)), re.M)[1])


def info(pdf: Path) -> dict[str, str]:
    return dict(re.findall(r"^([\w ]+?):\s+(.*)$", run("pdfinfo", str(pdf)), re.M))


def qdf(pdf: Path, target: Path) -> str:
    """The PDF rewritten by qpdf with every stream uncompressed, as text."""
    run("qpdf", "--qdf", "--object-streams=disable", str(pdf), str(target))
    return target.read_bytes().decode("latin-1")
