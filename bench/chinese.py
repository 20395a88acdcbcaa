"""Chinese costs: the seed booklet's cold build in English, and with each seed message
carrying a Chinese translation (bilingual, set in sequence); then nothing-changed. Median of
``--runs`` cold builds each (cache and out/ removed), one process per build, as a user runs it.

    .venv/bin/python bench/chinese.py [--runs 3]
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

from tests.test_chinese import TRANSLATION  # noqa: E402  (the tests' realistic translation)


def project(folder: Path, bilingual: bool) -> Path:
    for name in ("content", "layouts", "fonts"):
        shutil.copytree(ROOT / name, folder / name)
    if bilingual:
        for message in (folder / "content/messages").glob("*.md"):
            (message.parent / f"{message.stem}.zh.md").write_text(TRANSLATION)
    return folder


def seconds(root: Path, *, cold: bool) -> float:
    if cold:
        shutil.rmtree(root / "out", ignore_errors=True)
        shutil.rmtree(root / ".publisher-cache", ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "publisher", "build", str(root), "-q"], check=True,
                   env={**os.environ, "PUBLISHER_DAEMON": "0"})
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results = {}
        for label, bilingual in (("English", False), ("bilingual (English + Chinese)", True)):
            root = project(Path(folder) / label.split()[0], bilingual)
            cold = statistics.median(seconds(root, cold=True) for _ in range(args.runs))
            unchanged = statistics.median(seconds(root, cold=False) for _ in range(args.runs))
            pages = int(subprocess.run(["pdfinfo", str(root / "out/booklet.pdf")],
                                       capture_output=True, text=True).stdout
                        .split("Pages:")[1].split()[0])
            results[label] = cold
            print(f"| {label} | {pages} | {cold:.2f} | {unchanged:.3f} |", flush=True)
        english, bilingual = results.values()
        print(f"bilingual / English, cold: {bilingual / english:.2f}x")


if __name__ == "__main__":
    main()
