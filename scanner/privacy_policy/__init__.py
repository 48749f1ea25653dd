"""The app's privacy policy read and compared with what the scan found (CAC 2019 category 2, PIPL 17/23).

One module per job: ``find`` (a policy bundled in the app), ``load`` (a file or URL given by the user),
``read`` and ``tables`` (text, sentences, language, the third-party SDK table), ``mentions`` (SDKs,
personal information and permission purposes named in it), ``compare`` (coverage and rule hits) and
``evaluate`` (precision and recall against a folder of policies with a ``truth.toml``).
Entry points: ``find_bundled``, ``load_policy``, ``read_policy``, ``compare``.
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> module: exported lazily, so importing one part (the comparison a scan runs) does not load the
# HTML parser and the HTTP client, which only reading and fetching a policy need
_WHERE = {"compare": "compare", "PolicyError": "errors", "find_bundled": "find", "FetchLimits": "load",
          "load_policy": "load", "Policy": "model", "PolicyResult": "model", "PolicySource": "model",
          "RawPolicy": "model", "read_policy": "read"}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(name)
    return getattr(importlib.import_module(f"scanner.privacy_policy.{_WHERE[name]}"), name)


__all__ = [
    "FetchLimits", "Policy", "PolicyError", "PolicyResult", "PolicySource", "RawPolicy", "compare",
    "find_bundled", "load_policy", "read_policy",
]
