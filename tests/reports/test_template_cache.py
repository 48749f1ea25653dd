"""Compiled report templates are kept in the user's cache folder and reused; a cache that cannot be used
only costs speed."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import Environment

from reports import html
from reports.template_cache import template_cache


def _fresh_environment(monkeypatch: pytest.MonkeyPatch, cache_home: Path) -> Environment:
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    return html.environment.__wrapped__("en")  # not the process-wide one: a new environment, a new cache


def test_a_second_process_loads_the_compiled_templates_instead_of_compiling(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    first = _fresh_environment(monkeypatch, tmp_path)
    names = [name for name in first.list_templates() if name.endswith(".j2")]
    for name in names:
        first.get_template(name)
    kept = list((tmp_path / "appaudit").glob("templates-*/*"))
    assert kept, "compiled templates were not kept"

    second = _fresh_environment(monkeypatch, tmp_path)

    def no_compiling(*_: object, **__: object) -> None:
        raise AssertionError("compiled again although the cache holds it")

    monkeypatch.setattr(second, "compile", no_compiling)
    assert [second.get_template(name).name for name in names] == names  # every one came from the cache
    assert len(kept) == len(names)


def test_an_unusable_cache_folder_only_means_compiling(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "appaudit").write_text("a file where the cache folder should be")
    env = _fresh_environment(monkeypatch, tmp_path)
    assert env.get_template("app.html.j2").name == "app.html.j2"
    assert (tmp_path / "appaudit").is_file()


def test_a_damaged_cached_template_is_compiled_again(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fresh_environment(monkeypatch, tmp_path).get_template("app.html.j2")
    for kept in (tmp_path / "appaudit").glob("templates-*/*"):
        kept.write_bytes(kept.read_bytes()[:40] + b"\x00garbage")
    env = _fresh_environment(monkeypatch, tmp_path)
    compiled: list[str] = []
    compile_source = env.compile

    def counting(source: str, name: str | None = None, *args: object, **kwargs: object) -> object:
        compiled.append(str(name))
        return compile_source(source, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(env, "compile", counting)
    assert env.get_template("app.html.j2").name == "app.html.j2"
    assert compiled == ["app.html.j2"]


def test_other_compile_options_use_another_folder(tmp_path: Path) -> None:
    assert template_cache(tmp_path, "a").directory != template_cache(tmp_path, "b").directory
    assert template_cache(tmp_path, "a").directory == template_cache(tmp_path, "a").directory
