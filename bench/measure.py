"""One measurement in a fresh process, so peak RSS belongs to that approach alone.

Usage: measure.py MODE APK  ->  prints {"wall": seconds, "peak_rss_mb": MB, ...} as JSON.
Modes: floor (open zip, inflate every dex, sha256), facts (our full facts extraction with
call sites for the knowledge base's references), detectors (facts plus every detector),
androguard (``AnalyzeAPK``).
"""

from __future__ import annotations

import hashlib
import json
import resource
import sys
import time
import zipfile


def floor(path: str) -> dict:
    with open(path, "rb") as fh:
        data = fh.read()
    hashlib.sha256(data).hexdigest()
    total = 0
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("classes") and name.endswith(".dex"):
                total += len(z.read(name))
    return {"dex_bytes": total}


def knowledge_base_refs() -> tuple[list[str], list[str], list[str]]:
    import signatures

    kb = signatures.load()
    methods, fields, strings = set(), set(), set()
    for api in kb.apis:
        methods.update(api.methods)
        fields.update(api.fields)
        strings.update(api.strings)
        for rule in api.argument_rules:  # constants that decide an argument-dependent API's category
            {"string": strings, "field": fields, "method": methods}.get(rule.kind, set()).add(str(rule.value))
    return sorted(methods), sorted(fields), sorted(strings)


def facts(path: str) -> dict:
    from scanner.analysis.gather import gather
    from scanner.input.archive import open_app

    methods, fields, strings = knowledge_base_refs()
    start = time.perf_counter()
    _, dex = gather(open_app(path))
    dex.strings()
    dex.classes()
    sites = dex.call_sites(methods, fields, strings)
    return {"references": len(methods) + len(fields) + len(strings), "call_sites": len(sites),
            "classes": dex.class_count, "methods": dex.method_count,
            "inner_wall": time.perf_counter() - start}


def detectors(path: str) -> dict:
    """A whole scan, split into its two phases: reading facts and running the detectors."""
    import signatures
    from scanner.analysis.detection import detect
    from scanner.analysis.gather import gather
    from scanner.analysis.index import build_index
    from scanner.analysis.reachability import pre_consent
    from scanner.analysis.targets import api_targets
    from scanner.input.archive import open_app

    kb = signatures.load()
    start = time.perf_counter()
    facts, dex = gather(open_app(path))
    index = build_index(facts, dex, api_targets(kb))
    reach = pre_consent(dex, facts.apk.manifest)
    read = time.perf_counter() - start
    audit = detect(facts, index, reach, kb, None)
    return {"status": audit.status.value, "api_calls": len(audit.api_calls), "sdks": len(audit.sdks),
            "facts_s": read, "detect_s": time.perf_counter() - start - read}


def job(path: str) -> dict:
    """What a batch does per app: scan, keep the facts snapshot, write the JSON result."""
    import hashlib
    import tempfile

    import signatures
    from scanner.batch.job import Job, run_job

    with open(path, "rb") as fh:
        sha = hashlib.sha256(fh.read()).hexdigest()
    run_job(Job(path, sha, tempfile.mkdtemp(prefix="appaudit-bench-"), ("json",)), signatures.load())
    return {}


def rematch(path: str) -> dict:
    """Re-matching one stored app (its facts snapshot) against the knowledge base."""
    global _REMATCH_OUT
    import signatures
    from scanner.batch.rematch import rematch as run
    from scanner.gate.review import ScanOptions

    rows = run(_REMATCH_OUT, ("json",), ScanOptions(), signatures.load())
    return {"apps": len(rows)}


_REMATCH_OUT = ""


def _prepare_rematch(path: str) -> None:
    """Not timed: scan the app once into a batch folder, as a batch run would have."""
    import hashlib
    import tempfile

    import signatures
    from scanner.batch.job import Job, run_job

    global _REMATCH_OUT
    _REMATCH_OUT = tempfile.mkdtemp(prefix="appaudit-bench-")
    with open(path, "rb") as fh:
        sha = hashlib.sha256(fh.read()).hexdigest()
    run_job(Job(path, sha, _REMATCH_OUT, ("json",)), signatures.load())


def androguard(path: str) -> dict:
    from loguru import logger

    logger.disable("androguard")
    from androguard.misc import AnalyzeAPK

    _, dexes, analysis = AnalyzeAPK(path)
    return {"classes": len(list(analysis.get_classes()))}


def main() -> None:
    mode, path = sys.argv[1], sys.argv[2]
    run = {"floor": floor, "facts": facts, "detectors": detectors, "job": job, "rematch": rematch,
           "androguard": androguard}[mode]
    if mode != "floor":  # imports and the knowledge base load once per process, not per app: not timed
        from androguard.core import apk  # noqa: F401

        import scanner.analysis.engine  # noqa: F401
        import signatures

        signatures.load()
    if mode == "rematch":
        _prepare_rematch(path)
    start = time.perf_counter()
    extra = run(path)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"mode": mode, "wall": wall, "peak_rss_mb": peak, **extra}))


if __name__ == "__main__":
    main()
