"""The command lines of ``docker/compose.yaml``, run outside a container, as CI can.

Each service's entry point and command are read from the compose file and interpolated as
Compose does (``${NAME}``, ``${NAME:-default}``, ``${NAME:?error}``), with the PostgreSQL URLs
pointed at SQLite files (the PostgreSQL-backed run is the three-worker test of ``.ci/run``).
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
COMPOSE = yaml.safe_load((DOCKER / "compose.yaml").read_text())
BIN = Path(sys.executable).parent
_VARIABLE = re.compile(r"\$\{(\w+)(?:(:-|:\?)([^${}]*))?\}")


def interpolate(text, env):
    """Compose's variables in ``text``, the innermost first."""
    while match := _VARIABLE.search(text):
        name, kind, other = match.groups()
        value = env.get(name)
        if not value:
            if kind == ":?":
                raise KeyError(f"{name}: {other}")
            value = other if kind == ":-" else ""
        text = text[: match.start()] + value + text[match.end() :]
    return text


def command(service, env):
    spec = COMPOSE["services"][service]
    return [interpolate(str(part), env) for part in [*spec["entrypoint"], *spec["command"]]]


def test_interpolation_follows_compose():
    env = {"A": "a", "EMPTY": ""}
    assert interpolate("${A}-${B:-b}-${EMPTY:-e}-${B:-x${A}y}", env) == "a-b-e-xay"
    with pytest.raises(KeyError, match="B: set it"):
        interpolate("${B:?set it}", env)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(argv, cwd):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.Popen(argv, cwd=cwd, env=env, start_new_session=True)


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for(url, process, seconds=240):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{url}: the server exited with {process.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer in {seconds} s")


def test_no_credentials_are_committed_and_the_context_is_clean():
    password = COMPOSE["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"]
    with pytest.raises(KeyError, match=r"POSTGRES_PASSWORD: set POSTGRES_PASSWORD in docker/\.env"):
        interpolate(password, {})
    text = (DOCKER / "compose.yaml").read_text()
    assert not re.search(r"://[^$/\s]+:[^$@\s]+@", text), "a URL with a literal password"
    example = dict(
        line.split("=", 1)
        for line in (DOCKER / "env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert example["POSTGRES_PASSWORD"] == ""
    ignored = (ROOT / ".dockerignore").read_text().split()
    for path in (".git", ".venv", "mlruns", "mlflow.db", "outputs", ".env", "docker/.env"):
        assert path in ignored, path
    for name in ("Dockerfile.cpu", "Dockerfile.gpu"):
        dockerfile = (DOCKER / name).read_text()
        assert "COPY . ." not in dockerfile and "-e " not in dockerfile, name


def test_the_mlflow_server_and_a_worker_run_as_compose_starts_them(tmp_path):
    port = free_port()
    env = {
        "POSTGRES_USER": "unused",
        "POSTGRES_PASSWORD": "unused",
        "MLFLOW_PORT": str(port),
        "MLFLOW_WORKERS": "1",
        "MLFLOW_BACKEND_STORE_URI": f"sqlite:///{tmp_path}/mlflow.db",
        "L2GPU_ARTIFACTS": str(tmp_path / "mlruns"),
        "L2GPU_STUDY_STORAGE": f"sqlite:///{tmp_path}/optuna.db",
        "L2GPU_TRACKING_URI": f"http://127.0.0.1:{port}",
        "L2GPU_TRIALS": "20",
        "L2GPU_BATCH": "10",
    }
    server = start(command("mlflow", env), tmp_path)
    try:
        wait_for(f"http://127.0.0.1:{port}/health", server)
        (tmp_path / "work").mkdir()
        tiny = ["debug=quick", "eval.top_k=2", "sweep.top_k=2"]
        worker = start(command("worker", env) + tiny, tmp_path / "work")
        assert worker.wait(600) == 0
        from mlflow.tracking import MlflowClient

        client = MlflowClient(env["L2GPU_TRACKING_URI"])
        experiment = client.get_experiment_by_name("l2gpu")
        assert experiment is not None
        runs = client.search_runs([experiment.experiment_id])
        assert runs and {run.info.status for run in runs} == {"FINISHED"}
        assert any((tmp_path / "mlruns").rglob("*")), "artifacts go to the shared artifact root"
    finally:
        stop(server)


def test_the_dask_scheduler_and_worker_run_a_cluster_sweep(tmp_path):
    distributed = pytest.importorskip(
        "distributed", reason="Dask's distributed is not installed: pip install 'l2gpu[dist]'"
    )
    from l2gpu.backtest import sweep
    from l2gpu.backtest.cluster import Stored, cluster_sweep
    from l2gpu.data import read_book
    from l2gpu.data.ingest import ingest
    from l2gpu.features import compute
    from tests.backtest.sharding import assert_identical
    from tests.samples import BTCUSDT

    port = free_port()
    env = {"DASK_PORT": str(port), "DASK_SCHEDULER": f"tcp://127.0.0.1:{port}"}
    scheduler = start(command("dask-scheduler", env), tmp_path)
    worker = start(command("dask-worker", env), tmp_path)
    try:
        ingest(BTCUSDT, format="binance", out=tmp_path / "b.parquet", depth=10)
        source = Stored(str(tmp_path / "b.parquet"), ("ofi_2s",))
        book = read_book(source.book, engine="cpu")
        signals = compute(book, ["ofi_2s"], engine="cpu")
        configs = pd.DataFrame({"signal": "ofi_2s", "entry": [0.5, 1.0, 2.0, 4.0]})
        single = sweep(book, signals, params=configs, engine="cpu", record=[2])
        with distributed.Client(env["DASK_SCHEDULER"], timeout=60) as client:
            client.wait_for_workers(1, timeout=90)
            got = cluster_sweep(
                client, "threshold", source, params=configs, record=[2], n_shards=2, engine="cpu"
            )
        assert_identical(got, single)
    finally:
        stop(worker)
        stop(scheduler)
