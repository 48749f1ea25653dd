"""The detector tests need neither androguard nor any Android tool: they run on plain values.

Checked in a fresh interpreter, so what other tests imported does not count: every ``androguard``
import is served a poisoned stand-in that records any use, and an audit hook records every process
started. The builders then make an app and the engine audits it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AUDIT = """
import json, sys
from tests.analysis.conftest import busy_app
from tests.conftest import KB
from scanner.analysis.detection import detect

audit = detect(*busy_app(), KB, None)
print(json.dumps({"sdks": [s.id for s in audit.sdks], "calls": len(audit.api_calls), "errors": len(audit.errors),
                  "androguard": "androguard" in sys.modules}))
"""
POISON = """
import importlib.abc, importlib.machinery, sys, types

used, started = [], []


class Poison:
    def __init__(self, name):
        self.name = name

    def __getattr__(self, attr):
        return Poison(f"{self.name}.{attr}")

    def __call__(self, *args, **kwargs):
        used.append(self.name)
        raise RuntimeError(f"androguard used: {self.name}")


class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name.partition(".")[0] == "androguard":
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = []
        module.__getattr__ = lambda attr: Poison(f"{spec.name}.{attr}")
        return module

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, Finder())
sys.addaudithook(lambda event, args: started.append(event) if event in (
    "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork") else None)
"""


def run_python(code: str) -> list[dict[str, object]]:
    """Run ``code`` in a fresh interpreter at the project root; each line it prints is a JSON object."""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def test_detectors_use_no_androguard_and_start_no_process() -> None:
    audited, checked = run_python(POISON + AUDIT + "print(json.dumps({'used': used, 'started': started}))\n")
    assert audited["sdks"] == ["umeng-analytics"] and audited["calls"] == 1  # the engine did run
    assert checked == {"used": [], "started": []}


def test_detectors_do_not_even_import_androguard() -> None:
    """Facts are plain values (scanner.android.facts); only the reader (scanner.android.apk) loads androguard."""
    [audited] = run_python(AUDIT)
    assert audited["sdks"] == ["umeng-analytics"]
    assert audited["androguard"] is False
