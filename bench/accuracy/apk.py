"""Packaging an evaluation app the way the fixtures are packaged: aapt, dex and native files added with
fixed timestamps, zipalign, apksigner with the project's committed test key.

Everything is deterministic, so a rebuild from the same inputs gives the same APK and the same truth.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from accuracy.paths import ROOT
from accuracy.tools import FRAMEWORK_RES, MIN_API, run

KEYSTORE = ROOT / "tests" / "fixtures" / "keys" / "release.jks"
KEY_ALIAS = "release"
KEY_PASS = "appaudit"  # noqa: S105 (the committed test key of tests/fixtures, not a secret)
EPOCH = (1980, 1, 1, 0, 0, 0)


def _entry(name: str, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=EPOCH)
    info.compress_type = compress
    info.create_system = 0
    info.external_attr = 0
    return info


def _repack(unsigned: Path, out: Path, dex: list[Path], natives: list[tuple[str, Path]]) -> None:
    """aapt's entries as they are, then classes*.dex (deflated) and lib/<abi>/*.so (stored, so that
    zipalign can page-align them)."""
    added: dict[str, tuple[Path, int]] = {}
    for index, path in enumerate(dex):
        added["classes.dex" if index == 0 else f"classes{index + 1}.dex"] = (path, zipfile.ZIP_DEFLATED)
    for abi, path in natives:
        added.setdefault(f"lib/{abi}/{path.name}", (path, zipfile.ZIP_STORED))
    with zipfile.ZipFile(unsigned) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(_entry(info.filename, info.compress_type), src.read(info))
        for name in sorted(added):
            path, compress = added[name]
            dst.writestr(_entry(name, compress), path.read_bytes())


def package(manifest_xml: str, dex: list[Path], natives: list[tuple[str, Path]], work: Path, out: Path) -> Path:
    """Build, align and sign one APK at ``out``."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    manifest = work / "AndroidManifest.xml"
    manifest.write_text(manifest_xml, encoding="utf-8")
    unsigned, repacked, aligned = work / "unsigned.apk", work / "repacked.apk", work / "aligned.apk"
    run(["aapt", "package", "-f", "-M", manifest, "-I", FRAMEWORK_RES, "-F", unsigned], f"aapt for {out.name}")
    _repack(unsigned, repacked, dex, natives)
    run(["zipalign", "-p", "-f", "4", repacked, aligned], f"zipalign for {out.name}")
    out.parent.mkdir(parents=True, exist_ok=True)
    run(["apksigner", "sign", "--ks", KEYSTORE, "--ks-type", "JKS", "--ks-key-alias", KEY_ALIAS,
         "--ks-pass", f"pass:{KEY_PASS}", "--key-pass", f"pass:{KEY_PASS}", "--min-sdk-version", str(MIN_API),
         "--v1-signing-enabled", "true", "--v2-signing-enabled", "true", "--v3-signing-enabled", "true",
         "--v4-signing-enabled", "false", "--out", out, aligned], f"apksigner for {out.name}")
    run(["apksigner", "verify", "--min-sdk-version", str(MIN_API), out], f"apksigner verify {out.name}")
    return out
