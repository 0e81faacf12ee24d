"""Where parallel work runs: local processes, this process, or a dask.distributed cluster.

All of arealkart's parallel work goes through the :class:`concurrent.futures.Executor`
interface, and every task takes its inputs as arguments (geometries as WKB, files by
path) rather than from inherited globals.  So the default, a pool of local processes
started with ``spawn``, behaves the same on Linux, macOS and Windows, and the very same
tasks run on a dask.distributed cluster when a build is given ``scheduler=`` (an address
such as ``tcp://10.0.0.5:8786`` or a ``dask.distributed.Client``; the optional extra
``arealkart[dask]``).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

from tqdm import tqdm

from arealkart.errors import ConfigError

__all__ = ["InProcessExecutor", "executor", "run_ordered", "run_tasks"]

T = TypeVar("T")
R = TypeVar("R")


class InProcessExecutor(Executor):
    """Runs each task at once, in this process: the executor of ``workers=1``."""

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        """Run ``fn(*args, **kwargs)`` now and return its finished future."""
        future: Future[R] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future
            future.set_exception(exc)
        return future


@contextlib.contextmanager
def executor(workers: int | None = None, scheduler: Any = None) -> Iterator[Executor]:
    """The executor a build runs its tasks on, shut down when the block ends.

    Parameters
    ----------
    workers
        Local processes (default the number of cores); 1 runs every task in this process.
        Ignored when ``scheduler`` is given.
    scheduler
        A dask.distributed scheduler address (``"tcp://host:8786"``) or a
        ``dask.distributed.Client``: run the tasks on that cluster.  A client passed in is
        left open; one made here from an address is closed.

    Raises
    ------
    ConfigError
        If ``scheduler`` is given but dask.distributed is not installed, or ``workers`` is
        less than 1.
    """
    if scheduler is not None:
        with _dask_executor(scheduler) as pool:
            yield pool
        return
    count = workers if workers is not None else os.cpu_count() or 1
    if count < 1:
        raise ConfigError(f"workers must be at least 1, got {count}")
    if count == 1:
        yield InProcessExecutor()
        return
    pool = ProcessPoolExecutor(
        max_workers=count,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    )
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def _dask_executor(scheduler: Any) -> Iterator[Executor]:
    try:
        from distributed import Client
    except ImportError as exc:
        raise ConfigError(
            "--scheduler needs dask.distributed: pip install 'arealkart[dask]'"
        ) from exc
    if isinstance(scheduler, Client):
        yield scheduler.get_executor(pure=False)
        return
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise ConfigError(
            f"scheduler must be an address such as 'tcp://127.0.0.1:8786' or a "
            f"dask.distributed.Client, got {scheduler!r}"
        )
    try:
        client = Client(scheduler, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise ConfigError(f"cannot reach the dask scheduler at {scheduler}: {exc}") from exc
    with client:
        yield client.get_executor(pure=False)


def run_tasks(
    pool: Executor,
    task: Callable[[T], R],
    items: Iterable[T],
    *,
    desc: str,
    unit: str,
    progress: bool = False,
) -> Iterator[tuple[int, R]]:
    """Run ``task`` on each item on ``pool``; yield ``(position, result)`` as each ends.

    Items are submitted in their order (put the largest first to keep workers busy); a
    task that fails cancels those not yet started and raises its error here.
    """
    futures = {pool.submit(task, item): i for i, item in enumerate(items)}
    with tqdm(total=len(futures), desc=desc, unit=unit, disable=not progress) as bar:
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
                bar.update()
        finally:
            for future in futures:
                future.cancel()


def run_ordered(pool: Executor, task: Callable[[T], R], items: Iterable[T], **bar: Any) -> list[R]:
    """``[task(item) for item in items]``, run on ``pool`` (``bar``: see :func:`run_tasks`)."""
    done = dict(run_tasks(pool, task, items, **bar))
    return [done[i] for i in range(len(done))]


def _die_with_parent(parent: int) -> None:
    """A worker's first step: end it when the build process dies, even by ``kill -9``.

    Linux sends the worker SIGKILL when its parent goes (``PR_SET_PDEATHSIG``); a parent
    already gone before that was set is caught by comparing the parent pid.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


_PR_SET_PDEATHSIG = 1
