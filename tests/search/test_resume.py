"""A study survives its process: killed mid-batch it resumes; complete, it is reported again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import optuna
import pytest

from l2gpu.search import complete_study, open_study
from l2gpu.search.rounds import ERROR_KEY, StudyRun
from l2gpu.search.workers import RECLAIMED_KEY, WORKER_KEY
from tests.search.toy import SPACE, Recorder, finished_configs, spec, toy_table

ROOT = Path(__file__).resolve().parents[2]


def worker(args: dict) -> list[str]:
    return [sys.executable, "-m", "tests.search.worker", json.dumps(args)]


def run_worker(args: dict) -> dict:
    done = subprocess.run(worker(args), capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def starts(log: Path) -> int:
    if not log.exists():
        return 0
    return sum('"start"' in line for line in log.read_text().splitlines())


def stored_trials(folder: Path) -> list[int]:
    import pandas as pd

    tables = [pd.read_parquet(p) for p in folder.glob("*/results/*.parquet")]
    return sorted(int(t) for table in tables for t in table["trial"])


def test_a_study_killed_mid_batch_resumes_then_completes_then_reports(tmp_path):
    log = tmp_path / "evaluations.jsonl"
    args = {"folder": str(tmp_path), "log": str(log), "n_trials": 60, "batch_size": 10}
    # The fourth batch sleeps long inside evaluate: the kill lands there, mid-batch.
    first = subprocess.Popen(
        worker({**args, "sleep_s": 60.0, "sleep_from": 3}),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 240
    while starts(log) < 4:
        assert first.poll() is None, first.stderr.read().decode()[-3000:] if first.stderr else ""
        assert time.monotonic() < deadline, "the first run never reached its fourth batch"
        time.sleep(0.1)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert len(finished_configs(log)) == 30  # three batches evaluated, the fourth in flight

    second = run_worker(args)
    assert (second["done_before"], second["reclaimed"], second["evaluated"]) == (30, 10, 30)
    assert second["rows"] == 60 and second["trials"] == list(range(60))
    assert second["buckets"] == [3, 60]
    study = optuna.load_study(
        study_name=open_study(spec(tmp_path)).name,
        storage=optuna.storages.JournalStorage(
            optuna.storages.journal.JournalFileBackend(str(next(tmp_path.glob("*/journal.log"))))
        ),
    )
    trials = study.get_trials()
    assert len(trials) == 60 and all(t.state.name == "COMPLETE" for t in trials)
    reclaimed = [t for t in trials if RECLAIMED_KEY in t.user_attrs]
    assert [t.number for t in reclaimed] == list(range(30, 40))
    assert {t.user_attrs[RECLAIMED_KEY] for t in reclaimed} == {0}
    assert {t.user_attrs[WORKER_KEY] for t in trials} == {0, 1}
    evaluated = Counter(finished_configs(log))
    assert len(evaluated) == 60 and set(evaluated.values()) == {1}, "a config ran twice"
    assert stored_trials(tmp_path) == list(range(60))

    third = run_worker(args)
    assert (third["done_before"], third["evaluated"], third["reclaimed"]) == (60, 0, 0)
    assert third["digest"] == second["digest"]
    assert len(finished_configs(log)) == 60


def test_a_batch_kept_but_not_told_is_told_from_its_kept_results(tmp_path, monkeypatch):
    handle = open_study(spec(tmp_path))
    complete_study(handle, 8, 4, SPACE, Recorder())

    def crash(self, batch, values):
        raise KeyboardInterrupt  # the process dies after keeping the batch, before telling it

    monkeypatch.setattr(StudyRun, "tell", crash)
    with pytest.raises(KeyboardInterrupt):
        complete_study(handle, 12, 4, SPACE, Recorder())
    monkeypatch.undo()
    assert sum(t.state.name == "RUNNING" for t in handle.study.get_trials()) == 4

    again = Recorder()
    result = complete_study(open_study(spec(tmp_path)), 12, 4, SPACE, again)
    assert again.evaluated == 0 and result.evaluated == 0 and result.reclaimed == 4
    assert list(result.table.trial) == list(range(12))
    expected = toy_table(result.table[list(SPACE)])
    assert result.table.pnl.tolist() == expected.pnl.tolist()
    values = {t.number: t.values[0] for t in handle.study.get_trials()}
    assert [values[n] for n in range(8, 12)] == result.table.pnl.tolist()[8:]


def test_a_batch_whose_evaluate_raises_is_failed_and_replaced(tmp_path):
    handle = open_study(spec(tmp_path))

    def broken(configs):
        raise RuntimeError("device out of memory")

    with pytest.raises(RuntimeError, match="out of memory"):
        complete_study(handle, 6, 3, SPACE, broken)
    failed = handle.study.get_trials()
    assert [t.state.name for t in failed] == ["FAIL"] * 3
    assert failed[0].user_attrs[ERROR_KEY] == "RuntimeError: device out of memory"
    result = complete_study(handle, 6, 3, SPACE, Recorder())
    assert list(result.table.trial) == list(range(3, 9)) and result.evaluated == 6


def test_a_complete_study_is_returned_without_evaluating(tmp_path):
    first = complete_study(open_study(spec(tmp_path)), 20, 8, SPACE, Recorder())
    nothing = Recorder()
    again = complete_study(open_study(spec(tmp_path)), 15, 8, SPACE, nothing)
    assert nothing.evaluated == 0 and (again.evaluated, again.done_before) == (0, 20)
    assert again.table.equals(first.table)
    assert (again.bucket_pnl == first.bucket_pnl).all()
    more = complete_study(open_study(spec(tmp_path)), 25, 8, SPACE, Recorder())
    assert list(more.table.trial) == list(range(25)) and more.evaluated == 5
    assert more.table.iloc[:20].equals(first.table)
