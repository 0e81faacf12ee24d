"""A thread that samples something at an interval while a ``with`` block runs."""

from __future__ import annotations

import threading
from typing import Self


class Sampler:
    """Call :meth:`sample` now and every ``interval`` seconds until the block ends."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.interval):
                return

    def sample(self) -> None:
        """Take one sample (subclasses say what)."""
        raise NotImplementedError
