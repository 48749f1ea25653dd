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

from scanner.model import Audit, Finding, Severity, Status, Verdict

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


    def describe(self) -> str:
        parts = [f"--fail-on {self.fail_on.label}"] if self.fail_on is not None else []
        return " ".join([*parts, "--fail-on-new"] if self.fail_on_new else parts)


def verdict(audit: Audit, gate: Gate) -> Verdict:
    """FAIL, REVIEW, PASS or INCOMPLETE for one app, from the same ``failing`` the exit code uses.

    A failed analysis is INCOMPLETE; an open finding that fails the gate is FAIL even when part of the
    app was unread (what was read already fails); otherwise an unread part makes the answer INCOMPLETE,
    never PASS.
    """
    failing = gate.failing(audit)
    open_ = [f for f in audit.findings if f.accepted is None]

    def answer(kind: str, reason: str) -> Verdict:
        floor = (gate.fail_on or Severity.INFO).label if gate.active else None
        return Verdict(kind, reason, gate.describe(), floor, len(failing), len(open_),
                       len(audit.findings) - len(open_))

    why = audit.errors[0].message if audit.errors else "part of the app could not be analysed"
    if audit.status is Status.ERROR:
        return answer("INCOMPLETE", f"The app could not be analysed: {why}")
    if failing:
        worst = max(f.severity for f in failing)
        reason = (f"{len(failing)} open finding{'s fail' if len(failing) != 1 else ' fails'} the gate "
                  f"({gate.describe()}); the most severe is {worst.label}")
        if audit.status is Status.PARTIAL:
            reason += "; the analysis is also incomplete, so there may be more"
        return answer("FAIL", reason + ".")
    if audit.status is Status.PARTIAL:
        return answer("INCOMPLETE", f"Part of the app could not be analysed: {why}")
    if open_:
        gate_note = f"none fails the gate ({gate.describe()})" if gate.active else "no gate was applied"
        return answer("REVIEW", f"{len(open_)} open finding{'s' if len(open_) != 1 else ''} to review; "
                       f"{gate_note}.")
    return answer("PASS", "Nothing is open: every finding was accepted, or there is none.")


def exit_code(audits: Iterable[Audit], gate: Gate) -> int:
    audits = list(audits)
    if any(a.status is Status.ERROR for a in audits):
        return EXIT_INPUT
    return EXIT_FINDINGS if any(gate.failing(a) for a in audits) else EXIT_OK
