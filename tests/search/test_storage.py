"""Storage: the batched journal, the results kept beside it, and what makes the same study."""

from __future__ import annotations

import json

import numpy as np
import optuna
import pandas as pd
import pytest

from l2gpu.search import complete_study, make_storage, open_study, study_name
from l2gpu.search.journal import JournalFile
from l2gpu.search.results import WORKER_COLUMN, FolderStore, assemble
from l2gpu.search.storage import storage_kind, without_password
from tests.search.toy import SPACE, Recorder, spec


def standard_journal(path) -> optuna.storages.JournalStorage:
    """Optuna's own journal backend: the reference reader of the file format."""
    return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path)))


def test_a_batch_reaches_the_file_only_when_it_ends_and_optuna_reads_it(tmp_path):
    path = tmp_path / "journal.log"
    journal = JournalFile(path)
    storage = optuna.storages.JournalStorage(journal)
    study = optuna.create_study(storage=storage, study_name="s")
    size = path.stat().st_size
    with journal.batch():
        for k in range(5):
            trial = study.ask()
            trial.suggest_float("x", 0, 1)
            study.tell(trial, float(k))
        assert path.stat().st_size == size, "nothing is written inside a batch"
        assert len(study.get_trials()) == 5, "yet the study sees its own operations"
    assert path.stat().st_size > size
    again = optuna.load_study(study_name="s", storage=standard_journal(path))
    assert [t.value for t in again.get_trials()] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert [t.params for t in again.get_trials()] == [t.params for t in study.get_trials()]


def test_another_process_sees_the_journal_grow(tmp_path):
    path = tmp_path / "journal.log"
    writer = optuna.storages.JournalStorage(JournalFile(path))
    reader = optuna.storages.JournalStorage(JournalFile(path))
    study = optuna.create_study(storage=writer, study_name="s")
    study.enqueue_trial({"x": 0.5})
    seen = optuna.load_study(study_name="s", storage=reader)
    assert len(seen.get_trials()) == 1
    study.enqueue_trial({"x": 0.7})
    assert len(seen.get_trials()) == 2


def test_a_partial_last_record_is_cut_off_counted_and_reported(tmp_path):
    path = tmp_path / "journal.log"
    study = optuna.create_study(storage=optuna.storages.JournalStorage(JournalFile(path)))
    study.enqueue_trial({"x": 0.5})
    partial = b'{"op_code":4,"worker_id":"killed-mid-wri'  # a writer killed mid-write
    with path.open("ab") as f:
        f.write(partial)
    journal = JournalFile(path)
    storage = optuna.storages.JournalStorage(journal)
    name = study.study_name
    resumed = optuna.load_study(study_name=name, storage=storage)
    assert len(resumed.get_trials()) == 1 and journal.repairs == []
    resumed.enqueue_trial({"x": 0.25})  # the next write repairs the tail first
    assert len(journal.repairs) == 1 and f"{len(partial)} bytes" in journal.repairs[0]
    trials = optuna.load_study(study_name=name, storage=standard_journal(path)).get_trials()
    assert [t.system_attrs["fixed_params"]["x"] for t in trials] == [0.5, 0.25]


def test_a_journal_line_that_is_not_json_names_the_file(tmp_path):
    path = tmp_path / "journal.log"
    path.write_text("not json\n")
    with pytest.raises(ValueError, match=r"journal\.log: operation 0 is not valid JSON"):
        optuna.storages.JournalStorage(JournalFile(path))


def test_storage_urls():
    assert [storage_kind(u) for u in (None, "journal", "journal:/x/j.log", "memory")] == [
        "journal",
        "journal",
        "journal",
        "memory",
    ]
    for url in ("sqlite:///o.db", "postgresql+psycopg://u@h/db", "mysql://u@h/db"):
        assert storage_kind(url) == "rdb"
    assert without_password("postgresql+psycopg://me:secret@db:5432/l2") == (
        "postgresql+psycopg://me:***@db:5432/l2"
    )


def test_a_sqlite_study_resumes_like_a_journal_one(tmp_path):
    url = f"sqlite:///{tmp_path}/optuna.db"
    complete_study(open_study(spec(tmp_path, storage=url)), 9, 4, SPACE, Recorder())
    again = Recorder()
    result = complete_study(open_study(spec(tmp_path, storage=url)), 14, 4, SPACE, again)
    assert (result.done_before, again.evaluated) == (9, 5)
    assert list(result.table.trial) == list(range(14))
    assert (tmp_path / "optuna.db.l2gpu-lock").exists()
    assert make_storage(url, tmp_path).description == f"SQLite {tmp_path}/optuna.db"


def test_a_memory_study_keeps_nothing_on_disk(tmp_path):
    result = complete_study(open_study(spec(tmp_path, storage="memory")), 10, 4, SPACE, Recorder())
    assert len(result.table) == 10 and not list(tmp_path.iterdir())


def test_stored_results_read_back_as_they_were_written(tmp_path):
    store = FolderStore(tmp_path)
    table = pd.DataFrame(
        {
            "signal": ["a", "b", "a"],
            "max_hold": [50, "1s", None],
            "entry": [0.1, 0.2, np.nan],
            "n_trades": np.array([1, 2, 3], dtype=np.int64),
            "trial": [4, 5, 6],
            WORKER_COLUMN: [0, 0, 0],
        }
    )
    table["max_hold"] = table["max_hold"].astype(object)
    pnl = np.arange(6.0).reshape(2, 3)
    store.write("w00000-b000000", table, pnl)
    (loaded,) = FolderStore(tmp_path).load()
    pd.testing.assert_frame_equal(loaded.table, table, check_exact=True)
    assert loaded.table["max_hold"].tolist() == [50, "1s", None]
    np.testing.assert_array_equal(loaded.bucket_pnl, pnl)
    (tmp_path / "w00000-b000001.npy").write_bytes(b"")  # killed before its Parquet file
    assert len(FolderStore(tmp_path).load()) == 1


def test_a_stored_batch_that_does_not_match_names_its_files(tmp_path):
    store = FolderStore(tmp_path)
    table = pd.DataFrame({"trial": [0, 1], WORKER_COLUMN: [0, 0]})
    store.write("w00000-b000000", table, np.zeros((2, 2)))
    np.save(tmp_path / "w00000-b000000.npy", np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"w00000-b000000\.npy: bucket pnl of shape \(2, 3\)"):
        FolderStore(tmp_path).load()


def test_a_trial_stored_twice_takes_the_row_of_the_worker_that_told_it(tmp_path):
    store = FolderStore(tmp_path)
    late = pd.DataFrame({"trial": [0, 1], "pnl": [1.0, 2.0], WORKER_COLUMN: [0, 0]})
    store.write("w00000-b000000", late, np.array([[1.0, 2.0]]))
    again = pd.DataFrame({"trial": [1], "pnl": [2.5], WORKER_COLUMN: [1]})
    store.write("w00001-b000000", again, np.array([[2.5]]))
    table, pnl, missing = assemble(store.load(), {0: 0, 1: 1, 2: 1})
    assert table.to_dict("list") == {"trial": [0, 1], "pnl": [1.0, 2.5]}
    assert pnl.tolist() == [[1.0, 2.5]] and missing == [2]


def test_a_study_is_named_by_what_it_searches():
    identity = {"searched": {"data": "btc", "strategy": {"entry": [0.1, 0.2]}}, "seed": 0}
    name = study_name("btc", identity)
    assert name == study_name("btc", json.loads(json.dumps(identity)))
    assert name == study_name("btc", {"seed": 0, "searched": identity["searched"]})
    assert name != study_name("btc", {**identity, "seed": 1})
    assert name.startswith("btc-") and len(name) == len("btc-") + 12


def test_a_named_study_refuses_a_different_search(tmp_path):
    complete_study(open_study(spec(tmp_path, name="mine")), 4, 4, SPACE, Recorder())
    with pytest.raises(ValueError, match=r"^sweep\.study_name: study 'mine' .* different search"):
        open_study(spec(tmp_path, name="mine", seed=1))
    assert len(open_study(spec(tmp_path, name="mine")).study.get_trials()) == 4


def test_complete_trials_without_kept_results_are_an_error_not_a_rerun(tmp_path):
    handle = open_study(spec(tmp_path))
    complete_study(handle, 4, 4, SPACE, Recorder())
    for path in (tmp_path / handle.name / "results").iterdir():
        path.unlink()
    evaluate = Recorder()
    with pytest.raises(ValueError, match=r"4 complete trial\(s\) .* not kept"):
        complete_study(open_study(spec(tmp_path)), 4, 4, SPACE, evaluate)
    assert evaluate.calls == []
