"""Executors: the same tasks in this process, in spawned processes, with errors passed on."""

from __future__ import annotations

import os

import pytest

from arealkart.errors import ConfigError
from arealkart.executors import InProcessExecutor, executor, run_ordered, run_tasks

SETTING = "as imported"
"""Changed by a test in this process: a spawned worker still sees the imported value."""


def square(n: int) -> tuple[int, int, str]:
    if n < 0:
        raise ValueError(f"negative: {n}")
    return n * n, os.getpid(), SETTING


def test_in_process_tasks_run_here_and_keep_their_errors():
    pool = InProcessExecutor()
    assert pool.submit(square, 3).result() == (9, os.getpid(), SETTING)
    failed = pool.submit(square, -1)
    with pytest.raises(ValueError, match="negative: -1"):
        failed.result()


def test_local_workers_are_spawned_and_take_nothing_from_this_process(monkeypatch):
    monkeypatch.setattr(__import__(__name__), "SETTING", "changed here")
    with executor(2) as pool:
        results = run_ordered(pool, square, range(6), desc="test", unit="task")
    assert [r[0] for r in results] == [0, 1, 4, 9, 16, 25]
    assert {r[1] for r in results}.isdisjoint({os.getpid()})
    assert {r[2] for r in results} == {"as imported"}  # spawn: not inherited from a fork


def test_results_come_with_their_position_and_a_failure_is_raised():
    with executor(1) as pool:
        done = dict(run_tasks(pool, square, [4, 2, 3], desc="test", unit="task"))
        assert {i: r[0] for i, r in done.items()} == {0: 16, 1: 4, 2: 9}
        with pytest.raises(ValueError, match="negative: -2"):
            run_ordered(pool, square, [1, -2, 3], desc="test", unit="task")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"workers": 0}, "workers must be at least 1"),
        ({"scheduler": 8786}, "scheduler must be an address"),
        ({"scheduler": " "}, "scheduler must be an address"),
    ],
)
def test_bad_executor_options_are_config_errors(options, message):
    pytest.importorskip("distributed", reason="arealkart[dask] is not installed")
    with pytest.raises(ConfigError, match=message), executor(**options):
        pass
