"""The app's privacy policy read and compared with what the scan found (CAC 2019 category 2, PIPL 17/23).

One module per job: ``find`` (a policy bundled in the app), ``load`` (a file or URL given by the user),
``read`` and ``tables`` (text, sentences, language, the third-party SDK table), ``mentions`` (SDKs,
personal information and permission purposes named in it), ``compare`` (coverage and rule hits) and
``evaluate`` (precision and recall against a folder of policies with a ``truth.toml``).
Entry points: ``find_bundled``, ``load_policy``, ``read_policy``, ``compare``.
"""

from __future__ import annotations

from scanner.privacy_policy.compare import compare
from scanner.privacy_policy.errors import PolicyError
from scanner.privacy_policy.find import find_bundled
from scanner.privacy_policy.load import FetchLimits, load_policy
from scanner.privacy_policy.model import Policy, PolicyResult, PolicySource, RawPolicy
from scanner.privacy_policy.read import read_policy

__all__ = [
    "FetchLimits", "Policy", "PolicyError", "PolicyResult", "PolicySource", "RawPolicy", "compare",
    "find_bundled", "load_policy", "read_policy",
]
