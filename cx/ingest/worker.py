"""Analysing an upload in a child process: bounded in time, cancellable, and off the server's own cores.

Reading and profiling a hostile file can take long and holds Python's lock while it does, which
would stall every other user of the dashboard. So the Data page analyses in a child process at a
lower priority: the server's process only waits for the answer, and a cancel (or the time budget
running out) ends the child at once.

    job = start(path, file_name="export.csv", db=...)   # analyse()'s keyword arguments
    while not job.done():
        ...                                              # the page keeps drawing; a click may cancel
    plan = job.result()                                  # ImportPlan, or raises AnalysisStopped
"""

from __future__ import annotations

import multiprocessing
import os
import time
from multiprocessing.connection import Connection
from typing import Any

from cx.ingest.plan import ImportPlan
from cx.ingest.read import ImportRefused

BUDGET_S = float(os.environ.get("CX_ANALYSIS_SECONDS", "120"))
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["cx.ingest"])  # each child starts with the engine already imported


class AnalysisStopped(ImportRefused):
    """The analysis was cancelled, ran out of time, or its process died; the message says which."""


def _analyse_in_child(connection: Connection, source: str, options: dict[str, Any]) -> None:
    os.nice(10)  # the people using the dashboard come first
    from cx.ingest import analyse

    try:
        connection.send(("plan", analyse(source, **options)))
    except BaseException as error:  # everything goes back to the parent, which decides what to show
        connection.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        connection.close()


class Job:
    """One analysis running in its own process."""

    def __init__(self, source: str, budget_s: float, options: dict[str, Any]) -> None:
        self.file_name = options["file_name"]
        self.budget_s = budget_s
        self.started = time.monotonic()
        self._receive, send = _CONTEXT.Pipe(duplex=False)
        self._process = _CONTEXT.Process(target=_analyse_in_child, args=(send, source, options), daemon=True)
        self._process.start()
        send.close()
        self._answer: tuple[str, Any] | None = None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def done(self, wait_s: float = 0.0) -> bool:
        """True once the answer is in, the process has died, or the budget is spent (waits up to `wait_s`)."""
        if self._answer is None and self._receive.poll(wait_s):
            try:
                self._answer = self._receive.recv()
            except EOFError:
                self._answer = ("error", "the analysis ended without an answer")
        if self._answer is None and not self._process.is_alive() and not self._receive.poll():
            self._answer = ("error", f"the analysis stopped (exit code {self._process.exitcode})")
        if self._answer is None and self.elapsed > self.budget_s:
            self.cancel()
            self._answer = ("timeout", None)
        return self._answer is not None

    def result(self) -> ImportPlan:
        while not self.done(0.2):
            pass
        kind, value = self._answer
        self._reap()
        if kind == "plan":
            return value
        if kind == "timeout":
            raise AnalysisStopped(
                f'Reading "{self.file_name}" took longer than {self.budget_s:.0f} s, so we stopped. A file this '
                "large or this unusual imports from the command line, which has no time limit: "
                "python -m cx import FILE"
            )
        raise AnalysisStopped(f'"{self.file_name}" could not be analysed ({value}).')

    def cancel(self) -> None:
        """End the analysis now (idempotent)."""
        if self._process.is_alive():
            self._process.kill()
        self._reap()

    def _reap(self) -> None:
        self._process.join(timeout=5)
        self._receive.close()


def start(source: str, *, budget_s: float | None = None, **options: Any) -> Job:
    """Start analysing `source` (a path) with analyse()'s keyword arguments."""
    return Job(str(source), BUDGET_S if budget_s is None else budget_s, options)
