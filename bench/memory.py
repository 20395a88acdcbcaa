"""Memory as inputs grow: peak resident memory of a whole build (the command and every render
worker, summed, sampled every 50 ms) for guest lists of growing length and for a project with
a large unreferenced file. Figures go into docs/performance.md.

    .venv/bin/python bench/memory.py [--rows 1000 4000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def tree_memory(pid: int) -> int:
    """Proportional set size (PSS) of ``pid`` and all its descendants, in bytes: each
    process's own memory plus its share of what it shares (forked workers share most of
    their parent's pages; summing resident sizes would count those twice)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as file:
                total += next(int(line.split()[1]) * 1024 for line in file
                              if line.startswith("Pss:"))
            with open(f"/proc/{current}/task/{current}/children") as file:
                stack.extend(int(child) for child in file.read().split())
        except (OSError, ValueError, StopIteration):
            continue
    return total


def measured(*args: str) -> tuple[float, float]:
    """Seconds and peak MB (the process tree) of ``publisher ARGS``."""
    started = time.perf_counter()
    process = subprocess.Popen([PYTHON, "-m", "publisher", *args], stdout=subprocess.DEVNULL,
                               env={**os.environ, "PUBLISHER_DAEMON": "0"})
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_memory(process.pid))
        time.sleep(0.05)
    if process.returncode:
        raise SystemExit(f"publisher {' '.join(args)} failed")
    return time.perf_counter() - started, peak / 2**20


def project(folder: Path) -> Path:
    for name in ("content", "layouts", "fonts"):
        shutil.copytree(ROOT / name, folder / name)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 4000])
    parser.add_argument("--messages", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--large-file-gb", type=float, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        seed = project(folder / "seed")
        print("| Run | Rows | Seconds | Rows/s | Peak MB (PSS, all processes) |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for rows in args.rows:
            guests = folder / f"guests-{rows}.csv"
            guests.write_text("id,name,organisation\n" + "".join(
                f"g{n:06d},Guest Number {n},Partner University\n" for n in range(1, rows + 1)))
            for label, options in (("a file per guest", ()),
                                   ("one combined file (--combined-only)",
                                    ("--combined-only",))):
                shutil.rmtree(seed / "out", ignore_errors=True)
                seconds, peak = measured("build", str(seed), "-q", "--data", str(guests),
                                         "--message", "bjut-leadership", *options)
                print(f"| {label} | {rows} | {seconds:.1f} | {rows / seconds:.1f} | "
                      f"{peak:.0f} |", flush=True)

        # Booklets of many messages, checked: brochures and parts wait in the cache, the
        # booklet is written as it is assembled.
        sys.path.insert(0, str(ROOT / "bench"))
        from run import many_messages

        for count in args.messages:
            big = project(folder / f"messages-{count}")
            many_messages(big, count)
            seconds, peak = measured("build", str(big), "-q")
            print(f"| booklet of {count} messages, checked | – | {seconds:.1f} | – | "
                  f"{peak:.0f} |", flush=True)
            shutil.rmtree(big)

        # An unreferenced large file in content/: hashed in chunks, never held.
        measured("build", str(seed), "-q")
        large = seed / "content/archive.bin"
        with large.open("wb") as file:
            chunk = os.urandom(1 << 20)
            for _ in range(int(args.large_file_gb * 1024)):
                file.write(chunk)
        seconds, peak = measured("build", str(seed), "-q", "--no-check")
        print(f"| build with a {args.large_file_gb:g} GB unreferenced file in content/ | – | "
              f"{seconds:.1f} | – | {peak:.0f} |")
        seconds, peak = measured("build", str(seed), "-q", "--no-check")
        print(f"| … nothing changed since | – | {seconds:.1f} | – | {peak:.0f} |")


if __name__ == "__main__":
    main()
