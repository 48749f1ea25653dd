"""A compiled copy of the knowledge base, so a scan does not parse and validate TOML every time.

The TOML files stay the source of truth. Parsing and validating them costs about 70 ms per process;
a pickle of the finished ``KnowledgeBase`` loads in 5-15 ms. The copy lives in the user's cache folder
under a name that is the sha256 of appaudit's version, of the modules whose classes it holds, and of
every data file (and of the user's tracker cache, when one is used), so an edited file or class, an
update or a new release never reads a stale copy; copies of other keys are removed when a new one is written.

Why pickle: the result is a graph of frozen dataclasses with compiled patterns and shared entries,
which pickle keeps as it is; a generic format would rebuild every object. The file is written by
appaudit into the user's own cache folder, and whoever can replace it can already change what that
user runs, so unpickling it gives no one anything new. Anything unreadable is rebuilt from the TOML.
"""

from __future__ import annotations

import hashlib
import io
import pickle  # noqa: S403 -- our own file in the user's cache folder, see the docstring
import types
from collections.abc import Callable
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import scanner.model as scanner_model
from scanner.atomic import write_atomic_bytes
from scanner.version import __version__
from signatures import documents, model, regexset
from signatures.model import KnowledgeBase

if TYPE_CHECKING:
    import logging

PREFIX = "kb-"
SUFFIX = ".pickle"


# the modules whose classes the pickle holds: a changed class layout (a developer's edit, between releases)
# must never load a stale copy
_PICKLED_MODULES = (Path(model.__file__), Path(documents.__file__), Path(regexset.__file__),
                    Path(scanner_model.__file__))


def _log() -> logging.Logger:
    """This module's logger; ``logging`` is imported only when there is something to say (a scan has not)."""
    import logging

    return logging.getLogger(__name__)


def key(data: Traversable | Path, trackers_cache: Path | None) -> str:
    """sha256 over appaudit's version, the pickled classes' modules and every data file (and the tracker cache)."""
    digest = hashlib.sha256(f"appaudit {__version__}\0".encode())
    for module in _PICKLED_MODULES:
        digest.update(module.read_bytes() + b"\0")
    for item in sorted(data.iterdir(), key=lambda i: i.name):
        if item.is_file():
            digest.update(item.name.encode() + b"\0" + item.read_bytes() + b"\0")
    if trackers_cache is not None:
        digest.update(b"trackers-cache\0" + trackers_cache.read_bytes())
    return digest.hexdigest()


def read_only(items: dict[Any, Any]) -> types.MappingProxyType[Any, Any]:
    """Rebuilds a read-only mapping when the copy is loaded (pickle cannot name ``mappingproxy``)."""
    return types.MappingProxyType(items)


class _Pickler(pickle.Pickler):
    """Pickles the read-only mappings the knowledge base uses through ``read_only``."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, types.MappingProxyType):
            return read_only, (dict(obj),)
        return NotImplemented


def _dumps(kb: KnowledgeBase) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(kb)
    return buffer.getvalue()


def load(folder: Path, data: Traversable | Path, trackers_cache: Path | None,
         build: Callable[[], KnowledgeBase]) -> KnowledgeBase:
    """The compiled copy in ``folder`` for this data, else ``build()`` (and keep its copy for the next run)."""
    try:
        path = folder / f"{PREFIX}{key(data, trackers_cache)}{SUFFIX}"
    except OSError as exc:  # the tracker cache vanished between the check and the read
        _log().debug("knowledge base not keyed (%s); building it", exc)
        return build()
    try:
        kb = pickle.loads(path.read_bytes())  # noqa: S301 -- our own file, named by the data's hash
        if isinstance(kb, KnowledgeBase):
            return kb
    except FileNotFoundError:
        pass
    except Exception as exc:  # noqa: BLE001 -- a damaged copy of any kind is rebuilt from the TOML
        _log().debug("ignoring the compiled knowledge base %s: %r", path, exc)
    kb = build()
    _store(folder, path, kb)
    return kb


def _store(folder: Path, path: Path, kb: KnowledgeBase) -> None:
    """Write the copy atomically and drop copies of other keys; a read-only cache folder only costs speed."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic_bytes(path, _dumps(kb), durable=False)
        for old in folder.glob(f"{PREFIX}*{SUFFIX}"):
            if old != path:
                old.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError) as exc:
        _log().debug("could not keep the compiled knowledge base in %s: %s", folder, exc)
