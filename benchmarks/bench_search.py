"""Cost of a batched Optuna study outside the sweep kernel: trials/s by sampler and storage.

The sweep is replaced by a closed-form ``evaluate`` (microseconds per batch, timed and taken
out), so what is left is the search's own cost per trial: the sampler's proposals, the storage
writes, the results kept per batch, the bookkeeping of ownership. Before timing, a study is run
to a third of its trials, stopped mid-batch as a kill would stop it (its batch in flight left
RUNNING), and resumed: it must end at exactly ``n_trials`` complete trials, every config
evaluated once and the whole-study table equal to the concatenation of the batches. Then each
sampler and storage runs after a warm-up, ``--repeat`` times, and the median is printed.

Also printed: plain Optuna ask/tell with the space's ``suggest_*`` calls (what the job did
before, one storage operation per parameter), TPE's own cost per ask against the size of the
history, and one study with the real sweep on the bundled BTCUSDT sample, for scale.
Run: ``.venv/bin/python -m benchmarks.bench_search [--quick]``. The ``postgres`` storage uses
``$L2GPU_PG_URL`` (``eval "$(python -m tools.postgres start)"``; a new study per run), e.g.
``--storages postgres sqlite --samplers random qmc --trials 1000 --rows-only``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd

from benchmarks.common import machine
from l2gpu.backtest.result import SweepResult
from l2gpu.search import SAMPLERS, SearchSpace, StudyHandle, StudySpec, complete_study, open_study
from l2gpu.search.results import MemoryStore
from l2gpu.search.storage import StudyStorage

SPACE: dict[str, list[Any]] = {
    "signal": ["imbalance_5", "ofi_2s"],
    "entry": [0.2, 0.35, 0.5, 0.65, 0.8],
    "exit": [0.0, -0.2],
    "max_hold": [50, 200, "1s", "5s"],
    "stop_loss_bps": [0.0, 2.0],
    "take_profit_bps": [0.0, 3.0],
    "size": [0.01],
    "latency": [0, 1, "50ms"],
    "cooldown": [0],
    "direction": ["long", "short", "both"],
}
"""The default strategy's space: 8 searched parameters (4 ranges, 4 choices), 2 fixed."""


class Trivial:
    """A closed-form evaluate that times itself and counts the configs it saw."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.seen: Counter[tuple[Any, ...]] = Counter()
        self.stop_at: int | None = None

    def __call__(self, configs: pd.DataFrame) -> SweepResult:
        start = time.perf_counter()
        if self.stop_at is not None and sum(self.seen.values()) >= self.stop_at:
            raise KeyboardInterrupt  # stands in for a kill: the batch in flight stays RUNNING
        entry = configs["entry"].to_numpy(dtype=float)
        pnl = -((entry - 0.7) ** 2)
        table = configs.assign(pnl=pnl, sharpe=pnl * 10, max_drawdown=np.abs(pnl))
        self.seen.update(map(tuple, configs[["signal", "entry", "exit"]].to_numpy()))
        result = SweepResult(table, bucket_pnl=np.vstack([pnl, pnl / 2]))
        self.seconds += time.perf_counter() - start
        return result


def spec(folder: Path, sampler: str, storage: str | None, tag: str) -> StudySpec:
    return StudySpec(
        {"bench": tag}, ("pnl",), sampler=sampler, folder=folder, storage=storage, prefix=tag
    )


def check_resume(folder: Path, n_trials: int, batch: int) -> None:
    """A study stopped mid-batch resumes to exactly n_trials; no config is evaluated twice."""
    evaluate = Trivial()
    evaluate.stop_at = n_trials // 3
    with contextlib.suppress(KeyboardInterrupt):
        complete_study(
            open_study(spec(folder, "qmc", None, "check")), n_trials, batch, SPACE, evaluate
        )
    evaluate.stop_at = None
    handle = open_study(spec(folder, "qmc", None, "check"))
    result = complete_study(handle, n_trials, batch, SPACE, evaluate)
    trials = handle.study.get_trials()
    assert len(trials) == n_trials and all(t.state.name == "COMPLETE" for t in trials)
    assert result.reclaimed == batch and list(result.table.trial) == list(range(n_trials))
    assert set(evaluate.seen.values()) == {1} and sum(evaluate.seen.values()) == n_trials
    assert result.bucket_pnl.shape == (2, n_trials)
    np.testing.assert_array_equal(result.bucket_pnl[0], result.table.pnl.to_numpy())
    print(f"resume check: {n_trials} trials, {result.reclaimed} reclaimed, each evaluated once: ok")


def storage_url(name: str, folder: Path) -> str | None:
    if name == "postgres":  # `eval "$(python -m tools.postgres start)"` exports it
        return os.environ["L2GPU_PG_URL"]
    return {"journal": None, "memory": "memory", "sqlite": f"sqlite:///{folder}/optuna.db"}[name]


def run_once(folder: Path, sampler: str, storage: str, n_trials: int, batch: int) -> float:
    """Seconds per trial outside ``evaluate`` of one fresh study."""
    shutil.rmtree(folder, ignore_errors=True)
    evaluate = Trivial()
    start = time.perf_counter()
    if storage == "optuna-journal":
        # The same driver on Optuna's own journal backend: an append and an fsync for each
        # storage operation, instead of one per batch phase.
        folder.mkdir(parents=True, exist_ok=True)
        path = str(folder / "optuna-journal.log")
        journal = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(path))
        study = optuna.create_study(storage=journal, study_name="bench")
        handle = StudyHandle(
            "bench",
            study,
            StudyStorage(journal, contextlib.nullcontext, path, True),
            MemoryStore(),
            ("pnl",),
            SAMPLERS[sampler].build,
            seed=0,
            sampler=sampler,
        )
    else:
        # A study on PostgreSQL outlives the folder: a new name makes a fresh one.
        tag = f"bench{time.time_ns()}" if storage == "postgres" else "bench"
        handle = open_study(spec(folder, sampler, storage_url(storage, folder), tag))
    result = complete_study(handle, n_trials, batch, SPACE, evaluate)
    seconds = time.perf_counter() - start - evaluate.seconds
    assert len(result.table) == n_trials
    return seconds / n_trials


def plain_optuna(folder: Path, storage: str, n_trials: int) -> float:
    """Seconds per trial of ask, suggest and tell straight on the storage (the old driver)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if storage == "sqlite":
        store: Any = f"sqlite:///{folder}/optuna.db"
    else:
        path = str(folder / "journal.log")
        store = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(path))
    study = optuna.create_study(storage=store, sampler=optuna.samplers.RandomSampler(seed=0))
    space = SearchSpace.from_lists(SPACE)
    start = time.perf_counter()
    for _ in range(n_trials):
        trial = study.ask()
        space.suggest(trial)
        study.tell(trial, 0.0)
    return (time.perf_counter() - start) / n_trials


def tpe_ask_seconds(history: int, asks: int = 20) -> float:
    """Seconds per TPE ask (multivariate, constant liar) after ``history`` complete trials."""
    space = SearchSpace.from_lists(SPACE)
    rng = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(seed=0, multivariate=True, constant_liar=True)
    study = optuna.create_study(sampler=sampler, direction="maximize")
    points = space.from_unit(rng.random((history, len(space.distributions))))
    study.add_trials(
        [
            optuna.trial.create_trial(
                params=p, distributions=space.distributions, value=-((p["entry"] - 0.7) ** 2)
            )
            for p in points
        ]
    )
    start = time.perf_counter()
    for _ in range(asks):
        space.suggest(study.ask())
    return (time.perf_counter() - start) / asks


def real_sweep(folder: Path, n_trials: int, batch: int) -> None:
    """One study with the real sweep on the bundled BTCUSDT sample, for scale."""
    from l2gpu.backtest import sweep
    from l2gpu.data.ingest.api import ingest
    from l2gpu.data.samples import BTCUSDT_SAMPLE
    from l2gpu.data.store import read_book
    from l2gpu.features import compute
    from l2gpu.search import signal_scales

    folder.mkdir(parents=True, exist_ok=True)
    ingest(BTCUSDT_SAMPLE, format="binance", out=folder / "book.parquet", depth=10)
    book = read_book(folder / "book.parquet", engine="cpu")
    signals = {
        k: np.asarray(v) for k, v in compute(book, list(SPACE["signal"]), engine="cpu").items()
    }
    scales = signal_scales(signals, 0.99)
    sweep_seconds = 0.0

    def evaluate(configs: pd.DataFrame) -> SweepResult:
        nonlocal sweep_seconds
        params = configs.assign(
            entry=configs.entry * configs.signal.map(scales),
            exit=configs.exit * configs.signal.map(scales),
            taker_fee_bps=5.0,
        )
        start = time.perf_counter()
        result = sweep(book, signals, params=params, engine="cpu", bucket_returns=True)
        sweep_seconds += time.perf_counter() - start
        return result

    evaluate(pd.DataFrame([{n: v[0] for n, v in SPACE.items()}]))  # compile the kernel
    sweep_seconds = 0.0
    start = time.perf_counter()
    handle = open_study(spec(folder / "study", "qmc", None, "btcusdt"))
    result = complete_study(handle, n_trials, batch, SPACE, evaluate)
    total = time.perf_counter() - start
    overhead = total - sweep_seconds
    print(
        f"real sweep, BTCUSDT sample ({len(book):,} rows), qmc, journal, {n_trials} trials in "
        f"batches of {batch}: sweep {sweep_seconds / n_trials * 1e3:.2f} ms/trial, search "
        f"{overhead / n_trials * 1e3:.3f} ms/trial ({overhead / total:.1%} of {total:.1f} s); "
        f"{len(result.table)} rows"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samplers", nargs="+", default=["random", "qmc", "cmaes", "nsga2", "tpe"])
    parser.add_argument("--storages", nargs="+", default=["memory", "journal", "sqlite"])
    parser.add_argument("--trials", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--batches", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--slow-max-trials",
        type=int,
        default=1000,
        help="most trials for the slow runs: sqlite, Optuna's journal backend, tpe",
    )
    parser.add_argument("--quick", action="store_true", help="1,000 trials, batch 100, once")
    parser.add_argument(
        "--rows-only",
        action="store_true",
        help="only the sampler x storage rows (no Optuna-journal row, plain loop, TPE, sweep)",
    )
    args = parser.parse_args()
    if args.quick:
        args.trials, args.batches, args.repeat = [1000], [100], 1
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    print(
        f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}; optuna {optuna.__version__}"
    )
    root = Path(tempfile.mkdtemp(prefix="bench_search_", dir=Path.cwd() / "outputs"))
    try:
        check_resume(root / "check", 300, 50)
        for sampler in args.samplers:  # warm up: imports, scipy's Sobol, cmaes
            run_once(root / "warm", sampler, "journal", 200, 100)
        header = ("sampler", 8), ("storage", 15), ("trials", 7), ("batch", 6), ("ms/trial", 9)
        print(" ".join(f"{name:>{width}}" for name, width in header), f"{'trials/s':>9}")
        storages = [*args.storages, *([] if args.rows_only else ["optuna-journal"])]
        for sampler in args.samplers:
            for storage in storages:
                for n_trials in args.trials:
                    slow = storage in ("sqlite", "postgres", "optuna-journal") or sampler == "tpe"
                    if slow and n_trials > args.slow_max_trials:
                        continue
                    for batch in args.batches:
                        if batch > n_trials:
                            continue
                        seconds = statistics.median(
                            run_once(root / "run", sampler, storage, n_trials, batch)
                            for _ in range(args.repeat)
                        )
                        print(
                            f"{sampler:>8} {storage:>15} {n_trials:>7} {batch:>6} "
                            f"{seconds * 1e3:>9.3f} {1 / seconds:>9.0f}",
                            flush=True,
                        )
        if args.rows_only:
            return
        for storage in ("sqlite", "journal"):
            seconds = plain_optuna(root / "plain", storage, 200)
            print(
                f"plain Optuna ask/suggest/tell, random, {storage} (Optuna's backend): "
                f"{seconds * 1e3:.1f} ms/trial",
                flush=True,
            )
        for history in (1000, 5000, 10000):
            print(
                f"TPE ask after {history:>6} trials: {tpe_ask_seconds(history) * 1e3:.1f} ms",
                flush=True,
            )
        real_sweep(root / "real", 2000, 500)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
