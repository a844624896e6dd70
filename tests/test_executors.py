"""The local pool: a worker process that dies costs its own item only."""

import os

from imgpipe.executors import LocalExecutor


def double_or_die(x: int, fatal: int) -> int:
    if x == fatal:
        os._exit(3)  # as the kernel's OOM killer would end a worker: no exception, no cleanup
    return 2 * x


def test_a_dying_worker_costs_only_its_item_and_the_rest_go_on():
    pool = LocalExecutor(2)
    try:
        out = list(pool.map(double_or_die, [1, 2, 3, 4, 5], 3, crashed=lambda item, exc: ("crashed", item)))
    finally:
        pool.close()
    assert out == [2, 4, ("crashed", 3), 8, 10]


def test_without_a_handler_the_broken_pool_is_raised():
    from concurrent.futures.process import BrokenProcessPool

    import pytest

    pool = LocalExecutor(2)
    try:
        with pytest.raises(BrokenProcessPool):
            list(pool.map(double_or_die, [1, 2, 3], 2))
    finally:
        pool.close()
