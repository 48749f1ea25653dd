"""Precision and recall of the privacy-policy comparison on a policy set: a folder with a ``truth.toml``
(format: tests/fixtures/policies/README.md).

    python bench/policy_eval.py [FOLDER ...]     (default: tests/fixtures/policies)

Prints, per set, every case that differs from its truth, then true/false positives and false negatives
with precision and recall per rule and overall. Apps given as APKs are scanned with appaudit.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scanner.analysis.engine import analyse  # noqa: E402
from scanner.input.archive import open_app  # noqa: E402
from scanner.privacy_policy.evaluate import Behaviour, Score, load_truth, run, score  # noqa: E402
from scanner.privacy_policy.find import find_bundled  # noqa: E402
from signatures import load  # noqa: E402
from signatures.model import KnowledgeBase  # noqa: E402

_ASSET_URL = re.compile(rb"file:///android_asset/[\x21-\x7e]+")


def scan_apk(path: Path, kb: KnowledgeBase) -> Behaviour:
    """The scan's SDKs, reads and permissions, the asset URLs in its dex files, and its bundled policy."""
    audit = analyse(str(path), kb).audit
    archive = open_app(str(path))
    urls = {m.decode() for split in archive.apks for name in split.zip.names()
            if re.fullmatch(r"classes\d*\.dex", name) for m in _ASSET_URL.findall(split.zip.read(name))}
    package = audit.app.package if audit.app else path.stem
    return Behaviour(package, audit.sdks, audit.api_calls, audit.permissions,
                     find_bundled(archive, kb.policy_terms, urls))


def report(name: str, result: Score) -> str:
    lines = [f"{name}: {result.tp} true positives, {result.fp} false positives, {result.fn} false negatives; "
             f"precision {result.precision:.3f}, recall {result.recall:.3f}"]
    lines += [f"  {rule:40} tp {tp:3} fp {fp:3} fn {fn:3}  precision {Score.ratio(tp, tp + fp):.3f}  "
              f"recall {Score.ratio(tp, tp + fn):.3f}" for rule, (tp, fp, fn) in result.per_rule.items()]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    kb = load()
    folders = [Path(a) for a in argv] or [ROOT / "tests" / "fixtures" / "policies"]
    for folder in folders:
        truth = load_truth(folder)
        outcomes = run(truth, kb, lambda p: scan_apk(p, kb))
        for out in outcomes:
            if out.missed or out.extra:
                print(f"{out.case.name}: missed {sorted(out.missed)}, extra {sorted(out.extra)}")
        print(report(f"{folder} ({len(outcomes)} cases)", score(outcomes)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
