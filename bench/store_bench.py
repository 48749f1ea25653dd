"""What users see: ``appaudit scan`` through the installed CLI on APKs shaped like real store apps.

For each APK (bench/make_store_apk.py: a 2-dex store app with a large resource table, and a 6-dex one of
250k+ methods), every figure is a fresh process timed from outside, process start and imports included:

- floor: open the zip, inflate every ``classes*.dex``, sha256 the whole file (the venv's ``python -c``);
- ``appaudit scan APK -o DIR -f json`` and ``-f json,html`` (the console script beside this interpreter,
  from an empty working folder, into a new output folder each run);
- imports: ``python -c "import scanner.cli.main"`` (what every command loads), the imports a scan adds
  (``scanner.cli.commands``, ``scanner.gate.review``, ``reports.json``), and ``appaudit --version``;
- exodus-core 1.3.x's static analysis (bench/exodus_driver.py) in its own virtual environment,
  bench/cache/exodus-venv (created here when missing; it pins another androguard), with the tracker list
  read from a snapshot of the Exodus API: ``../shared/reference/exodus_trackers_api.json`` beside the
  repository, or ``--exodus-trackers PATH`` / ``$APPAUDIT_EXODUS_TRACKERS``. Without it, the exodus column
  is skipped and the bench says why.

Wall time is the median of ``--runs`` (default 5) after one untimed warm-up; peak RSS is the largest
of the runs (``wait4``: the process, or its largest child such as exodus's dexdump). The machine is shared
and noisy: read the ratios, all measured in the same run. Run alone: ``python bench/store_bench.py``
(or ``bench/run.py --store``); ``--no-exodus``, ``--runs N`` and ``--exodus-trackers PATH`` apply.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / "cache"
PY = sys.executable  # the project's venv interpreter (make bench runs .venv/bin/python)
APPAUDIT = str(Path(sys.executable).parent / "appaudit")
EXODUS_VENV = CACHE / "exodus-venv"
EXODUS_REQ = "exodus-core>=1.3,<1.4"
DEFAULT_TRACKERS = ROOT.parent / "shared" / "reference" / "exodus_trackers_api.json"
# (name, make_store_apk.py arguments): the two bench APKs
APKS = [("store.apk", ["--dex-files", "2", "--methods", "100000"]),
        ("store-6dex.apk", ["--dex-files", "6", "--methods", "260000"])]
FLOOR = """\
import hashlib, json, sys, zipfile
path = sys.argv[1]
with open(path, "rb") as fh:
    hashlib.sha256(fh.read()).hexdigest()
total = 0
with zipfile.ZipFile(path) as z:
    for name in z.namelist():
        if name.startswith("classes") and name.endswith(".dex"):
            total += len(z.read(name))
print(json.dumps({"dex_bytes": total}))
"""
SCAN_IMPORTS = "import scanner.cli.main, scanner.cli.commands, scanner.gate.review, reports.json"
TARGETS = {"json": 3.0, "json,html": 3.5, "exodus": 5.0}  # appaudit --version <= 0.15 s: bench/startup.py


@dataclass
class Run:
    wall: float
    cpu: float  # user + system, children included: steadier than wall time on a busy machine
    peak_mb: float
    rc: int
    out: str
    err: str


def timed(cmd: list[str], cwd: str | None = None) -> Run:
    """One fresh process: wall time from fork to exit, its peak RSS (or its largest child's)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode,
                   out.read().decode(errors="replace"), err.read().decode(errors="replace"))


@dataclass
class Figure:
    wall: float  # median
    cpu: float  # median
    peak_mb: float  # max
    walls: list[float]
    last: Run
    result: dict | None = None  # what appaudit found, to show it resolved the label through the table


def repeat(make_cmd, runs: int, ok=(0,), cwd: str | None = None) -> Figure:  # type: ignore[no-untyped-def]
    """One untimed warm-up, then ``runs`` timed runs; ``make_cmd(i)`` gives the command line of run i."""
    results = []
    for i in range(runs + 1):
        r = timed(make_cmd(i), cwd)
        if r.rc not in ok:
            raise RuntimeError(f"{' '.join(make_cmd(i))} exited {r.rc}:\n{r.err[-2000:]}{r.out[-1000:]}")
        if i:
            results.append(r)
    return Figure(statistics.median(r.wall for r in results), statistics.median(r.cpu for r in results),
                  max(r.peak_mb for r in results),
                  [r.wall for r in results], results[-1])


# --------------------------------------------------------------------------------------------------- exodus

def exodus_python(trackers: Path) -> tuple[str | None, str]:
    """exodus-core's interpreter, installing it into its own venv when missing; (None, why) when unusable."""
    if not trackers.is_file():
        return None, (f"exodus-core skipped: the Exodus tracker list snapshot {trackers} is absent (the Exodus "
                      "API is not reachable from the bench); pass --exodus-trackers PATH")
    py = EXODUS_VENV / "bin" / "python"
    check = [str(py), "-c", "import exodus_core.analysis.static_analysis, importlib.metadata as m; "
             "print(m.version('exodus-core'))"]
    if py.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return str(py), subprocess.run(check, capture_output=True, text=True).stdout.strip()
    print(f"installing {EXODUS_REQ} into {EXODUS_VENV} (its own venv: it pins another androguard) ...",
          flush=True)
    steps = [[sys.executable, "-m", "venv", "--clear", str(EXODUS_VENV)],
             [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", EXODUS_REQ], check]
    for step in steps:
        r = subprocess.run(step, capture_output=True, text=True)
        if r.returncode:
            return None, f"exodus-core skipped: {' '.join(step)} failed ({r.returncode}):\n{r.stderr[-1500:]}"
    if shutil.which("dexdump") is None:
        return None, "exodus-core skipped: it lists classes with dexdump, which is not installed"
    return str(py), subprocess.run(check, capture_output=True, text=True).stdout.strip()


# ----------------------------------------------------------------------------------------------- the figures

def compile_bytecode() -> None:
    """Byte-compile the project as installing its wheel does: an editable checkout run with
    PYTHONDONTWRITEBYTECODE would otherwise compile some 100 modules in every timed process (~80 ms)."""
    packages = [str(ROOT / name) for name in ("scanner", "signatures", "reports")]
    subprocess.run([PY, "-m", "compileall", "-q", *packages], check=True, stdout=subprocess.DEVNULL)


def build_apks() -> list[Path]:
    paths = []
    for name, args in APKS:
        out = CACHE / name
        subprocess.run([sys.executable, str(HERE / "make_store_apk.py"), "--out", str(out), *args], check=True)
        paths.append(out)
    return paths


def measure(apk: Path, runs: int, exodus: str | None, trackers: Path) -> dict[str, Figure]:
    work = Path(tempfile.mkdtemp(prefix="appaudit-store-bench-"))
    cwd = work / "cwd"  # empty: no appaudit.toml is picked up
    cwd.mkdir()
    try:
        fig = {"floor": repeat(lambda i: [PY, "-c", FLOOR, str(apk)], runs)}

        def scan(formats: str):  # type: ignore[no-untyped-def]
            return lambda i: [APPAUDIT, "scan", str(apk), "-o", str(work / f"out-{formats}-{i}"), "-f", formats]

        # exit 1 is "findings at or above --fail-on" (not given here), 3 "some apps could not be analysed"
        fig["appaudit -f json"] = repeat(scan("json"), runs, ok=(0, 1), cwd=str(cwd))
        result = json.loads((work / f"out-json-{runs}" / f"{apk.stem}.json").read_text(encoding="utf-8"))
        fig["appaudit -f json"].result = {"label": result["app"]["label"], "status": result["status"],
                                          "sdks": len(result["sdks"]), "findings": len(result["findings"])}
        fig["appaudit -f json,html"] = repeat(scan("json,html"), runs, ok=(0, 1), cwd=str(cwd))
        for name, code in (("import scanner.cli.main", "import scanner.cli.main"), ("imports of a scan", SCAN_IMPORTS)):
            try:  # module names the lead may change while optimising: a missing one is reported, not fatal
                fig[name] = repeat(lambda i, code=code: [PY, "-c", code], runs)
            except RuntimeError as exc:
                print(f"  {name}: not measured ({str(exc).strip().splitlines()[-1]})")
        fig["appaudit --version"] = repeat(lambda i: [APPAUDIT, "--version"], runs)
        if exodus:
            fig["exodus-core"] = repeat(lambda i: [exodus, str(HERE / "exodus_driver.py"), str(trackers),
                                                   str(apk)], runs)
        return fig
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _json_line(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


def report_apk(apk: Path, fig: dict[str, Figure]) -> list[tuple[str, bool]]:
    info = json.loads(apk.with_name(apk.name + ".info.json").read_text())
    dex_mb = _json_line(fig["floor"].last.out)["dex_bytes"] / 2**20
    floor = fig["floor"].wall
    print(f"\n{apk.name}: {info['bytes'] / 2**20:.1f} MB, {info['dex_files']} dex ({dex_mb:.1f} MB inflated), "
          f"{info['methods_defined']} methods, {info['classes']} classes; resources.arsc "
          f"{info['resources_arsc_bytes'] / 2**20:.1f} MB: {info['resources']} resources, {info['locales']} "
          f"locales, {info['configurations']} configurations; label {info['aapt_label']!r} via @string/app_name")
    print(f"  {'fresh process':<24} {'wall s':>7} {'x floor':>7} {'cpu s':>7} {'x floor':>7} {'peak MB':>7}"
          "   wall of each run (s)")
    for name, f in fig.items():
        runs = " ".join(f"{w:.2f}" for w in f.walls)
        print(f"  {name:<24} {f.wall:>7.3f} {f.wall / floor:>7.2f} {f.cpu:>7.3f} {f.cpu / fig['floor'].cpu:>7.2f} "
              f"{f.peak_mb:>7.0f}   {runs}")
    scan_json, scan_html = fig["appaudit -f json"], fig["appaudit -f json,html"]
    budget = 2 * dex_mb + 150
    r = scan_json.result or {}
    print(f"  appaudit -f json: label {r.get('label')!r}, status {r.get('status')}, {r.get('sdks')} SDKs, "
          f"{r.get('findings')} findings")
    checks = [
        (f"{apk.name}: appaudit -f json {scan_json.wall / floor:.2f}x the floor (target <= {TARGETS['json']}x)",
         scan_json.wall <= TARGETS["json"] * floor),
        (f"{apk.name}: appaudit -f json,html {scan_html.wall / floor:.2f}x the floor "
         f"(target <= {TARGETS['json,html']}x)", scan_html.wall <= TARGETS["json,html"] * floor),
        (f"{apk.name}: appaudit -f json peak RSS {scan_json.peak_mb:.0f} MB, {scan_json.peak_mb / budget:.2f}x "
         f"2 x inflated dex + 150 MB = {budget:.0f} MB (target <= 1x)", scan_json.peak_mb <= budget),
    ]
    if "exodus-core" in fig:
        ex = fig["exodus-core"]
        found = _json_line(ex.last.out)
        print(f"  exodus-core found {len(found['trackers'])} of {found['signatures']} trackers in "
              f"{found['classes']} classes: {', '.join(found['trackers'])}")
        print(f"  ratios: json/floor {scan_json.wall / floor:.2f}, json,html/floor {scan_html.wall / floor:.2f}, "
              f"exodus/json {ex.wall / scan_json.wall:.2f}, RSS json/(2 x dex + 150 MB) "
              f"{scan_json.peak_mb / budget:.2f}")
        checks.append((f"{apk.name}: appaudit -f json {ex.wall / scan_json.wall:.2f}x faster than exodus-core "
                       f"(target >= {TARGETS['exodus']}x)", ex.wall >= TARGETS["exodus"] * scan_json.wall))
    else:
        print(f"  ratios: json/floor {scan_json.wall / floor:.2f}, json,html/floor {scan_html.wall / floor:.2f}, "
              f"exodus/json n/a, RSS json/(2 x dex + 150 MB) {scan_json.peak_mb / budget:.2f}")
    return checks


def report(argv: list[str]) -> list[tuple[str, bool]]:
    """Build (or reuse) the store APKs, measure, print the tables; return the PASS/MISS checks."""
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 5
    trackers = Path(argv[argv.index("--exodus-trackers") + 1] if "--exodus-trackers" in argv else
                    os.environ.get("APPAUDIT_EXODUS_TRACKERS", DEFAULT_TRACKERS))
    exodus, why = (None, "exodus-core skipped: --no-exodus") if "--no-exodus" in argv else exodus_python(trackers)
    apks = build_apks()
    compile_bytecode()
    print(f"\nstore-shaped APKs, end to end through the CLI ({APPAUDIT}); median of {runs} runs after a warm-up"
          + (f"; exodus-core {why} ({trackers})" if exodus else ""), flush=True)
    if not exodus:
        print(why)
    checks: list[tuple[str, bool]] = []
    for apk in apks:
        checks += report_apk(apk, measure(apk, runs, exodus, trackers))
    return checks


if __name__ == "__main__":
    for text, ok in report(sys.argv[1:]):
        print(f"{'PASS' if ok else 'MISS'}  {text}")
