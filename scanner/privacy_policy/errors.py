"""Typed errors for a policy that cannot be had or read: one line naming the source and the reason."""

from __future__ import annotations


class PolicyError(Exception):
    """A privacy policy could not be loaded or read; ``str()`` is the whole one-line message."""

    code = "policy-unreadable"

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class PolicyFetchError(PolicyError):
    """The URL could not be fetched: network error, timeout, HTTP status, a redirect we do not follow."""

    code = "policy-fetch-failed"


class PolicyTooLarge(PolicyError):
    code = "policy-too-large"


class PolicyUnsupported(PolicyError):
    """Not HTML, text or PDF (by content type, file name or content)."""

    code = "policy-unsupported"
