"""SIGINT and SIGTERM during a shift: both become `Cancelled`, which rolls the shift back.

GitHub cancels a step by sending SIGINT to its entry process, SIGTERM 7.5 s later and killing the
process tree 2.5 s after that (docs.github.com, "Workflow cancellation reference"), so a shift has
at most 10 s from the first signal and 2.5 s from SIGTERM. A Terraform apply takes longer than
either (11 s against the emulator, `make bench-shift`), so a cancelled shift restores the weights
through the ELBv2 API (ModifyListener, then DescribeListeners to read them back), well under a
second, and leaves Terraform's state to the next run (which refreshes it before anything else).

While a step's Terraform apply runs, a signal is held: it is passed on to Terraform as SIGINT (its
graceful stop: it finishes the call under way, writes its state and releases its lock) and raised
once Terraform has exited. While a rollback runs, further signals are ignored.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)
GITHUB_GRACE_SECONDS = 7.5 + 2.5
"""From GitHub's SIGINT to its kill of the process tree (SIGTERM comes 7.5 s after SIGINT)."""


class Cancelled(Exception):
    """The shift was told to stop (SIGINT or SIGTERM); `str()` names the signal."""


class _Depth:
    """How many `with` blocks of one kind are open: they nest, and the kind holds while one is."""

    def __init__(self) -> None:
        self.open = 0

    def __bool__(self) -> bool:
        return self.open > 0

    @contextlib.contextmanager
    def inside(self) -> Iterator[None]:
        self.open += 1
        try:
            yield
        finally:
            self.open -= 1


class _State:
    def __init__(self) -> None:
        self.holding = _Depth()
        self.ignoring = _Depth()
        self.pending: str | None = None
        self.children: set[subprocess.Popen[Any]] = set()


_state = _State()


def _handler(signum: int, _frame: FrameType | None) -> None:
    name = signal.Signals(signum).name
    if _state.ignoring:
        return
    if _state.holding:
        _state.pending = _state.pending or name
        for child in list(_state.children):
            with contextlib.suppress(OSError):
                child.send_signal(signal.SIGINT)
        return
    raise Cancelled(name)


@contextlib.contextmanager
def cancellable() -> Iterator[None]:
    """SIGINT and SIGTERM raise `Cancelled` inside; the previous handlers are back after."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach only the main thread; there is nothing to install
        return
    previous = {sig: signal.signal(sig, _handler) for sig in SIGNALS}
    _state.pending = None
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def held() -> Iterator[None]:
    """A signal inside is held (and passed on to Terraform) and raised as `Cancelled` at the end."""
    with _state.holding.inside():
        yield
    if not _state.holding and _state.pending and not _state.ignoring:
        name, _state.pending = _state.pending, None
        raise Cancelled(name)


@contextlib.contextmanager
def ignored() -> Iterator[None]:
    """Signals inside are ignored (a rollback must finish)."""
    try:
        with _state.ignoring.inside():
            yield
    finally:
        _state.pending = None


def run_child(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """`subprocess.run(args, capture_output=True, text=True, timeout=...)` whose child a held signal reaches."""
    timeout = kwargs.pop("timeout", None)
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs) as child:
        _state.children.add(child)
        try:
            out, err = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            out, err = child.communicate()
            return subprocess.CompletedProcess(args, -9, out, err + f"\n(killed after {timeout} s)")
        finally:
            _state.children.discard(child)
    return subprocess.CompletedProcess(args, child.returncode, out, err)
