"""Audits of the real fixtures (scanned once per session) and synthetic ones for edge cases."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import scanner
from scanner.model import ApiCall, Audit, Component, Endpoint, Status
from tests.conftest import CHROMIUM, FIXTURES

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
REPORTED = ("clean.apk", "sdks.apk", "preconsent.apk", "multidex.apk", "provider_init.apk", "reflection.apk",
            "obfuscated.apk", "stub_sdk.apk", "packed.apk", "split.xapk", "split.apks", "split.apkm",
            "hostile/script_label.apk", "hostile/empty.apk", "hostile/truncated.apk")
# every fixture app, for the checks that must hold on any report (readable names, no sideways scroll)
EVERY_FIXTURE = tuple(sorted(str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*")
                             if p.suffix in (".apk", ".xapk", ".apks", ".apkm") and p.is_file()))
HOSTILE_LABEL = "<script>alert(\"pwned\")</script> & 'quotes'"
NASTY = "\"'><img src=x onerror=alert(1)></script><script>alert(2)</script><!-- | *x* `y`"


def scan(name: str, category: str | None = None) -> Audit:
    return scanner.scan(str(FIXTURES / name), scanner.ScanOptions(category=category))


@pytest.fixture(scope="session")
def audits() -> dict[str, Audit]:
    out = {name: scan(name) for name in REPORTED}
    out["sdks.apk+short_video"] = scan("sdks.apk", "short_video")
    return out


def nasty_audit(base: Audit) -> Audit:
    """Every APK-derived string replaced by markup that would run if it were not escaped."""
    assert base.app and base.manifest
    app = dataclasses.replace(base.app, label=NASTY, package="org.x" + NASTY, version_name=NASTY)
    manifest = dataclasses.replace(base.manifest, meta_data=({"name": NASTY, "value": NASTY},),
                                   network_security_config=NASTY)
    comp = Component(type="activity", name=NASTY, exported=True, exported_explicit=True, enabled=True,
                     permission=NASTY, intent_actions=(NASTY,), authorities=(NASTY,))
    call = dataclasses.replace(base.api_calls[0], caller=f"La/{NASTY};->m()V", api=NASTY, pre_consent=True,
                               pre_consent_path=(NASTY,))
    endpoint = Endpoint("http://" + NASTY, NASTY, "http", None, "dex", True)
    return dataclasses.replace(base, app=app, manifest=manifest, components=(comp,), api_calls=(call,),
                               endpoints=(endpoint,), input=dataclasses.replace(base.input, path=NASTY))


def big_audit(base: Audit, n: int = 5000) -> Audit:
    """A real audit with ``n`` synthetic call sites spread over its SDKs and first-party code."""
    readers = [s.id for s in base.sdks] + [None]
    calls = []
    for i in range(n):
        proto = base.api_calls[i % len(base.api_calls)]
        sdk = readers[i % len(readers)]
        pre = i % 7 == 0
        caller = f"Lcom/example/feature{i % 40}/sub{i % 13}/Worker{i};->collect{i % 9}(Landroid/content/Context;I)V"
        calls.append(ApiCall(proto.api, proto.api_id, proto.pi_category, caller, sdk, pre,
                             ("Lcom/example/App;->onCreate()V", caller) if pre else (), i % 11 == 0, True,
                             f"classes{i % 3 + 1}.dex".replace("classes1", "classes")))
    return dataclasses.replace(base, api_calls=tuple(calls))


@pytest.fixture(scope="session")
def any_audit(audits: dict[str, Audit]) -> Callable[[str], Audit]:
    """The audit of any fixture app, scanned once per session."""
    cache = dict(audits)

    def get(name: str) -> Audit:
        if name not in cache:
            cache[name] = scan(name)
        return cache[name]

    return get


@pytest.fixture(scope="session")
def error_audit(audits: dict[str, Audit]) -> Audit:
    audit = audits["hostile/empty.apk"]
    assert audit.status == Status.ERROR
    return audit


# Debian's chromium, headless, as every browser test of the reports runs it (test_browser, test_dashboard, test_i18n)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield chromium
        chromium.close()
