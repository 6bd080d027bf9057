"""Trial ownership: a worker reclaims only trials whose worker is gone; each trial runs once."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
from optuna.trial import TrialState

from l2gpu.search import SearchSpace, complete_study, open_study
from l2gpu.search.results import WORKER_COLUMN
from l2gpu.search.workers import (
    HOST_KEY,
    PID_KEY,
    RECLAIMED_KEY,
    WORKER_KEY,
    Judge,
    Worker,
    pid_alive,
    process_started,
    worker_seed,
)
from tests.search.test_resume import ROOT, worker
from tests.search.toy import SPACE, Recorder, finished_configs, spec, toy_result

ME = Worker.this_process(7)


def judge(records=None, active=(7,), stale_after_s=60.0):
    return Judge(ME, set(active), records or {}, stale_after_s)


def owner(ordinal, host=ME.host, pid=ME.pid):
    return {WORKER_KEY: ordinal, HOST_KEY: host, PID_KEY: pid}


@pytest.fixture
def dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def live_pid():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield child.pid
    child.kill()
    child.wait()


def test_a_worker_is_gone_when_its_process_is(dead_pid, live_pid):
    assert not judge().owner_gone(owner(7))  # this very worker
    assert judge().owner_gone(owner(3))  # this process, a worker that has ended
    assert judge().owner_gone(owner(4, pid=dead_pid))
    assert not judge().owner_gone(owner(5, pid=live_pid))
    started = process_started(live_pid)
    assert started is not None
    records = {"l2gpu.worker.5": {"host": ME.host, "pid": live_pid, "started": started + 1}}
    assert judge(records).owner_gone(owner(5, pid=live_pid)), "a reused pid is not the owner"


def test_a_killed_worker_not_reaped_yet_is_gone():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert pid_alive(child.pid)
        os.kill(child.pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert not pid_alive(child.pid), "a zombie (dead, its parent has not waited) is gone"
        assert judge().owner_gone(owner(3, pid=child.pid))
    finally:
        child.wait()


def test_another_host_is_judged_by_its_heartbeat():
    now = time.time()
    fresh = {"l2gpu.worker.2": {"host": "elsewhere", "pid": ME.pid, "beat": now - 5}}
    stale = {"l2gpu.worker.2": {"host": "elsewhere", "pid": ME.pid, "beat": now - 600}}
    away = owner(2, host="elsewhere")
    assert not judge(fresh).owner_gone(away)
    assert judge(stale).owner_gone(away)
    assert not judge(stale, stale_after_s=None).owner_gone(away), "None: never reclaimed"


def test_worker_seeds_differ_and_the_first_is_the_base_seed():
    seeds = [worker_seed(11, k) for k in range(50)]
    assert seeds[0] == 11 and len(set(seeds)) == 50


SEARCH = SearchSpace.from_lists(SPACE)


def _running_trial(handle, entry, attrs):
    """A RUNNING trial as another worker would have left it; returns its storage id."""
    params = {**SEARCH.from_unit(np.full((1, len(SEARCH.distributions)), 0.25))[0], "entry": entry}
    template = optuna.trial.create_trial(
        state=TrialState.RUNNING,
        params=params,
        distributions=SEARCH.distributions,
        user_attrs=attrs,
    )
    return handle.storage.storage.create_new_trial(handle.study_id, template), params


def test_a_dead_workers_trial_is_reclaimed_and_a_live_ones_is_waited_for(
    tmp_path, dead_pid, live_pid
):
    handle = open_study(spec(tmp_path))
    _running_trial(handle, 0.3, owner(0, pid=dead_pid))
    live, params = _running_trial(handle, 0.6, owner(1, pid=live_pid))
    storage = handle.storage.storage

    def the_live_worker_finishes():
        time.sleep(1.5)
        result = toy_result(pd.DataFrame([SEARCH.config(params)]))
        table = result.table.assign(trial=[1], **{WORKER_COLUMN: 1})
        assert result.bucket_pnl is not None
        handle.store.write("w00001-b000000", table, result.bucket_pnl)
        storage.set_trial_state_values(live, TrialState.COMPLETE, [float(table.pnl[0])])

    helper = threading.Thread(target=the_live_worker_finishes)
    helper.start()
    evaluate = Recorder()
    result = complete_study(handle, 6, 4, SPACE, evaluate)
    helper.join()
    assert result.reclaimed == 1 and evaluate.evaluated == 5
    trials = {t.number: t for t in handle.study.get_trials()}
    assert len(trials) == 6 and all(t.state == TrialState.COMPLETE for t in trials.values())
    assert trials[0].user_attrs[RECLAIMED_KEY] == 0 and trials[0].user_attrs[PID_KEY] == ME.pid
    assert trials[1].user_attrs[PID_KEY] == live_pid, "the live worker's trial stays its own"
    assert list(result.table.trial) == list(range(6))
    assert evaluate.calls[0].entry.tolist() == [0.3], "the reclaimed trial runs in its own batch"


@pytest.mark.parametrize(
    "storage", [None, "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_three_workers_share_one_study_and_run_each_trial_once(tmp_path, storage, request):
    log = tmp_path / "evaluations.jsonl"
    url = {
        None: None,
        "sqlite": f"sqlite:///{tmp_path}/optuna.db",
        "postgres": request.getfixturevalue("postgres_url") if storage == "postgres" else None,
    }[storage]
    args = {
        "folder": str(tmp_path),
        "log": str(log),
        "n_trials": 60,
        "batch_size": 4,
        "sleep_s": 0.2,
        "storage": url,
        "go": str(tmp_path / "go"),
    }
    workers = [
        subprocess.Popen(worker(args), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    deadline = time.monotonic() + 240
    while len(list(tmp_path.glob("ready-*"))) < 3:
        assert all(p.poll() is None for p in workers), "a worker died before it started"
        assert time.monotonic() < deadline, "the workers never got ready"
        time.sleep(0.05)
    (tmp_path / "go").touch()
    outputs = []
    for process in workers:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err.decode()[-3000:]
        outputs.append(json.loads(out.decode().strip().splitlines()[-1]))
    assert sum(o["evaluated"] for o in outputs) == 60
    assert all(o["rows"] == 60 and o["trials"] == list(range(60)) for o in outputs)
    assert len({o["digest"] for o in outputs}) == 1, "every worker reports the whole study"
    evaluated = Counter(finished_configs(log))
    assert len(evaluated) == 60 and set(evaluated.values()) == {1}
    handle = open_study(spec(tmp_path, storage=url))
    trials = handle.study.get_trials()
    assert len(trials) == 60 and all(t.state == TrialState.COMPLETE for t in trials)
    owners = Counter(t.user_attrs[WORKER_KEY] for t in trials)
    hosts = {t.user_attrs[HOST_KEY] for t in trials}
    assert sorted(owners) == [0, 1, 2] and hosts == {socket.gethostname()}
    pids = {t.user_attrs[PID_KEY] for t in trials}
    assert len(pids) == 3 and os.getpid() not in pids
    records = handle.study.user_attrs
    assert {f"l2gpu.worker.{k}" for k in range(3)} <= set(records)


def test_workers_do_not_repeat_each_others_proposals(tmp_path):
    first = complete_study(open_study(spec(tmp_path)), 10, 10, SPACE, Recorder())
    # A second worker (a rerun) draws with its own seed: no repeat of the first's proposals.
    more = complete_study(open_study(spec(tmp_path)), 20, 10, SPACE, Recorder())
    entries = more.table.entry.tolist()
    assert len(set(entries)) == 20 and entries[:10] == first.table.entry.tolist()
