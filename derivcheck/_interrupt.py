"""Ctrl-C during a run of claims, seen even where Python drops its KeyboardInterrupt."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["CtrlC"]


class CtrlC:
    """Ctrl-C seen during a run, even where Python drops its KeyboardInterrupt.

    Python raises KeyboardInterrupt wherever the main thread is; inside a
    garbage-collector callback (Hypothesis installs one) the exception is
    printed and ignored, and the run went on to the end. While a run is on, a
    SIGINT handler notes the signal before raising, and the run stops before its
    next claim if the exception was lost. The previous handler is put back
    after; a handler the user installed is left alone.

    >>> ctrl_c = CtrlC()
    >>> with ctrl_c.watching():
    ...     ctrl_c.check()  # no Ctrl-C came: nothing is raised
    >>> ctrl_c.seen
    False
    """

    def __init__(self) -> None:
        self.seen = False

    def _handler(self, signum, frame):
        self.seen = True
        raise KeyboardInterrupt

    def check(self) -> None:
        """Raise KeyboardInterrupt if Ctrl-C came and its exception was lost."""
        if self.seen:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def watching(self) -> Iterator[CtrlC]:
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread() or \
                signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            yield self
            return
        signal.signal(signal.SIGINT, self._handler)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler)
