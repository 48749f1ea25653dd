"""exodus-core's static analysis of one APK, timed by bench/store_bench.py as a fresh process.

Does what ``python -m exodus_core.analysis.static_analysis APK`` does (exodus-core 1.3.x): load the APK with
androguard, print its information (version, permissions, libraries, certificates, name, package), then list
the classes of every ``classes*.dex`` (``dexdump`` and a regular expression over its output) and match each
tracker's code signature against them. The one change: the tracker list comes from a local snapshot of the
Exodus API (``/api/trackers``, the same JSON) instead of a download, as the bench runs offline.

Runs under exodus-core's own interpreter (bench/cache/exodus-venv: it pins another androguard), never the
project's. Usage: exodus-venv/bin/python exodus_driver.py TRACKERS_JSON APK  -> last line of stdout is JSON.
"""

from __future__ import annotations

import json
import sys
from collections import namedtuple

from exodus_core.analysis.static_analysis import StaticAnalysis


def main() -> None:
    trackers_json, apk = sys.argv[1], sys.argv[2]
    analysis = StaticAnalysis(apk)
    with open(trackers_json, encoding="utf-8") as fh:  # what load_trackers_signatures() does with the download
        data = json.load(fh)
    analysis.signatures = [namedtuple("tracker", t.keys())(*t.values()) for t in data["trackers"].values()]
    analysis._compile_signatures()
    analysis.print_apk_infos()
    trackers = analysis.detect_trackers()  # print_embedded_trackers(), keeping the result
    print(f"=== Found trackers: {len(trackers)}")
    for t in trackers:
        print(f" - {t.name}")
    print(json.dumps({"trackers": sorted(t.name for t in trackers), "classes": len(analysis.get_embedded_classes()),
                      "signatures": len(analysis.signatures)}))


if __name__ == "__main__":
    main()
