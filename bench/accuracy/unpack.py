"""The vendor's files out of a registry tarball: jars, AARs opened into their parts, native libraries.

Only the members a row names are read (never a whole-tarball extraction), so a hostile path in a
tarball cannot write outside the cache. An AAR gives its classes.jar, libs/*.jar, jni/<abi>/*.so and its
AndroidManifest.xml, whose components are merged into the app's manifest.
"""

from __future__ import annotations

import fnmatch
import shutil
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from accuracy.catalog import SdkRow

ABIS = ("arm64-v8a", "armeabi-v7a", "armeabi", "x86", "x86_64")


class UnpackError(RuntimeError):
    """A member a row names is missing or unreadable."""


@dataclass(frozen=True)
class Extracted:
    jars: tuple[Path, ...]
    natives: tuple[tuple[str, Path], ...]  # (ABI, .so file)
    manifests: tuple[Path, ...]  # AndroidManifest.xml of each AAR


def _copy_member(tar: tarfile.TarFile, name: str, dest: Path, label: str) -> Path:
    try:
        member = tar.getmember(name)
    except KeyError:
        raise UnpackError(f"{label}: {name} is not in the tarball") from None
    source = tar.extractfile(member) if member.isfile() else None
    if source is None:
        raise UnpackError(f"{label}: {name} is not a regular file")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with source, dest.open("wb") as out:
        shutil.copyfileobj(source, out)
    return dest


def _open_aar(aar: Path, out: Path, label: str) -> Extracted:
    """classes.jar, libs/*.jar, jni/<abi>/*.so and the manifest of one AAR."""
    jars: list[Path] = []
    natives: list[tuple[str, Path]] = []
    manifests: list[Path] = []
    with zipfile.ZipFile(aar) as archive:
        for name in sorted(archive.namelist()):
            parts = PurePosixPath(name).parts
            if ".." in parts or name.startswith("/"):
                raise UnpackError(f"{label}: unsafe entry {name!r} in {aar.name}")
            keep = (name == "classes.jar" or (len(parts) == 2 and parts[0] == "libs" and name.endswith(".jar"))
                    or (len(parts) == 3 and parts[0] == "jni" and parts[1] in ABIS and name.endswith(".so"))
                    or name == "AndroidManifest.xml")
            if not keep:
                continue
            dest = out / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(name) as src, dest.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            if name.endswith(".jar"):
                jars.append(dest)
            elif name.endswith(".so"):
                natives.append((parts[1], dest))
            else:
                manifests.append(dest)
    if not jars:
        raise UnpackError(f"{label}: {aar.name} holds no classes.jar")
    return Extracted(tuple(jars), tuple(natives), tuple(manifests))


def extract(row: SdkRow, tarball: Path, out: Path) -> Extracted:
    """The row's archives and native libraries, copied under ``out`` (emptied first)."""
    if out.exists():
        shutil.rmtree(out)
    jars: list[Path] = []
    natives: list[tuple[str, Path]] = []
    manifests: list[Path] = []
    with tarfile.open(tarball) as tar:
        for index, name in enumerate(row.archives):
            copied = _copy_member(tar, name, out / f"{index}-{PurePosixPath(name).name}", row.label)
            if name.endswith(".aar"):
                opened = _open_aar(copied, out / f"{index}-aar", row.label)
                jars += opened.jars
                natives += opened.natives
                manifests += opened.manifests
            else:
                jars.append(copied)
        names = tar.getnames()
        for pattern in row.native:
            matched = sorted(n for n in names if fnmatch.fnmatchcase(n, pattern))
            if not matched:
                raise UnpackError(f"{row.label}: no native library matches {pattern}")
            for name in matched:
                abi = PurePosixPath(name).parent.name
                if abi not in ABIS:
                    raise UnpackError(f"{row.label}: {name} is not under an ABI folder")
                natives.append((abi, _copy_member(tar, name, out / "native" / abi / PurePosixPath(name).name,
                                                  row.label)))
    return Extracted(tuple(jars), tuple(natives), tuple(manifests))
