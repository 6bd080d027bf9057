import logging
import os
import subprocess
import sys

import pytest

from l2gpu.backend import engine as engine_module
from l2gpu.backend.engine import GpuStatus, GpuUnavailableError, resolve_engine

NO_GPU = GpuStatus(
    usable=False,
    simulator=False,
    has_cupy=False,
    device_name="",
    reason="cupy is not importable (ModuleNotFoundError)",
)


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(engine_module, "gpu_status", lambda: NO_GPU)
    engine_module._log_fallback_once.cache_clear()


def test_cpu_is_always_cpu():
    assert resolve_engine("cpu") == "cpu"


def test_unknown_engine_is_rejected():
    with pytest.raises(ValueError, match="unknown engine 'tpu'"):
        resolve_engine("tpu")


def test_gpu_without_device_names_what_is_missing_and_how_to_install(no_gpu):
    with pytest.raises(GpuUnavailableError) as err:
        resolve_engine("gpu")
    assert "cupy is not importable" in str(err.value)
    assert "l2gpu[gpu]" in str(err.value)


def test_auto_falls_back_to_cpu_and_logs_once(no_gpu, caplog):
    with caplog.at_level(logging.INFO, logger="l2gpu.backend.engine"):
        assert resolve_engine("auto") == "cpu"
        assert resolve_engine(None) == "cpu"
    fallback = [r for r in caplog.records if "runs on the CPU" in r.getMessage()]
    assert len(fallback) == 1
    assert "cupy is not importable" in fallback[0].getMessage()


def test_detection_survives_a_broken_cupy(monkeypatch):
    class Broken:
        def __getattr__(self, name):
            raise RuntimeError("CUDA driver version is insufficient")

    monkeypatch.setitem(sys.modules, "cupy", Broken())
    ok, name, reason = engine_module._probe_cupy()
    assert not ok and name == ""
    assert "insufficient" in reason


def _status_in_subprocess(env_value: str) -> str:
    code = (
        "from l2gpu.backend.engine import gpu_status, resolve_engine\n"
        "s = gpu_status(); print(s.usable, s.simulator, resolve_engine('auto'))"
    )
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": env_value}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return out.stdout.strip()


def test_simulator_is_honoured_but_never_chosen_by_auto():
    assert _status_in_subprocess("1") == "True True cpu"
