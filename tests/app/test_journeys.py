"""User journeys: two jobs at once on a fresh store, and a job from an installed wheel."""

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

ROOT = Path(__file__).resolve().parents[2]
QUICK = ["debug=quick", "strategy=small"]


def l2gpu(python, *args):
    return [str(python), "-m", "l2gpu.cli.main", *args]


def test_two_jobs_started_together_on_a_fresh_store_both_finish(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)
    jobs = [
        subprocess.Popen(
            l2gpu(sys.executable, *QUICK, f"hydra.run.dir=run{i}"),
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(2)
    ]
    outputs = [job.communicate(timeout=600)[0] for job in jobs]
    for job, output in zip(jobs, outputs, strict=True):
        assert job.returncode == 0, output[-3000:]
    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    experiment = client.get_experiment_by_name("l2gpu")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    finished = [r.info.status for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert sorted(finished) == ["FINISHED", "FINISHED"]
    assert all((tmp_path / f"run{i}" / "results.parquet").exists() for i in range(2))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            out,
            ROOT,
        ],
        check=True,
        capture_output=True,
    )
    (found,) = out.glob("l2gpu-*.whl")
    return found


def test_the_installed_wheel_runs_the_default_job_from_an_empty_folder(wheel, tmp_path):
    """A fresh venv holds only the wheel; the dependencies come from this venv, read-only.

    The package itself (code, config tree, samples) must come from the wheel: the venv never
    sees the checkout.
    """
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", purelib, wheel],
        check=True,
        capture_output=True,
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MLFLOW_TRACKING_URI")}
    where = subprocess.run(
        [python, "-c", "import l2gpu; print(l2gpu.__file__)"],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(purelib), where
    done = subprocess.run(
        l2gpu(python), cwd=empty, env=env, capture_output=True, text=True, timeout=1500
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "Best 5 of 2,880 configs by pnl" in done.stdout
    assert (empty / "mlflow.db").exists() and list(empty.glob("outputs/runs/*/results.parquet"))
