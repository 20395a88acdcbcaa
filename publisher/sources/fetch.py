"""Fonts too large for the repository: the Chinese families (about 15 MB a weight), fetched
from the npm registry at pinned versions and checked against pinned digests, so that every
machine prints with the same font programs.

The npm packages of Expo's Google Fonts carry Google's static TrueType files under the SIL
Open Font License (the licence text ships beside the fonts, in ``fonts/noto-*-sc/OFL.txt``).
Downloads are kept in the user's cache folder: a second project, or a second checkout, does
not download them again.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import PublisherError

REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class Package:
    name: str  # on npm
    version: str
    integrity: str  # npm's sha512 of the tarball
    files: dict[str, tuple[str, str]]  # member → (path in fonts/, sha256)

    @property
    def url(self) -> str:
        return f"{REGISTRY}/{self.name}/-/{self.name.split('/')[-1]}-{self.version}.tgz"


PACKAGES = (
    Package("@expo-google-fonts/noto-serif-sc", "0.4.3",
            "sha512-fSmUpiSFtSeyHV45/2xUOy5SdfExklQwwMKN3cQjAZAujITHDmSbpMHCVdCMhRqMjQtu0ZRgc29u8A"
            "+CU3akfw==", {
                "package/400Regular/NotoSerifSC_400Regular.ttf": (
                    "noto-serif-sc/NotoSerifSC-Regular.ttf",
                    "c358a69de3df5f423a8946a7b03e3126fb6ba116f1130a463455b4e39e1f0742"),
                "package/600SemiBold/NotoSerifSC_600SemiBold.ttf": (
                    "noto-serif-sc/NotoSerifSC-SemiBold.ttf",
                    "5d19e0f438d4a30371f584d34a87c9232dba0a85237db63fe5337fe743487def"),
                "package/700Bold/NotoSerifSC_700Bold.ttf": (
                    "noto-serif-sc/NotoSerifSC-Bold.ttf",
                    "9c6a2ba736e4b499c84f65ce366bd3625c0401885fd3e585ace50fb738b96ff6"),
            }),
    Package("@expo-google-fonts/noto-sans-sc", "0.4.3",
            "sha512-9rAwdFTFHbO/u6Cs0gj2jZbW74TGIiaFNQnXYH2s5wA1bzVkwbaviL4t8YUV642eGYjg86eH6Dk"
            "AEQmfNHDncQ==", {
                "package/400Regular/NotoSansSC_400Regular.ttf": (
                    "noto-sans-sc/NotoSansSC-Regular.ttf",
                    "d45f67f0a7c0ca3f256950777ce6a61cc7ce5f9696d02900cbbaac25f8aa7d16"),
                "package/700Bold/NotoSansSC_700Bold.ttf": (
                    "noto-sans-sc/NotoSansSC-Bold.ttf",
                    "9a38ae0ab28cd5a256f9ea8e00dedc688aac17f7915fcb000572990afa956b96"),
            }),
)


def fetched() -> set[str]:
    """The fonts' paths inside fonts/, as themes name them."""
    return {target for package in PACKAGES for target, _ in package.files.values()}


def fetch_fonts(fonts_dir: Path, report=lambda line: None) -> list[Path]:
    """Put every fetched font into ``fonts_dir``; return the files written. A font already
    there with the right digest is left alone."""
    written = []
    for package in PACKAGES:
        wanted = {member: (fonts_dir / target, digest)
                  for member, (target, digest) in package.files.items()
                  if not _matches(fonts_dir / target, digest)}
        if not wanted:
            continue
        tarball = _download(package, report)
        with tarfile.open(tarball, "r:gz") as archive:
            for member, (target, digest) in wanted.items():
                source = archive.extractfile(member)
                if source is None:
                    raise PublisherError(f"{package.name} {package.version} has no {member}",
                                         path=tarball, fix="delete the file and fetch again")
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_name(target.name + ".partial")
                hasher = hashlib.sha256()
                try:
                    with partial.open("wb") as file:
                        while chunk := source.read(1 << 20):
                            hasher.update(chunk)
                            file.write(chunk)
                    if hasher.hexdigest() != digest:
                        raise PublisherError(f"{member} in {package.name} {package.version} "
                                             "is not the font publisher expects",
                                             path=tarball, fix="delete the file and fetch again")
                    os.replace(partial, target)
                finally:
                    partial.unlink(missing_ok=True)
                report(f"fonts/{target.relative_to(fonts_dir)}")
                written.append(target)
    return written


def _matches(path: Path, digest: str) -> bool:
    from ..hashing import file_digest

    return path.is_file() and file_digest(path) == digest


def _cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "publisher" / "downloads"


def _download(package: Package, report) -> Path:
    """The package's tarball, from the cache folder or the registry, checked against its
    pinned sha512 either way."""
    import urllib.error
    import urllib.request

    folder = _cache_folder()
    folder.mkdir(parents=True, exist_ok=True)
    tarball = folder / package.url.rsplit("/", 1)[-1]
    if tarball.is_file() and _integrity(tarball) == package.integrity:
        return tarball
    report(f"downloading {package.name} {package.version} from {REGISTRY}")
    partial = tarball.with_name(tarball.name + ".partial")
    try:
        with urllib.request.urlopen(package.url, timeout=60) as response, \
                partial.open("wb") as file:
            while chunk := response.read(1 << 20):
                file.write(chunk)
        if _integrity(partial) != package.integrity:
            raise PublisherError(f"the download of {package.name} {package.version} does not "
                                 "match its pinned digest", path=package.url,
                                 fix="try again later; if it persists, report it")
        os.replace(partial, tarball)
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        raise PublisherError(f"cannot download {package.name}: {reason}", path=package.url,
                             fix=f"check that this machine reaches {REGISTRY}") from None
    finally:
        partial.unlink(missing_ok=True)
    return tarball


def _integrity(path: Path) -> str:
    hasher = hashlib.sha512()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            hasher.update(chunk)
    return "sha512-" + base64.b64encode(hasher.digest()).decode()
