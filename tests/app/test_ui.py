import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import mlflow


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ui_serves_the_runs_on_localhost(tmp_path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    client = mlflow.MlflowClient(uri)
    experiment = client.create_experiment("l2gpu", artifact_location=(tmp_path / "a").as_uri())
    run = client.create_run(experiment, run_name="probe")
    client.set_terminated(run.info.run_id)
    port = free_port()
    log = (tmp_path / "ui.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "l2gpu.cli.main", "ui", "--port", str(port)],
        cwd=tmp_path,
        env={**os.environ, "MLFLOW_TRACKING_URI": uri},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}/api/2.0/mlflow"
    try:
        # MLflow's server takes seconds to start on a quiet machine, over a minute on loaded cores.
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(
                    f"{base}/experiments/get-by-name?experiment_name=l2gpu", timeout=5
                ) as response:
                    found = json.load(response)
                break
            except OSError:
                said = (tmp_path / "ui.log").read_text(errors="replace")[-3000:]
                assert server.poll() is None, f"the UI server exited:\n{said}"
                assert time.monotonic() < deadline, f"the UI did not come up in 300 s:\n{said}"
                time.sleep(1)
        request = urllib.request.Request(
            f"{base}/runs/search",
            method="POST",
            data=json.dumps({"experiment_ids": [found["experiment"]["experiment_id"]]}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            runs = json.load(response)["runs"]
        assert [r["info"]["run_id"] for r in runs] == [run.info.run_id]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
