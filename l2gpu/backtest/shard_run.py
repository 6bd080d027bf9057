"""Running the shards of one sweep: CPU processes, or one thread per GPU (``docs/distributed.md``).

:func:`sharded` is what a family's sweep calls with ``workers=`` or ``devices=``; the shards,
their inputs and the exact merge are :mod:`l2gpu.backtest.shard`.

- Processes come from a ``spawn`` pool (Numba's threads and ``fork`` do not mix), started once
  per process and worker count and reused by later sweeps; each process runs Numba on its share
  of the cores. The inputs travel from the host with each shard (pickled). A process that dies
  fails the sweep with one line, and the next sweep starts a fresh pool; a process whose parent
  died (killed, even with SIGKILL) exits within a second.
- GPUs get one thread each, with the device current for CuPy (``cupy.cuda.Device(i)``) and for
  Numba (``cuda.gpus[i]``). A shard on the GPU that holds the book reads it there; a shard on
  another GPU gets one host copy of the book, which its sweep streams up in chunks. Under Numba's
  simulator the ids are labels of the one simulated device, and the shards run one after another
  on one thread (the simulator's kernel launches are not thread-safe).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

import pandas as pd

from l2gpu.backend.engine import gpu_status, resolve_engine
from l2gpu.backtest.result import SweepResult
from l2gpu.backtest.shard import (
    InMemory,
    Shard,
    check_sharding,
    device_id,
    host_signals,
    merge,
    run_shard,
    shards_of,
)
from l2gpu.data.book import Book
from l2gpu.data.trades import Trades

Progress = Callable[[int, int], None]


def sharded(
    family: str,
    book: Book,
    signals: Mapping[str, Any] | None,
    trades: Trades | None,
    configs: pd.DataFrame,
    table: pd.DataFrame,
    record: Sequence[int],
    options: Mapping[str, Any],
    workers: int | None = None,
    devices: Sequence[int] | None = None,
    progress: Progress | None = None,
) -> SweepResult:
    """Sweep the configs of ``family`` in shards; see the module doc.

    Parameters
    ----------
    family : str
        The strategy family's name.
    book, signals, trades
        The family sweep's inputs; with ``workers`` they go to the processes from the host.
    configs : pandas.DataFrame
        The configs as given, one per row (each shard's sweep normalises its own).
    table : pandas.DataFrame
        The same configs normalised as the single-process sweep does: the parameter columns of
        the result.
    record : sequence of int
        Configs (rows of ``table``) whose trades to keep.
    options : mapping
        The family sweep's other options (``engine``, ``chunk_rows``, ``sharpe_bucket``, ...).
    workers : int, optional
        CPU processes; 1 runs the one shard in this process.
    devices : sequence of int, optional
        GPU ids, one shard and one thread each.
    progress : callable, optional
        Called with (rows done, rows) as shards finish: rows x the share of configs done.

    Returns
    -------
    SweepResult
        Equal to the single-process sweep's, exactly.
    """
    check_sharding(workers, devices)
    where = resolve_engine(options.get("engine"))
    rows = len(book)
    if devices is not None:
        if where != "gpu":
            raise ValueError(f"devices={list(devices)} needs the GPU engine, not {where!r}")
        n_shards = len(devices)
    else:
        if where == "gpu":
            raise ValueError(
                "workers= shards over CPU processes and the engine is the GPU; use "
                "engine='cpu', or devices=[...] to shard over GPUs"
            )
        n_shards = workers or 1
    run_options = {**options, "engine": where}
    source = InMemory(book, signals, trades)
    ranges, shards = shards_of(family, source, configs, record, run_options, n_shards)
    started = time.perf_counter()
    report = _reporter(progress, ranges, rows)
    if devices is not None:
        parts = _run_devices(shards, list(devices), report)
    elif len(shards) == 1:
        parts = [run_shard(shards[0])]
        report(0)
    else:
        host = InMemory(book.to("cpu"), host_signals(signals), trades)
        parts = _run_processes([dataclasses.replace(s, source=host) for s in shards], report)
    return merge(table, ranges, parts, rows, time.perf_counter() - started)


def _reporter(
    progress: Progress | None, ranges: Sequence[range], rows: int
) -> Callable[[int], None]:
    total = sum(len(r) for r in ranges)
    done = [0]

    def report(shard: int) -> None:
        done[0] += len(ranges[shard])
        if progress:
            progress(rows * done[0] // total, rows)

    return report


def collect(
    futures: Sequence[Future[SweepResult]], report: Callable[[int], None]
) -> list[SweepResult]:
    """Wait for every shard, reporting each as it finishes; results in shard order."""
    index = {future: k for k, future in enumerate(futures)}
    try:
        for future in as_completed(futures):
            future.result()
            report(index[future])
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return [future.result() for future in futures]


_POOLS: dict[int, ProcessPoolExecutor] = {}


ORPHAN_POLL_S = 1.0
"""Seconds between a pool process's looks at whether its parent is still alive."""


def _exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(ORPHAN_POLL_S)
    os._exit(1)


def _init_process(threads: int, parent: int) -> None:
    import numba

    numba.set_num_threads(max(1, min(threads, numba.get_num_threads())))
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()


def _pool(workers: int) -> ProcessPoolExecutor:
    """Return the ``spawn`` pool of ``workers`` processes, started once and reused."""
    if workers not in _POOLS:
        _POOLS[workers] = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_process,
            initargs=((os.cpu_count() or 1) // workers, os.getpid()),
        )
    return _POOLS[workers]


def _run_processes(shards: Sequence[Shard], report: Callable[[int], None]) -> list[SweepResult]:
    pool = _pool(len(shards))
    try:
        return collect([pool.submit(run_shard, shard) for shard in shards], report)
    except BrokenProcessPool as exc:
        _POOLS.pop(len(shards), None)
        raise RuntimeError(
            f"a sweep worker process died ({exc}); the sweep was not merged"
        ) from exc


@contextmanager
def device_scope(device: int) -> Iterator[None]:
    """Make GPU ``device`` current in this thread, for CuPy and for Numba."""
    if gpu_status().simulator:  # one simulated device: the id is a label
        yield
        return
    import cupy
    from numba import cuda

    with cupy.cuda.Device(device), cuda.gpus[device]:
        yield


def _on_device(device: int, shard: Shard) -> SweepResult:
    with device_scope(device):
        return run_shard(shard)


def _placed(shard: Shard, device: int, host: Callable[[], InMemory]) -> Shard:
    """``shard`` with inputs the device can read: its own, or a host copy (streamed up)."""
    book = shard.source.load()[0]
    home = device_id(book.ts) if book.device == "gpu" else None
    if book.device == "cpu" or home in (None, device):
        return shard
    return dataclasses.replace(shard, source=host())


def _run_devices(
    shards: Sequence[Shard], devices: Sequence[int], report: Callable[[int], None]
) -> list[SweepResult]:
    copies: list[InMemory] = []

    def host() -> InMemory:
        if not copies:
            book, signals, trades = shards[0].source.load()
            copies.append(InMemory(book.to("cpu"), host_signals(signals), trades))
        return copies[0]

    placed = [_placed(shard, device, host) for shard, device in zip(shards, devices, strict=False)]
    threads = 1 if gpu_status().simulator else len(placed)  # the simulator is not thread-safe
    with ThreadPoolExecutor(threads, thread_name_prefix="l2gpu-device") as pool:
        futures = [
            pool.submit(_on_device, device, shard)
            for shard, device in zip(placed, devices, strict=False)
        ]
        return collect(futures, report)
