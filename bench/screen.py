"""The screen edition's cost: the seed booklet's cold build with the print edition only, and
with both editions (print and screen); then nothing-changed. Median of ``--runs`` cold builds
each (cache and out/ removed), one process per build, as a user runs it.

    .venv/bin/python bench/screen.py [--runs 5] [--realistic]

``--realistic`` adds tests/realistic.py's messages (photos, logos, a table, footnotes).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def project(folder: Path, realistic: bool) -> Path:
    for name in ("content", "layouts", "fonts"):
        shutil.copytree(ROOT / name, folder / name)
    if realistic:
        from tests.realistic import make_realistic

        make_realistic(folder)
    return folder


def seconds(root: Path, editions: list[str], *, cold: bool) -> float:
    if cold:
        shutil.rmtree(root / "out", ignore_errors=True)
        shutil.rmtree(root / ".publisher-cache", ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "publisher", "build", str(root), "-q",
                    *(f"--edition={edition}" for edition in editions)], check=True,
                   env={**os.environ, "PUBLISHER_DAEMON": "0"})
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--realistic", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = project(Path(folder) / "project", args.realistic)
        results = {}
        print("| editions | cold build (s) | nothing changed (s) | files (KB) |")
        print("|---|---:|---:|---|")
        for label, editions in (("print", ["print"]), ("print + screen", ["print", "screen"])):
            cold = statistics.median(seconds(root, editions, cold=True)
                                     for _ in range(args.runs))
            unchanged = statistics.median(seconds(root, editions, cold=False)
                                          for _ in range(args.runs))
            sizes = ", ".join(f"{path.relative_to(root / 'out')} {path.stat().st_size // 1024}"
                              for path in sorted((root / "out").rglob("booklet.pdf")))
            results[label] = cold
            print(f"| {label} | {cold:.2f} | {unchanged:.3f} | {sizes} |", flush=True)
        print(f"\nboth editions / print only: {results['print + screen'] / results['print']:.2f}x")


if __name__ == "__main__":
    main()
