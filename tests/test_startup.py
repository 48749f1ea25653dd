"""The command line starts cheaply: loading it and building its parser imports none of the heavy libraries.

Each check runs in a fresh interpreter, as the test process itself has imported everything already.
Timings are measured by ``make bench`` (bench/startup.py), not asserted here.
"""

from __future__ import annotations

import ast
import io
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.version import __version__

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("androguard", "numpy", "pandas", "jinja2", "httpx", "pyarrow")


def _heavy_imported(code: str) -> str:
    probe = f"import sys\n{code}\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return out.strip().splitlines()[-1]


def test_loading_the_cli_and_building_its_parser_imports_no_heavy_module() -> None:
    assert _heavy_imported("import scanner.cli.main\nscanner.cli.main.build_parser()") == "[]"


def test_parsing_every_command_imports_no_heavy_module() -> None:
    code = """
import scanner.cli.main
parser = scanner.cli.main.build_parser()
for argv in (["scan", "a.apk", "--fail-on", "high"], ["baseline", "create", "a.apk", "-o", "b.json"],
             ["diff", "a.json", "b.json"], ["batch", "apps/"], ["signatures", "list"],
             ["signatures", "update", "--url", "http://localhost/trackers"]):
    parser.parse_args(argv)
"""
    assert _heavy_imported(code) == "[]"


def test_knowledge_base_commands_import_no_heavy_module() -> None:
    code = """
from scanner.cli.main import main
assert main(["signatures", "list"]) == 0
assert main(["signatures", "validate"]) == 0
"""
    assert _heavy_imported(code) == "[]"


def test_python_m_scanner_version() -> None:
    done = subprocess.run([sys.executable, "-m", "scanner", "--version"], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stdout.strip() == f"appaudit {__version__}"


def test_fail_on_choices_are_the_severity_labels() -> None:
    from scanner.cli.main import SEVERITIES
    from scanner.model import Severity

    assert [s.label for s in Severity] == SEVERITIES


def test_usage_error_exits_with_the_gate_usage_code() -> None:
    from scanner.gate.verdict import EXIT_USAGE

    done = subprocess.run([sys.executable, "-m", "scanner", "scan", "a.apk", "--fail-on", "severe"],
                          capture_output=True, text=True)
    assert done.returncode == EXIT_USAGE
    assert "appaudit: argument --fail-on: invalid choice" in done.stderr


def test_signatures_update_defaults_to_the_exodus_url(monkeypatch: pytest.MonkeyPatch) -> None:
    import signatures.update
    from scanner.cli import knowledge
    from scanner.cli.main import build_parser

    calls: list[str] = []

    def fake_update(url: str, **_: object) -> signatures.update.UpdateResult:
        calls.append(url)
        return signatures.update.UpdateResult("unchanged", "up to date")

    monkeypatch.setattr(signatures.update, "update", fake_update)
    out = io.StringIO()
    assert knowledge.run(build_parser().parse_args(["signatures", "update"]), out) == 0
    assert knowledge.run(build_parser().parse_args(["signatures", "update", "--url", "http://x/t"]), out) == 0
    assert calls == [signatures.update.DEFAULT_URL, "http://x/t"]


def test_a_json_scan_does_not_load_the_html_writer() -> None:
    """Writers load when their format is asked for: Jinja and the templates cost a JSON-only scan nothing."""
    probe = ("import sys\nimport reports\n"
             "reports.WRITERS['json']\n"
             "before = 'jinja2' in sys.modules or 'reports.html' in sys.modules\n"
             "reports.WRITERS['html']\n"
             "print(before, 'jinja2' in sys.modules, sorted(reports.WRITERS))\n")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    out = run.stdout.split("\n")[0]
    assert out == "False True ['html', 'json', 'md', 'sarif', 'sdk-list']"


# NumPy's set routines that call ``np.unique``, which imports ``numpy.ma`` (~6 ms) on its first call
MASKED_ARRAY_LOADERS = frozenset({"unique", "isin", "in1d", "intersect1d", "setdiff1d", "setxor1d", "union1d",
                                  "unique_values", "unique_counts", "unique_inverse", "unique_all"})


def test_the_scanner_uses_its_own_set_routines() -> None:
    """A scan must not pay for ``numpy.ma``: the readers use ``scanner/dex/arrays.py`` (``distinct``, ``isin``)
    instead of NumPy's set routines. The JSON scan below covers only the paths its small app reaches; this
    covers every call, wherever it is."""
    found = []
    for path in sorted((ROOT / "scanner").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in MASKED_ARRAY_LOADERS \
                    and isinstance(node.value, ast.Name) and node.value.id in ("np", "numpy"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} np.{node.attr}")
    assert not found, found


def test_a_json_scan_of_an_apk_loads_only_what_it_uses(tmp_path) -> None:
    """An APK scan to JSON runs without the libraries other inputs and outputs need: protobuf (app bundles),
    Jinja (HTML), httpx and BeautifulSoup (privacy policies given as URLs or HTML), pandas (batch datasets),
    NumPy's masked arrays (which ``np.unique`` imports: ``scanner/dex/arrays.py``), the report languages, the
    privacy-policy purpose patterns (an app without a policy has none to read)."""
    from tests.conftest import FIXTURES

    unused = ("google.protobuf", "jinja2", "httpx", "bs4", "pandas", "pyarrow", "androguard", "openpyxl",
              "xlsxwriter", "numpy.ma", "reports.i18n", "scanner.privacy_policy.purposes")
    probe = (f"import sys\nfrom scanner.cli.main import main\n"
             f"code = main(['scan', {str(FIXTURES / 'sdks.apk')!r}, '-o', {str(tmp_path)!r}, '-f', 'json'])\n"
             f"print(code, sorted(m for m in {unused!r} if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert run.stdout.strip().splitlines()[-1].split(" ", 1)[1] == "[]"
    assert (tmp_path / "sdks.json").exists()


def test_the_collector_is_on_after_every_command_in_process(tmp_path) -> None:
    """The CLI keeps the garbage collector off while a command imports its modules: it must be back on after
    a scan, a usage error and a knowledge-base command, for a program that runs commands in-process."""
    import gc

    from scanner.cli.main import main
    from tests.conftest import FIXTURES

    assert main(["scan", str(FIXTURES / "clean.apk"), "-o", str(tmp_path), "-f", "json", "--max-memory", "0"]) == 0
    assert gc.isenabled()
    assert main(["scan", str(FIXTURES / "clean.apk"), "-o", "-", "-f", "json,html"]) != 0
    assert gc.isenabled()
    assert main(["signatures", "list"]) == 0
    assert gc.isenabled()


@pytest.mark.parametrize("formats", ["json", "json,html"])
def test_a_scan_with_warm_caches_loads_no_logging_nor_toml_and_compiles_no_dataclass(tmp_path, formats) -> None:
    """With the compiled knowledge base, the dataclass code and the compiled templates kept (the second scan), a
    scan with no policy file imports neither ``logging`` (only said warnings need it) nor ``tomllib`` (only a
    policy file or a rebuild of the knowledge base), and compiles none of its dataclasses' methods
    (scanner/codecache.py)."""
    import os

    from scanner import codecache
    from tests.conftest import FIXTURES

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {
        "XDG_CACHE_HOME": str(tmp_path / "cache"), "OPENBLAS_NUM_THREADS": "1"}
    probe = (f"import sys\nfrom scanner.cli.main import main\nfrom scanner import codecache\n"
             f"code = main(['scan', {str(FIXTURES / 'sdks.apk')!r}, '-o', {str(tmp_path)!r}, '-f', {formats!r}])\n"
             f"print(sorted(m for m in ('logging', 'tomllib') if m in sys.modules), "
             f"codecache._installed and codecache._installed.misses)")
    runs = [subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env,
                           cwd=tmp_path).stdout.strip().splitlines()[-1] for _ in range(2)]
    assert runs[1] == ("[] 0" if codecache.supported() else "[] None")


def test_the_command_collects_young_objects_less_often_and_main_in_process_leaves_the_setting(tmp_path) -> None:
    """``entry`` (a process of its own) raises the young generation's threshold; ``main`` in a caller's process
    does not touch it."""
    import gc

    from scanner.cli.main import YOUNG_COLLECTION, main

    probe = ("import gc, sys\nfrom scanner.cli import main as m\n"
             "m._run = lambda args, ahead: print(gc.get_threshold()[0]) or 0\n"
             "sys.argv = ['appaudit', 'signatures', 'list']\nm.entry()")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert int(done.stdout.strip()) == YOUNG_COLLECTION
    before = gc.get_threshold()
    assert main(["signatures", "list"]) == 0
    assert gc.get_threshold() == before


def test_the_command_ends_without_teardown_yet_runs_its_exit_handlers_and_flushes(tmp_path) -> None:
    """``entry`` ends the process with ``os._exit`` after the exit handlers: the dataclass code cache is still
    written (an exit handler), the report line still reaches the pipe, and the exit code is the scan's."""
    import os

    from scanner import codecache
    from tests.conftest import FIXTURES

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {
        "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-m", "scanner", "scan", str(FIXTURES / "sdks.apk"), "-o",
                           str(tmp_path / "out"), "-f", "json", "--fail-on", "critical"],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("ok ") and (tmp_path / "out" / "sdks.json").is_file()
    if codecache.supported():
        assert list((tmp_path / "cache" / "appaudit").glob("dataclass-code.*.marshal"))
    failing = subprocess.run([sys.executable, "-m", "scanner", "scan", str(FIXTURES / "sdks.apk"), "-o",
                              str(tmp_path / "out"), "-f", "json", "--fail-on", "info"],
                             capture_output=True, text=True, env=env, cwd=tmp_path)
    assert failing.returncode == 1 and "failing the gate" in failing.stderr
