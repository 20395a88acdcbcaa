"""Do two revisions of publisher write the same bytes? Builds the seed project in every layout
with this checkout and with REVISION (checked out into a temporary git worktree), each in its
own Python process, and compares every output file byte for byte.

    .venv/bin/python tools/compare_outputs.py REVISION

Exits 0 when every file is identical, 1 otherwise (naming the files that differ).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYOUTS = ("classic", "modern", "trifold", "letter")
BUILD = ("import sys; sys.path.insert(0, sys.argv[1]); from publisher.build import build; "
         "build(sys.argv[2], jobs=1)")


def outputs(code: Path, project_files: Path, folder: Path, layout: str) -> dict[str, bytes]:
    project = folder / layout
    for part in ("content", "layouts", "fonts"):
        shutil.copytree(project_files / part, project / part)
    config = project / "content/publication.yaml"
    config.write_text(config.read_text().replace("layout: classic", f"layout: {layout}"))
    environment = {**os.environ, "PUBLISHER_DAEMON": "0", "SOURCE_DATE_EPOCH": "1765152000"}
    subprocess.run([sys.executable, "-c", BUILD, str(code), str(project)], check=True,
                   env=environment, cwd=folder)
    return {path.relative_to(project / "out").as_posix(): path.read_bytes()
            for path in sorted((project / "out").rglob("*.pdf"))}


def main() -> int:
    revision = sys.argv[1]
    with tempfile.TemporaryDirectory() as temporary:
        temporary = Path(temporary)
        worktree = temporary / "other"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q",
                        str(worktree), revision], check=True)
        try:
            different = []
            for layout in LAYOUTS:
                # Both build the same project files (this checkout's), so only the code differs.
                ours = outputs(ROOT, ROOT, temporary / "ours", layout)
                theirs = outputs(worktree, ROOT, temporary / "theirs", layout)
                if ours.keys() != theirs.keys():
                    different.append(f"{layout}: files {sorted(ours)} vs {sorted(theirs)}")
                different += [f"{layout}: {name}" for name in ours
                              if name in theirs and ours[name] != theirs[name]]
                print(f"{layout}: {len(ours)} files compared")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(worktree)], check=False)
    for line in different:
        print("differs:", line)
    print("identical" if not different else f"{len(different)} files differ")
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
