"""Keep the code that ``@dataclass`` compiles from one process to the next: a scan starts ~35 ms sooner.

Why: ``@dataclass`` writes the source text of ``__init__``, ``__repr__``, ``__eq__``, ``__hash__``,
``__setattr__``… and compiles each with ``exec``. A scan imports ~110 frozen dataclasses, ~690 compiles:
~37 ms of its ~130 ms of imports. Python keeps the bytecode of modules in ``__pycache__``, not that of
these generated functions.

How: ``dataclasses`` calls ``exec(source, globals, locals)`` and nothing else by that name (in
``_create_fn`` on CPython 3.11 and 3.12, in ``_FuncBuilder.add_fns_to_class`` on 3.13; read in their
sources). ``install()`` binds the name ``exec`` in the ``dataclasses`` module to ``CodeCache.exec``,
which takes the code compiled from exactly that text (as ``exec`` would compile it) from a dict read
with ``marshal`` from the user's cache folder, compiles it when it is not there, and runs it with the
builtin ``exec`` in the same namespaces: the classes get the same functions, only sooner. Code compiled
in this process is written back when it exits, in a file named and headed by the exact Python build
(marshal's format and the bytecode change between releases). Nothing in ``dataclasses`` is copied or
replaced, so its own logic stays whatever the running Python's is. (One difference no caller sees: classes
whose generated text is the same now share its code object, as functions defined in a loop do.)
``scanner/model.py``, the first module of a scan with dataclasses, installs it.

Fallback: on another interpreter or version ``install()`` does nothing, and ``@dataclass`` compiles as
usual. A missing, unreadable or damaged file, or one of another Python, reads as empty; a cache folder
that cannot be written is skipped without a word; with ``PYTHONDONTWRITEBYTECODE`` (like Python's own
bytecode cache) nothing is written.

Trust: as for the compiled knowledge base (``signatures/compiled.py``), the file is appaudit's own, in
the user's own cache folder; whoever can replace it can already change what that user runs.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import marshal
import os
import sys
import types
from pathlib import Path
from typing import Any

SUPPORTED = ((3, 11), (3, 12), (3, 13))  # the CPython versions whose dataclasses module was read (see above)
MAX_ENTRIES = 2500  # past this many (edited classes leave their old texts behind), keep only this process's code
_HEADER = f"appaudit dataclass code\0{sys.version}\0{sys.flags.optimize}"
_installed: CodeCache | None = None


def default_path() -> Path:
    """In the per-user cache folder (as ``signatures.cache_dir``), one file per Python build."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "appaudit" / f"dataclass-code.{sys.implementation.cache_tag}.marshal"


def _read(path: Path) -> dict[str, types.CodeType]:
    try:
        header, entries = marshal.loads(path.read_bytes())  # noqa: S302 -- see the docstring
    except Exception:  # noqa: BLE001 -- missing, unreadable or damaged: start empty
        return {}
    if header != _HEADER or type(entries) is not dict:
        return {}
    return {k: v for k, v in entries.items() if type(k) is str and type(v) is types.CodeType}


class CodeCache:
    """Code objects by source text, read from ``path`` (``None``: nothing read or written)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.loaded: dict[str, types.CodeType] = _read(path) if path is not None else {}
        self.used: dict[str, types.CodeType] = {}
        self.misses = 0

    def compiled(self, source: str) -> types.CodeType:
        """The code ``exec(source)`` would compile: from the file when it holds that text, else compiled."""
        code = self.used.get(source) or self.loaded.get(source)
        if code is None:
            # flags=0, dont_inherit: no __future__ of this module, as dataclasses (which has none) compiles
            code = compile(source, "<string>", "exec", dont_inherit=True)
            self.misses += 1
        self.used[source] = code
        return code

    def exec(self, source: Any, globals: Any = None, locals: Any = None, /) -> None:  # noqa: A002
        """``exec`` for the ``dataclasses`` module: the same, with compiled source texts reused."""
        if type(source) is str:
            source = self.compiled(source)
        builtins.exec(source, globals, locals)  # noqa: S102 -- dataclasses' own generated code

    def save(self) -> None:
        """Write the file when this process compiled anything new; never raises."""
        if self.path is None or not self.misses or sys.dont_write_bytecode:
            return
        entries = {**self.loaded, **self.used}
        if len(entries) > MAX_ENTRIES:
            entries = self.used
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            data = marshal.dumps((_HEADER, entries))
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            os.replace(tmp, self.path)  # readers see the old file or the new one, never half of one
            self.loaded, self.misses = entries, 0
        except Exception:  # noqa: BLE001 -- a cache that cannot be written only costs time
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)


def supported() -> bool:
    return sys.implementation.name == "cpython" and sys.version_info[:2] in SUPPORTED


def install() -> bool:
    """Route ``dataclasses``' compiles through the cache (once per process); False where that is not done."""
    global _installed
    if _installed is not None:
        return True
    if not supported():
        return False
    import dataclasses

    if "exec" in vars(dataclasses):  # someone else's hook, or a dataclasses module we have not read
        return False
    cache = CodeCache(default_path())
    dataclasses.exec = cache.exec  # type: ignore[attr-defined]
    atexit.register(cache.save)
    _installed = cache
    return True
