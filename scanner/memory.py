"""A cap on the address space of this process, so runaway allocation becomes a MemoryError.

A hostile app must not make a scan swap the machine: with the cap, an allocation past it fails in
Python (``MemoryError``), and that app's result says so while the others go on. Batch workers and
``appaudit scan`` set it after their imports and the knowledge base, so only the analysis counts.
"""

from __future__ import annotations

import resource

DEFAULT_MB = 4096


def address_space() -> int:
    """Bytes of address space this process maps now (0 where /proc is not there)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def limit_memory(megabytes: int) -> None:
    """Let the process map at most ``megabytes`` more than it maps now (0: no cap).

    Relative to what the imports already mapped, because that differs between machines (a
    numerical library reserves address space per core) and is not the analysis's doing. Never
    above a hard limit already set.
    """
    if megabytes > 0:
        limit = address_space() + (megabytes << 20)
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        soft = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
