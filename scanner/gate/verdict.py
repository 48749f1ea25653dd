"""The release gate: which findings fail a build, and the exit code of a run.

Exit codes: 0 passed; 1 a finding at or above ``--fail-on`` that is not accepted (with
``--fail-on-new``: only findings the baseline does not hold); 2 usage, configuration
or data error (also an output location that cannot be written, or a ``.txt`` list of inputs that
includes itself), found before any scan runs; 3 an input could not be analysed (its result is still
written); 4 an unexpected error, a bug or a failing system (one line on standard error, the traceback
with ``--debug``): the run did not finish, so it says nothing about the apps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from scanner.model import Audit, Finding, Severity, Status

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INPUT, EXIT_UNEXPECTED = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports a process ended by SIGINT


@dataclass(frozen=True, slots=True)
class Gate:
    fail_on: Severity | None = None
    fail_on_new: bool = False

    @property
    def active(self) -> bool:
        return self.fail_on is not None or self.fail_on_new

    def failing(self, audit: Audit) -> list[Finding]:
        if not self.active:
            return []
        floor = self.fail_on if self.fail_on is not None else Severity.INFO
        return [f for f in audit.findings if f.accepted is None and f.severity >= floor]


def exit_code(audits: Iterable[Audit], gate: Gate) -> int:
    audits = list(audits)
    if any(a.status is Status.ERROR for a in audits):
        return EXIT_INPUT
    return EXIT_FINDINGS if any(gate.failing(a) for a in audits) else EXIT_OK
