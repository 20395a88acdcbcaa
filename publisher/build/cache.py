"""The build cache: rendered parts by the digest of what went into them, and the record of the
last build, so that a build with nothing changed only hashes its inputs.

Lives in ``PROJECT/.publisher-cache/``. Entries are JSON plus raw bytes, never pickles: a
cache folder copied from elsewhere cannot run code. Deleting the folder is always safe.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import SOURCE_FOLDERS, __version__
from ..hashing import digest, file_digest

FOLDER = ".publisher-cache"
FORMAT = 4  # 2: entries carry their digest; 3: ink-limited pictures, font tags by program;
# 4: parts carry their screen pages


def versions() -> dict[str, str]:
    """The tool and the libraries whose output ends up in the PDFs.

    Read from the installed packages' dist-info folder names: importlib.metadata scans every
    installed distribution, which costs more than a build with nothing changed may take."""
    found = {"publisher": __version__, "format": str(FORMAT)}
    for module, name in (("weasyprint", "weasyprint"), ("pypdf", "pypdf"), ("pydyf", "pydyf"),
                         ("fontTools", "fonttools"), ("PIL", "pillow")):
        spec = importlib.util.find_spec(module)
        folder = Path(spec.origin).parent.parent if spec and spec.origin else None
        infos = sorted(folder.glob(f"{name}-*.dist-info")) if folder else []
        found[name] = infos[0].name if infos else "-"
    return found


def tree_digest(*folders: Path) -> str:
    """Every file under ``folders``: names and contents (read in chunks: memory stays flat
    whatever lies in the folders)."""
    items = []
    for folder in folders:
        if not folder.is_dir():
            items.append((folder.name, None))
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                items.append((path.relative_to(folder.parent).as_posix(), file_digest(path)))
    return digest(items)


# -- the record of the last build --------------------------------------------------------------

@dataclass
class Record:
    """What the last complete build read and wrote."""

    inputs: str
    outputs: dict[str, dict] = field(default_factory=dict)   # relative path → pages, sha256
    reports: list[dict] = field(default_factory=list)        # preflight, as Report.as_dict()
    warnings: list[str] = field(default_factory=list)        # content files left out


def inputs_digest(root: Path, out: Path, check: bool, editions: tuple[str, ...] = ()) -> str:
    """Everything a build depends on, without parsing any of it (``editions``: those asked
    for on the command line; none: publication.yaml's, which the tree digest covers)."""
    return digest(versions(), tree_digest(*(root / name for name in SOURCE_FOLDERS)),
                  str(out.resolve()), check, os.environ.get("SOURCE_DATE_EPOCH", ""),
                  sorted(editions))


class Cache:
    """Parts of earlier builds of one project, and the record of the last one."""

    def __init__(self, root: Path, *, read: bool = True):
        self.folder = root / FOLDER
        self.read = read  # False: render everything again (and store it)
        self.used: set[str] = set()
        self.rejected: list[str] = []  # keys of entries that failed their digest

    # parts: a JSON header and the bytes it lists, with the digest of both and the key
    def get(self, key: str) -> tuple[dict, list[bytes]] | None:
        """The entry stored under ``key``, if it is there and intact. An entry whose bytes do
        not match the digest recorded with it (damaged, swapped with another entry's,
        replaced) is never used: it is listed in ``rejected`` and the part renders again."""
        return self.load(key) if self.read else None

    def load(self, key: str) -> tuple[dict, list[bytes]] | None:
        """As :meth:`get`, also when the cache is not read (a part this build stored)."""
        header_path, blob_path = self._paths(key)
        if not header_path.is_file():
            return None
        try:
            header = json.loads(header_path.read_text())
            blob = blob_path.read_bytes()
            lengths, recorded = header.pop("_lengths"), header.pop("_digest")
        except (OSError, ValueError, KeyError, TypeError):
            self.rejected.append(key)
            return None
        if recorded != _entry_digest(key, header, blob) \
                or sum(lengths) != len(blob):
            self.rejected.append(key)
            return None
        blobs, start = [], 0
        for length in lengths:
            blobs.append(blob[start:start + length])
            start += length
        self.used.add(key)
        return header, blobs

    def has(self, key: str) -> bool:
        return self.read and all(path.is_file() for path in self._paths(key))

    def put(self, key: str, header: dict, blobs: list[bytes]) -> None:
        header_path, blob_path = self._paths(key)
        header_path.parent.mkdir(parents=True, exist_ok=True)
        blob = b"".join(blobs)
        write_atomic(blob_path, blob)
        write_atomic(header_path, json.dumps({**header, "_lengths": [len(b) for b in blobs],
                                        "_digest": _entry_digest(key, header, blob)}).encode())
        self.used.add(key)

    def prune(self) -> None:
        """Forget parts this build did not use: the cache stays the size of one build."""
        parts = self.folder / "parts"
        if not parts.is_dir():
            return
        for path in parts.glob("*"):
            if path.name.split(".")[0] not in self.used:
                path.unlink(missing_ok=True)

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.folder / "parts" / f"{key}.json", self.folder / "parts" / f"{key}.bin"

    # the last build
    def record(self) -> Record | None:
        try:
            data = json.loads((self.folder / "last-build.json").read_text())
            return Record(**data) if data.pop("format", None) == FORMAT else None
        except (OSError, ValueError, TypeError):
            return None

    def save_record(self, record: Record) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(self.folder / "last-build.json",
               json.dumps({"format": FORMAT, **asdict(record)}, indent=1).encode())

    def forget_record(self) -> None:
        (self.folder / "last-build.json").unlink(missing_ok=True)


def _entry_digest(key: str, header: dict, blob: bytes) -> str:
    """Binds an entry's bytes and header to its key: an entry moved under another key, or
    edited, no longer matches."""
    return digest(key, json.dumps(header, sort_keys=True), hashlib.sha256(blob).digest())


def outputs_intact(out: Path, record: Record) -> bool:
    """Whether every output of the record is on disk, byte for byte."""
    try:
        return bool(record.outputs) and all(
            file_digest(out / relative) == entry["sha256"]
            for relative, entry in record.outputs.items())
    except OSError:
        return False


def write_atomic(path: Path, data: bytes) -> None:
    """``data`` into ``path`` whole or not at all (a temporary file moved into place)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except BaseException:  # a full disk, a signal: no half-written entry stays behind
        temporary.unlink(missing_ok=True)
        raise
