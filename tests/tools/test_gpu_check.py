"""``make gpu-check`` in its dry-run mode (the simulator, tiny sizes), and its carried wheels."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tools.carried_wheels import MissingDependencyError, ensure_importable

ROOT = Path(__file__).resolve().parents[2]
STEPS = ["environment", "pytest", "parity", "bench_features", "sweep_blocks", "bench_sweep"]


def gpu_check(out, *args):
    return subprocess.run(
        [sys.executable, "-m", "tools.gpu_check", "--dry-run", "--out", str(out), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_dry_run_runs_every_step_and_writes_both_reports(tmp_path):
    done = gpu_check(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "gpu-check.json").read_text())
    assert [s["name"] for s in report["steps"]] == STEPS
    assert all(s["status"] == "ok" for s in report["steps"]), report["steps"]
    steps = {s["name"]: s for s in report["steps"]}
    assert steps["pytest"]["tests"] > 0 and steps["pytest"]["failures"] == 0
    for sample in steps["parity"]["samples"]:
        assert sample["sweep"]["tables_bit_identical"], sample
        assert sample["sweep"]["trades"] > 0
    assert [r["configs"] for r in steps["bench_sweep"]["rows"]] == [2, 4]
    assert steps["bench_features"]["timing"]["alone_seconds"]
    assert [r["configs"] for r in steps["sweep_blocks"]["sizes"]] == [3]
    assert [r["cap"] for r in steps["sweep_blocks"]["register_caps"]] == ["shipped"]
    markdown = (tmp_path / "gpu-check.md").read_text()
    assert markdown.startswith("# gpu-check (dry-run (simulator))")
    assert all(f"| {name} | ok |" in markdown for name in STEPS)


def test_a_failing_step_is_reported_and_the_others_still_run(tmp_path):
    done = gpu_check(
        tmp_path,
        "--tests",
        "tests/does_not_exist.py",
        "--skip",
        "parity",
        "bench_features",
        "sweep_blocks",
    )
    assert done.returncode == 1
    report = json.loads((tmp_path / "gpu-check.json").read_text())
    status = {s["name"]: s["status"] for s in report["steps"]}
    assert status == {"environment": "ok", "pytest": "failed", "bench_sweep": "ok"}
    assert "| pytest | failed |" in (tmp_path / "gpu-check.md").read_text()


def test_missing_modules_are_installed_from_carried_wheels(tmp_path):
    package = tmp_path / "probe"
    (package / "gk_probe_module").mkdir(parents=True)
    (package / "gk_probe_module" / "__init__.py").write_text("ANSWER = 42\n")
    (package / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "gk-probe"\nversion = "1.0"\n'
    )
    wheels = tmp_path / "wheels"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run(
        [*build, "--no-index", "-w", str(wheels), str(package)],
        check=True,
        capture_output=True,
    )
    needed = {"gk_probe_module": "gk-probe"}
    with pytest.raises(MissingDependencyError, match="no wheels in"):
        ensure_importable(tmp_path / "empty", tmp_path / "site", needed)
    assert ensure_importable(wheels, tmp_path / "site", needed) == ["gk-probe"]
    import gk_probe_module

    assert gk_probe_module.ANSWER == 42
    assert ensure_importable(wheels, tmp_path / "site", needed) == []
