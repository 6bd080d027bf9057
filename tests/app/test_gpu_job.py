"""The whole application job on the strict simulated device (``backend=gpu``).

Ingest, features, labels, the sweep or an Optuna study, PBO, risk and the MLflow run, end to
end, under ``NUMBA_ENABLE_CUDASIM=1`` (the simulator pass of ``make test``): the device refuses
every implicit host copy, and the transfer ledger shows that the book crosses once per job and
the signals never, whatever the number of batches, folds or chunks; the results equal the CPU
job's.
"""

from collections import Counter

import numpy as np
import pytest
from mlflow.tracking import MlflowClient
from rich.console import Console

from l2gpu.backend import transfers
from l2gpu.cli import job
from l2gpu.cli.job import run_job
from tests.app.conftest import composed

pytestmark = pytest.mark.cuda_kernel

SMALL = ["debug.max_rows=400", "strategy=small", "sweep.sharpe_bucket=250ms", "sweep.chunk_rows=97"]
JOBS = {
    "grid": [],
    "optuna": ["sweep=optuna", "sweep.n_trials=24", "sweep.batch_size=8", "sweep.sampler=random"],
    "walkforward": ["eval=walkforward", "eval.train=4s", "eval.test=2s", "eval.embargo=0s"],
}
BOOK = {f"Book.{n}" for n in ("ts", "local_ts", "seq", "bid_px", "bid_sz", "ask_px", "ask_sz")}


def run(isolated, engine, extra):
    cfg = composed([*isolated, *SMALL, f"backend={engine}", f"sweep.study_name={engine}", *extra])
    return run_job(cfg, Console(width=200, record=True))


@pytest.mark.parametrize("name", sorted(JOBS))
def test_the_job_on_the_strict_device_moves_the_book_once_and_equals_the_cpu(
    name, isolated, tmp_path
):
    cpu = run([*isolated, "logger=none"], "cpu", JOBS[name])
    with transfers.recording() as moves:
        gpu = run(isolated, "gpu", JOBS[name])
    uploads = Counter(label for label in moves.labels("h2d") if not label.startswith("warm-up"))
    assert {label: uploads[label] for label in BOOK} == dict.fromkeys(BOOK, 1), moves.summary()
    explicit = [t.label for t in moves.select(explicit=True)]
    assert not [label for label in explicit if label.startswith(("signal", "sweep chunk"))]
    assert moves.nbytes("d2h") < moves.nbytes("h2d"), moves.summary()
    np.testing.assert_array_equal(gpu.table.n_trades, cpu.table.n_trades)
    np.testing.assert_allclose(gpu.table.pnl, cpu.table.pnl, rtol=1e-10)
    assert list(gpu.top.index) == list(cpu.top.index)
    run_info = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db").get_run(gpu.run_id)
    assert run_info.info.status == "FINISHED" and "pbo" in run_info.data.metrics


def test_a_host_conversion_planted_in_the_gpu_route_fails_the_job(isolated, monkeypatch):
    original = job.compute_signals

    def leaky(*args, **kwargs):
        signals = original(*args, **kwargs)
        for name, values in signals.features.items():
            signals.features[name] = np.asarray(values)  # the planted implicit copy
        return signals

    monkeypatch.setattr(job, "compute_signals", leaky)
    with pytest.raises(TypeError, match="implicit"):
        run([*isolated, "logger=none"], "gpu", [])
