"""The dataclass code cache (scanner/codecache.py): the same classes with and without it, and never an error."""

from __future__ import annotations

import copy
import dataclasses
import marshal
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest

from scanner import codecache


def make() -> tuple[type, ...]:
    """One class of each kind the project declares (frozen, slots, order, eq=False, defaults, factories)."""

    @dataclass(frozen=True, slots=True)
    class Point:
        """A point."""

        x: int
        y: int = 0
        tags: tuple[str, ...] = ()
        KIND: ClassVar[str] = "point"

    @dataclass(frozen=True, slots=True, order=True)
    class Version:
        major: int
        minor: int = 0

    @dataclass(frozen=True, slots=True, eq=False)
    class Handle:
        name: str

    @dataclass(slots=True)
    class Box:
        items: list[int] = field(default_factory=list)
        hidden: int = field(default=1, repr=False, compare=False)

    @dataclass
    class Plain:
        a: str
        b: dict[str, int] = field(default_factory=dict)

    return Point, Version, Handle, Box, Plain


def _generated(cls: type) -> dict[str, Any]:
    """The code of the methods dataclasses compiled (``__repr__`` is wrapped against recursion)."""
    methods = {name: getattr(f, "__wrapped__", f) for name, f in vars(cls).items()}
    return {name: f.__code__ for name, f in methods.items() if getattr(f, "__code__", None) is not None
            and f.__code__.co_filename == "<string>"}


def _behaviour(classes: tuple[type, ...]) -> list[Any]:
    """Everything a caller can see of the classes, as plain values."""
    point, version, handle, box, plain = classes
    p = point(1, tags=("a",))
    seen: list[Any] = [repr(p), p == point(1, 0, ("a",)), hash(p) == hash(point(1, 0, ("a",))), point.__doc__,
                       version.__doc__, [f.name for f in dataclasses.fields(point)], point.__slots__,
                       point.__match_args__, dataclasses.replace(p, y=5), dataclasses.is_dataclass(p),
                       dataclasses.astuple(p), copy.copy(p) == p, point.KIND]
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.x = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        point()
    seen += [sorted([version(2), version(1, 5), version(1)]), version(1) < version(1, 1), repr(version(3))]
    seen += [handle("a") == handle("a"), repr(handle("a")), type(hash(handle("a")))]
    b = box()
    b.items.append(1)
    seen += [repr(b), b == box([1], hidden=9), box().items is not box().items, box.__hash__]
    seen += [repr(plain("x")), plain("x") == plain("x"), plain.__hash__]
    return [repr(s) for s in seen]


@pytest.fixture
def without_hook(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """This process installed the cache when it imported scanner.model: take it away for the test
    (and let it write, as under PYTHONDONTWRITEBYTECODE it would not)."""
    monkeypatch.delattr(dataclasses, "exec", raising=False)
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    return monkeypatch


def _with(monkeypatch: pytest.MonkeyPatch, cache: codecache.CodeCache) -> tuple[type, ...]:
    monkeypatch.setattr(dataclasses, "exec", cache.exec, raising=False)
    try:
        return make()
    finally:
        monkeypatch.delattr(dataclasses, "exec")


def test_classes_are_the_same_with_a_cold_a_warm_and_no_cache(tmp_path: Path, without_hook: pytest.MonkeyPatch) -> None:
    plain = make()
    path = tmp_path / "code.marshal"
    cold = codecache.CodeCache(path)
    from_cold = _with(without_hook, cold)
    assert cold.misses == len(cold.used) > 15
    cold.save()
    warm = codecache.CodeCache(path)
    assert warm.loaded.keys() == cold.used.keys()
    from_warm = _with(without_hook, warm)
    assert warm.misses == 0

    for classes in (from_cold, from_warm):
        assert _behaviour(classes) == _behaviour(plain)
        for ours, theirs in zip(classes, plain, strict=True):
            assert _generated(ours) == _generated(theirs)  # code objects compare by their bytecode, names, consts
            assert _generated(ours).keys() >= {"__init__", "__repr__"}


def test_the_code_is_compiled_without_this_module_s_future_flags(tmp_path: Path,
                                                                 without_hook: pytest.MonkeyPatch) -> None:
    """codecache.py has ``from __future__ import annotations``: the return annotation must still be evaluated."""
    classes = _with(without_hook, codecache.CodeCache(tmp_path / "code.marshal"))
    assert classes[0].__init__.__annotations__["return"] is None


@pytest.mark.parametrize("content", [
    b"", b"not marshal at all", marshal.dumps(("appaudit dataclass code\0other python\x000", {})),
    marshal.dumps(["a", "list"]), marshal.dumps((codecache._HEADER, {"def f(): pass": "not code"})),
])
def test_a_damaged_or_foreign_file_reads_as_empty_and_is_replaced(tmp_path: Path, without_hook: pytest.MonkeyPatch,
                                                                   content: bytes) -> None:
    path = tmp_path / "code.marshal"
    path.write_bytes(content)
    cache = codecache.CodeCache(path)
    assert cache.loaded == {}
    assert _behaviour(_with(without_hook, cache)) == _behaviour(make())
    cache.save()
    assert codecache.CodeCache(path).loaded.keys() == cache.used.keys()


def test_a_truncated_file_reads_as_empty(tmp_path: Path, without_hook: pytest.MonkeyPatch) -> None:
    path = tmp_path / "code.marshal"
    cache = codecache.CodeCache(path)
    _with(without_hook, cache)
    cache.save()
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert codecache.CodeCache(path).loaded == {}


def test_a_cache_folder_that_cannot_be_written_is_skipped(tmp_path: Path, without_hook: pytest.MonkeyPatch) -> None:
    (tmp_path / "a-file").write_text("")
    path = tmp_path / "a-file" / "appaudit" / "code.marshal"  # its folder cannot be made: a file is in the way
    cache = codecache.CodeCache(path)
    assert _behaviour(_with(without_hook, cache)) == _behaviour(make())
    cache.save()  # no error
    assert cache.misses > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_nothing_is_written_when_python_writes_no_bytecode(tmp_path: Path, without_hook: pytest.MonkeyPatch) -> None:
    cache = codecache.CodeCache(tmp_path / "code.marshal")
    _with(without_hook, cache)
    without_hook.setattr(sys, "dont_write_bytecode", True)
    cache.save()
    assert not (tmp_path / "code.marshal").exists()


def test_an_unchanged_process_writes_nothing(tmp_path: Path, without_hook: pytest.MonkeyPatch) -> None:
    path = tmp_path / "code.marshal"
    cache = codecache.CodeCache(path)
    _with(without_hook, cache)
    cache.save()
    path.write_bytes(b"kept")
    cache.save()  # nothing new since the last save
    warm = codecache.CodeCache(tmp_path / "other.marshal")
    warm.loaded = dict(cache.used)
    _with(without_hook, warm)
    warm.save()
    assert path.read_bytes() == b"kept" and not (tmp_path / "other.marshal").exists()


def test_a_file_past_the_limit_keeps_only_this_process_s_code(tmp_path: Path, without_hook: pytest.MonkeyPatch) -> None:
    path = tmp_path / "code.marshal"
    stale = {f"x = {i}": compile(f"x = {i}", "<string>", "exec") for i in range(codecache.MAX_ENTRIES)}
    path.write_bytes(marshal.dumps((codecache._HEADER, stale)))
    cache = codecache.CodeCache(path)
    assert len(cache.loaded) == codecache.MAX_ENTRIES
    _with(without_hook, cache)
    cache.save()
    assert codecache.CodeCache(path).loaded.keys() == cache.used.keys()


def test_install_does_nothing_on_a_python_it_was_not_checked_on(without_hook: pytest.MonkeyPatch) -> None:
    without_hook.setattr(codecache, "_installed", None)
    without_hook.setattr(codecache, "SUPPORTED", ())
    assert codecache.install() is False
    assert "exec" not in vars(dataclasses)


def test_install_leaves_a_hook_it_did_not_set_alone(without_hook: pytest.MonkeyPatch) -> None:
    without_hook.setattr(codecache, "_installed", None)
    without_hook.setattr(dataclasses, "exec", exec, raising=False)
    assert codecache.install() is False
    assert vars(dataclasses)["exec"] is exec


def test_the_project_installs_it_on_the_pythons_it_supports() -> None:
    assert codecache.supported() is (sys.version_info[:2] in codecache.SUPPORTED)
    if codecache.supported():
        assert codecache._installed is not None
        assert vars(dataclasses)["exec"] == codecache._installed.exec


_DIGEST = """
import hashlib, pickle, sys
{prelude}
import scanner.model, signatures.model, scanner.privacy_policy.model, scanner.gate.review
from scanner import codecache
digest = hashlib.sha256()
for module in (scanner.model, signatures.model, scanner.privacy_policy.model):
    for name, cls in sorted(vars(module).items()):
        if isinstance(cls, type) and "__dataclass_fields__" in vars(cls):
            digest.update(repr((name, cls.__doc__, getattr(cls, "__slots__", None), cls.__match_args__)).encode())
            for attr, f in sorted(vars(cls).items()):
                c = getattr(getattr(f, "__wrapped__", f), "__code__", None)
                if c is not None and c.co_filename == "<string>":
                    digest.update(repr((attr, c.co_code, c.co_consts, c.co_names, c.co_varnames, c.co_freevars,
                                        c.co_linetable, c.co_exceptiontable, c.co_flags, c.co_argcount,
                                        c.co_kwonlyargcount, c.co_qualname, f.__defaults__)).encode())
c = scanner.model.Component("service", "a.B", True, False, None, ("x",), True)
assert pickle.loads(pickle.dumps(c)) == c and hash(pickle.loads(pickle.dumps(c))) == hash(c)
print(digest.hexdigest(), codecache._installed.misses if codecache._installed else None)
"""


def test_the_project_s_classes_are_the_same_with_and_without_the_cache(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {
        "XDG_CACHE_HOME": str(tmp_path), "OPENBLAS_NUM_THREADS": "1"}

    def run(prelude: str = "") -> list[str]:
        done = subprocess.run([sys.executable, "-c", _DIGEST.format(prelude=prelude)], env=env,
                              capture_output=True, text=True, check=True)
        return done.stdout.split()

    if not codecache.supported():
        pytest.skip("no code cache on this Python")
    cold, warm = run(), run()
    plain = run("import dataclasses; dataclasses.exec = exec")  # install() leaves a hook it did not set alone
    assert cold[0] == warm[0] == plain[0]
    assert int(cold[1]) > 100 and warm[1] == "0" and plain[1] == "None"
    assert (tmp_path / "appaudit" / f"dataclass-code.{sys.implementation.cache_tag}.marshal").is_file()
