"""``make gpu-check``: what only a real NVIDIA GPU can show, in one call of under 8 minutes.

Steps, each timed; a failing step is recorded and the next one still runs:

1. ``environment``: the carried wheels installed where a module is missing
   (:mod:`tools.carried_wheels`); Python, numpy, numba, numba-cuda, CuPy, driver and device.
2. ``pytest``: the ``gpu`` and ``cuda_kernel`` tests (on a device the CUDA kernels run for real:
   planted ties, launch types, parity on random books).
3. ``parity``: CPU against GPU on both Binance samples (:mod:`tools.gpu_parity`).
4. ``bench_features``: the GPU row of ``benchmarks/bench_features.py`` (10**7 rows): the whole
   set and each feature alone as a share of the device's copy bandwidth.
5. ``sweep_blocks``: sweep-kernel steps/s at every block size for 100, 1,000 and 10,000 configs
   x 10**6 rows, then at register caps 64, 96 and 128 against the kernel as shipped
   (``benchmarks/gpu_blocks.py``; the simulator builds no caps).
6. ``bench_sweep``: the GPU rows of ``benchmarks/bench_sweep.py`` (10**3, 10**4, 10**5 configs
   x 10**7 rows) over a book on the device; a size the time left cannot hold runs on fewer rows.

``gpu-check.md`` and ``gpu-check.json`` in ``--out`` are rewritten after every step, so a run cut
short still leaves what it did. ``--dry-run`` runs the same steps on Numba's simulator with tiny
sizes (CI runs it). Sizes are flags; ``--deadline-s`` is the whole run's budget. Needs no Hydra,
Optuna or MLflow. See ``docs/gpu.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import traceback
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TEST_PATHS = ("tests/kernels", "tests/backtest", "tests/features", "tests/labels")
DRY_TEST_PATHS = ("tests/kernels/test_top_of_book.py",)


class Run:
    """The steps done so far and the time left; writes the report after every step."""

    def __init__(self, out: Path, deadline_s: float, mode: str) -> None:
        self.out, self.mode = out, mode
        self.start = time.perf_counter()
        self.deadline = self.start + deadline_s
        self.steps: list[dict[str, Any]] = []
        self.started = datetime.now(UTC).isoformat(timespec="seconds")
        out.mkdir(parents=True, exist_ok=True)

    def left(self) -> float:
        """Seconds left before the deadline."""
        return self.deadline - time.perf_counter()

    def step(self, name: str, fn: Callable[[], dict[str, Any]], needs_s: float = 0.0) -> None:
        """Run one step, recording its status, seconds and what it returned."""
        began = time.perf_counter()
        record: dict[str, Any] = {"name": name}
        if self.left() < needs_s:
            record.update(status="skipped", reason=f"{self.left():.0f} s left, needs {needs_s:.0f}")
        else:
            try:
                record.update(fn())
                record["status"] = "failed" if record.get("problems") else "ok"
            except Exception as exc:
                record.update(status="failed", error=f"{type(exc).__name__}: {exc}")
                record["traceback"] = traceback.format_exc(limit=8)
        record["seconds"] = round(time.perf_counter() - began, 1)
        self.steps.append(record)
        print(f"[gpu-check] {name}: {record['status']} in {record['seconds']} s", flush=True)
        self.write()

    def ok(self) -> bool:
        """Whether no step failed."""
        return all(s["status"] != "failed" for s in self.steps)

    def write(self) -> None:
        """Write ``gpu-check.json`` and ``gpu-check.md``."""
        report = {
            "started": self.started,
            "mode": self.mode,
            "seconds": round(time.perf_counter() - self.start, 1),
            "ok": self.ok(),
            "steps": self.steps,
        }
        (self.out / "gpu-check.json").write_text(json.dumps(report, indent=1, default=str))
        (self.out / "gpu-check.md").write_text(markdown(report))


def markdown(report: dict[str, Any]) -> str:
    """Return the report as Markdown: a summary table, then each step's figures."""
    lines = [
        f"# gpu-check ({report['mode']}), {report['started']}, {report['seconds']} s",
        "",
        "| step | status | seconds | note |",
        "|---|---|---|---|",
    ]
    for s in report["steps"]:
        note = s.get("error") or "; ".join(s.get("problems", [])) or s.get("reason")
        note = note or s.get("summary", "")
        lines.append(f"| {s['name']} | {s['status']} | {s['seconds']} | {note} |")
    for s in report["steps"]:
        details = {k: v for k, v in s.items() if k not in ("name", "status", "seconds")}
        if details:
            lines += ["", f"## {s['name']}", "", "```json", json.dumps(details, indent=1), "```"]
    return "\n".join(lines) + "\n"


def environment(wheels: Path, site: Path) -> dict[str, Any]:
    """Install what is missing from the carried wheels; describe the machine and device."""
    from tools.carried_wheels import ensure_importable

    installed = ensure_importable(wheels, site)
    import numba
    import numpy

    from l2gpu.backend.engine import gpu_status

    info: dict[str, Any] = {
        "installed_from_wheels": installed,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "numpy": numpy.__version__,
        "numba": numba.__version__,
    }
    try:
        from importlib.metadata import version

        info["numba_cuda"] = version("numba-cuda")
    except Exception as exc:
        info["numba_cuda"] = f"missing ({exc})"
    status = gpu_status()
    info["gpu"] = status.device_name or status.reason
    if status.has_cupy:
        import cupy

        info["cupy"] = cupy.__version__
        info["driver"] = cupy.cuda.runtime.driverGetVersion()
        info["runtime"] = cupy.cuda.runtime.runtimeGetVersion()
        props = cupy.cuda.runtime.getDeviceProperties(0)
        info["cc"] = f"{props['major']}.{props['minor']}"
        info["memory_gib"] = round(props["totalGlobalMem"] / 2**30, 1)
    info["summary"] = f"{info['gpu']}; python {info['python']}; numba-cuda {info['numba_cuda']}"
    if not status.usable:
        raise RuntimeError(f"no usable GPU: {status.reason}")
    return info


def run_pytest(paths: tuple[str, ...], out: Path, timeout_s: float) -> dict[str, Any]:
    """Run the ``gpu`` and ``cuda_kernel`` tests in a subprocess; counts and failures (JUnit)."""
    junit = out / "pytest.xml"
    command = [sys.executable, "-m", "pytest", "-m", "gpu or cuda_kernel", *paths, "-q"]
    command += ["-p", "no:cacheprovider", f"--junitxml={junit}"]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout_s
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"pytest ran past {timeout_s:.0f} s") from exc
    (out / "pytest.log").write_text(done.stdout + done.stderr)
    suite = ET.parse(junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite[0]
    counts = {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
    failed = [
        f"{case.get('classname')}::{case.get('name')}"
        for case in suite.iter("testcase")
        if case.find("failure") is not None or case.find("error") is not None
    ]
    result = {**counts, "failed": failed, "summary": done.stdout.strip().splitlines()[-1]}
    if done.returncode != 0:
        raise AssertionError(f"pytest exit {done.returncode}: {result['summary']}; {failed}")
    return result


def parity_step(rows: int | None, configs: int) -> dict[str, Any]:
    """Compare the CPU and the GPU on both Binance samples."""
    from tests.samples import BTCUSDT, ETHUSDT
    from tools.gpu_parity import parity

    results = [parity(sample, rows, configs) for sample in (BTCUSDT, ETHUSDT)]
    summary = "; ".join(
        f"{r['sample']}: sweep tables bit-identical {r['sweep']['tables_bit_identical']}"
        for r in results
    )
    problems = [p for r in results for p in r.pop("problems")]
    return {"samples": results, "summary": summary, "problems": problems}


def bench_features_step(rows: int, copy_bytes: int, repeat: int) -> dict[str, Any]:
    """Check, then time the GPU row of ``bench_features`` on a synthetic book of ``rows``."""
    from benchmarks import bench_features
    from benchmarks.bench_sweep import book_and_signal
    from l2gpu.data import synthetic_trades

    book, _ = book_and_signal(rows)
    trades = synthetic_trades(book, per_row=0.3, seed=3)
    bench_features.check(book, trades)
    checked = bench_features.check_gpu(book, trades, rows=min(rows, 20_000))
    timing = bench_features.time_engine(book, trades, "gpu", copy_bytes, repeat)
    shares = timing["alone_share_of_copy"]
    half = sorted(n for n, share in shares.items() if share >= 0.5)
    summary = (
        f"{timing['all_mrows_per_s']:.3g} M rows/s for all features, {rows:,} rows, "
        f"{timing['effective_gbs'] / timing['copy_gbs']:.0%} of copy "
        f"({timing['into_matrix_effective_gbs'] / timing['copy_gbs']:.0%} into a reused matrix); "
        "alone at >= 50% of copy: "
        f"{len(half)} of {len(shares)} counted ({', '.join(half)})"
    )
    return {"check": checked, "timing": timing, "summary": summary}


def bench_sweep_step(run: Run, rows: int, configs: list[int], repeat: int) -> dict[str, Any]:
    """Check, then time the GPU rows of ``bench_sweep`` over a book already on the device.

    A size's time is predicted from the kernel steps/s of the size before it; a size the time
    left cannot hold runs on the first rows that it can (at least 10**5, else it is skipped).
    """
    from benchmarks import bench_sweep

    book, signal = bench_sweep.book_and_signal(rows)
    bench_sweep.check_engine(book, signal)
    checked = bench_sweep.check_gpu(book, signal, rows=min(rows, 20_000), n=min(64, configs[0]))
    device_book, device_signal = book.to("gpu"), to_gpu(signal)
    timed, skipped, rate = [], [], None
    for n in configs:
        budget = run.left() - 40.0  # for the steps after this one and the report
        used = rows if not rate else min(rows, int(rate * budget / 4 / n))
        if rate is not None and used < min(rows, 10**5):
            skipped.append({"configs": n, "predicted_s": round(n * rows / rate, 1)})
            continue
        row = bench_sweep.time_engine(
            device_book[:used], device_signal[:used], n, "gpu", max(budget / 2, 1.0), repeat
        )
        rate = row["kernel_steps_per_s"]
        timed.append(row)
    best = max(timed, key=lambda r: r["steps_per_s"]) if timed else None
    summary = (
        f"best {best['steps_per_s']:.3g} steps/s at {best['configs']:,} configs" if best else ""
    )
    return {"check": checked, "rows": timed, "skipped": skipped, "summary": summary}


def sweep_blocks_step(
    rows: int, configs: list[int], caps: list[int], repeat: int
) -> dict[str, Any]:
    """Sweep-kernel steps/s by block size and by register cap (:mod:`benchmarks.gpu_blocks`).

    Block sizes for each of ``configs``; register ``caps`` for the largest of them.
    """
    from benchmarks import bench_sweep
    from benchmarks.gpu_blocks import time_block_sizes, time_register_caps

    book, signal = bench_sweep.book_and_signal(rows)
    device_book, device_signal = book.to("gpu"), to_gpu(signal)
    results = time_block_sizes(device_book, device_signal, configs, repeat)
    capped = time_register_caps(device_book, device_signal, max(configs), caps, repeat)
    summary = "; ".join(
        f"{r['configs']:,} configs: {r['chosen_steps_per_s']:.3g} steps/s at "
        f"{r['chosen_threads']} threads (best {r['best_threads']}: "
        f"{r['best_steps_per_s']:.3g})"
        for r in results
    )
    summary += "; register caps: " + ", ".join(
        f"{r['cap']} ({r['registers']} regs, {r['local_bytes']} B local): {r['steps_per_s']:.3g}"
        for r in capped
    )
    return {"sizes": results, "register_caps": capped, "summary": summary}


def to_gpu(values: Any) -> Any:
    """``values`` moved to the GPU (CuPy, or the simulator's device arrays)."""
    from l2gpu.backend.arrays import to_device

    return to_device(values, "gpu", "benchmark signal")


def main(argv: list[str] | None = None) -> int:
    """Run the steps; return 1 when one failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "gpu-check")
    parser.add_argument("--dry-run", action="store_true", help="the simulator, tiny sizes")
    parser.add_argument("--deadline-s", type=float, default=450.0)
    parser.add_argument("--wheels", type=Path, default=ROOT / ".whl")
    parser.add_argument("--site", type=Path, default=ROOT / ".gpu-site")
    parser.add_argument("--tests", nargs="+", help="test paths (default: the GPU test folders)")
    parser.add_argument("--parity-rows", type=int, help="first rows of each sample (all)")
    parser.add_argument("--parity-configs", type=int, help="sweep configs per sample (500)")
    parser.add_argument("--feature-rows", type=int, help="bench_features rows (10**7)")
    parser.add_argument("--sweep-rows", type=int, help="bench_sweep rows (10**7)")
    parser.add_argument("--sweep-configs", type=int, nargs="+", help="(10**3 10**4 10**5)")
    parser.add_argument("--block-rows", type=int, help="sweep_blocks rows (10**6)")
    parser.add_argument("--block-configs", type=int, nargs="+", help="(100 1000 10000)")
    parser.add_argument(
        "--register-caps", type=int, nargs="+", help="sweep kernel caps, 0 as shipped (0 64 96 128)"
    )
    parser.add_argument("--skip", nargs="+", default=[], help="step names to leave out")
    args = parser.parse_args(argv)
    dry = args.dry_run
    if dry:
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"  # before numba is imported
    sys.path.insert(0, str(ROOT))
    tests = tuple(args.tests or (DRY_TEST_PATHS if dry else TEST_PATHS))
    parity_rows = args.parity_rows or (300 if dry else None)
    parity_configs = args.parity_configs or (6 if dry else 500)
    feature_rows = args.feature_rows or (300 if dry else 10**7)
    sweep_rows = args.sweep_rows or (300 if dry else 10**7)
    sweep_configs = args.sweep_configs or ([2, 4] if dry else [10**3, 10**4, 10**5])
    block_rows = args.block_rows or (200 if dry else 10**6)
    block_configs = args.block_configs or ([3] if dry else [100, 1000, 10**4])
    register_caps = args.register_caps or ([0] if dry else [0, 64, 96, 128])
    repeat = 1 if dry else 3
    copy_bytes = 1 << 20 if dry else 1 << 30
    run = Run(args.out, args.deadline_s, "dry-run (simulator)" if dry else "device")
    steps: list[tuple[str, Callable[[], dict[str, Any]], float]] = [
        ("environment", lambda: environment(args.wheels, args.site), 0.0),
        ("pytest", lambda: run_pytest(tests, args.out, max(run.left() - 240, 60)), 60.0),
        ("parity", lambda: parity_step(parity_rows, parity_configs), 20.0),
        ("bench_features", lambda: bench_features_step(feature_rows, copy_bytes, repeat), 60.0),
        (
            "sweep_blocks",
            lambda: sweep_blocks_step(block_rows, block_configs, register_caps, repeat),
            30.0,
        ),
        ("bench_sweep", lambda: bench_sweep_step(run, sweep_rows, sweep_configs, repeat), 30.0),
    ]
    for name, fn, needs_s in steps:
        if name in args.skip:
            continue
        run.step(name, fn, 0.0 if dry else needs_s)
        if name == "environment" and run.steps[-1]["status"] == "failed":
            break  # nothing else can run
    print(f"[gpu-check] wrote {args.out}/gpu-check.md and gpu-check.json", flush=True)
    return 0 if run.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
