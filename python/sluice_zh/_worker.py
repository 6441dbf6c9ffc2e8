"""What the framework steps share: a `Cleaner` built in the worker process that uses it."""

from __future__ import annotations

from . import Cleaner


class WorkerCleaner:
    """A mixin for pipeline steps that frameworks pickle and ship to worker processes: the compiled
    rules are built there on first use, never pickled with the step. Set `rules_dir` and `minhash`
    in `__init__`."""

    rules_dir: str | None = None
    minhash: bool = False
    _cleaner: Cleaner | None = None

    @property
    def cleaner(self) -> Cleaner:
        if self._cleaner is None:
            self._cleaner = Cleaner(self.rules_dir, minhash=self.minhash)
        return self._cleaner

    def __getstate__(self):
        return {**self.__dict__, "_cleaner": None}
