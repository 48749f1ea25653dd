"""Progress of a batch: a rich bar with rate and ETA on a terminal, plain lines otherwise (CI, logs)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from scanner.batch.job import Row


class Progress:
    def __init__(self, total: int, stream: TextIO = sys.stderr, every: float = 10.0) -> None:
        self.total, self.done, self.failed = total, 0, 0
        self.stream, self.every = stream, every
        self.started = self.last = time.monotonic()
        self._bar = None
        if stream.isatty() and total:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as Bar

            self._bar = Bar(TextColumn("scanning"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[rate]:.0f} apps/min"), TimeRemainingColumn(),
                            console=None, transient=False)
            self._task = self._bar.add_task("scan", total=total, rate=0.0)
            self._bar.start()

    def update(self, row: Row) -> None:
        self.done += 1
        self.failed += row.status == "error"
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.done / elapsed * 60
        if self._bar is not None:
            self._bar.update(self._task, advance=1, rate=rate)
            return
        now = time.monotonic()
        if now - self.last >= self.every or self.done == self.total:
            self.last = now
            eta = (self.total - self.done) / (self.done / elapsed)
            print(f"batch: {self.done}/{self.total} apps, {self.failed} failed, {rate:.0f} apps/min, "
                  f"eta {eta:.0f} s", file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
