"""SARIF output validates against the official SARIF 2.1.0 schema and carries what viewers need."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

import signatures
from tests.conftest import FIXTURES, HOSTILE
from tests.gate.conftest import V2, appaudit

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())


def _sarif(path: str, *extra: str, cwd: Path | None = None) -> dict:
    proc = appaudit("scan", path, "-o", "-", "-f", "sarif", *extra, cwd=cwd)
    assert proc.returncode in (0, 1, 3), proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("path", [str(FIXTURES / "sdks.apk"), str(FIXTURES / "preconsent.apk"), V2,
                                  str(FIXTURES / "packed.apk"), str(HOSTILE / "truncated.apk")])
def test_valid_against_the_official_schema(path: str) -> None:
    jsonschema.validate(_sarif(path), SCHEMA)


def test_rules_results_and_fingerprints() -> None:
    doc = _sarif(str(FIXTURES / "preconsent.apk"))
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(signatures.load().rules)  # the whole catalog, stable order
    early = [r for r in run["results"] if r["ruleId"] == "consent.pi_before_consent"]
    assert early and all(r["level"] == "error" for r in early)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert len(result["partialFingerprints"]["appaudit/v1"]) == 64
        logical = result["locations"][0].get("logicalLocations", [])
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("preconsent.apk")
        if result["ruleId"].startswith("pi."):
            assert logical and logical[0]["kind"] == "function" and "->" in logical[0]["name"]
    refs = {r["id"]: r["properties"]["regulations"] for r in rules}
    assert any(ref.startswith("CAC2019") for ref in refs["consent.pi_before_consent"])


def test_accepted_findings_are_suppressed(tmp_path: Path) -> None:
    (tmp_path / "appaudit.toml").write_text('[allow.permissions]\n"android.permission.CAMERA" = "QR codes"\n')
    run = _sarif(V2, cwd=tmp_path)["runs"][0]
    camera = [r for r in run["results"] if "android.permission.CAMERA" in r["message"]["text"]]
    assert camera and all(r["suppressions"][0]["justification"] == "policy: QR codes" for r in camera)
    assert all("suppressions" not in r for r in run["results"] if r not in camera)


def test_artifact_uris_are_percent_encoded(tmp_path: Path) -> None:
    """A file name with a space, '#', '%' and non-ASCII: a URI reference that decodes back to the path."""
    from urllib.parse import unquote

    folder = tmp_path / "my apps #1"
    folder.mkdir()
    target = folder / "50% 预览.apk"
    target.write_bytes((FIXTURES / "sdks.apk").read_bytes())
    doc = _sarif(str(target))
    jsonschema.validate(doc, SCHEMA)
    [run] = doc["runs"]
    uris = {run["artifacts"][0]["location"]["uri"]} | {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    [encoded] = uris
    assert " " not in encoded and "#" not in encoded and unquote(encoded) == str(target)
