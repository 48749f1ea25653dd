"""Run jobs in a worker process with a wall-time limit; replace the worker when it fails.

Used by the local pool (one per worker thread) and on Dask workers (one per process),
so both enforce the same limits. A timeout, a worker killed by the kernel or a
MemoryError becomes that app's error result; the next job gets a fresh worker.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from collections.abc import Sequence

from scanner.batch.job import INTERNAL, Job, Row, failure_row
from signatures.model import KnowledgeBase

WORKER = (sys.executable, "-m", "scanner.batch.worker")
STARTUP_TIMEOUT = 120.0  # importing the scanner and loading the knowledge base


class IsolatedScanner:
    def __init__(self, kb: KnowledgeBase, timeout: float, max_memory: int, command: Sequence[str] = WORKER) -> None:
        self.kb = kb  # names the knowledge base in the results of apps whose worker failed
        self.timeout = timeout
        self.command = [*command, "--max-memory", str(max_memory)]
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        """Start the worker now (it is started on first use otherwise)."""
        self._start()

    def _start(self) -> subprocess.Popen[str]:
        if self.proc is None or self.proc.poll() is not None:
            env = {**os.environ, "PYTHONUNBUFFERED": "1"}
            # the command is this interpreter running appaudit's own worker module (or a test's), never user input
            self.proc = subprocess.Popen(  # noqa: S603
                self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                bufsize=1, env=env)
            ready = self._read_line(self.proc, time.monotonic() + STARTUP_TIMEOUT)
            if not ready:
                self._kill()
                raise RuntimeError(f"the scan worker did not start: {' '.join(self.command)}")
        return self.proc

    def run(self, job: Job) -> Row:
        """The app's row; a worker that fails, or answers out of turn, is replaced and the app is an error."""
        try:
            return self._run(job)
        except (OSError, RuntimeError, ValueError, KeyError, TypeError) as exc:  # no start, a garbled or foreign reply
            self._kill()
            return failure_row(job, "worker-crashed", f"the scan worker failed: {type(exc).__name__}: {exc}",
                               self.kb)

    def _run(self, job: Job) -> Row:
        proc = self._start()
        if proc.stdin is None:  # always piped by _start; checked so the type is known
            raise RuntimeError("the scan worker has no input pipe")
        try:
            proc.stdin.write(job.to_json() + "\n")
            proc.stdin.flush()
        except BrokenPipeError:
            self._kill()
            return failure_row(job, "worker-crashed", "the scan worker exited before taking the app", self.kb)
        line = self._read_line(proc, time.monotonic() + self.timeout)
        if line is None:
            self._kill()
            return failure_row(job, "timeout", f"scan exceeded the time limit of {self.timeout:g} s", self.kb)
        if not line:
            code = self._kill()
            how = "ran out of memory or was killed" if code and code < 0 else f"exited with code {code}"
            return failure_row(job, "worker-crashed", f"the scan worker {how}", self.kb)
        reply = json.loads(line)
        if reply["sha256"] != job.sha256:
            raise ValueError(f"a reply for another app ({reply['sha256']})")
        if reply["status"] == "memory":
            self._kill()  # its heap may be fragmented past use: start clean
            return failure_row(job, "out-of-memory", "scan exceeded the memory limit", self.kb)
        if reply["status"] == "crash":
            return failure_row(job, INTERNAL, f"internal error: {reply['error']}", self.kb)
        return Row(job.sha256, job.path, reply["status"], reply["error"], reply.get("code"))

    @staticmethod
    def _read_line(proc: subprocess.Popen[str], deadline: float) -> str | None:
        """A line, "" when the worker died, None when the deadline passed first."""
        if proc.stdout is None:  # always piped by _start
            raise RuntimeError("the scan worker has no output pipe")
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not sel.select(remaining):
                return None
        return proc.stdout.readline()

    def _kill(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.kill()
        code = self.proc.wait()
        self.proc = None
        return code

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
