"""``make gpu-compile``: every CUDA kernel compiled offline, with the table of what it costs.

Each ``@cuda.jit`` kernel of ``l2gpu/kernels/*_cuda.py`` is compiled to PTX by numba-cuda for
sm_90 and sm_80 with the argument types declared beside it (a
:class:`~l2gpu.kernels.launch_spec.LaunchSpec`), assembled with ``ptxas -v``, and reported in one
Markdown table::

    | kernel | cc | registers | spill_bytes | stack_bytes | shared_bytes | occupancy | fma_f64 |

The command exits 1 on a compile error, on any spill or stack use, on more registers than the
declared budget, on a block that cannot launch, on fused multiply-adds (``fma.rn.f64`` in the
PTX) in a kernel that does not allow them, and on a kernel without a declaration. No GPU or
driver is needed: numba-cuda takes a device function's compute capability from the current
device, so each compute capability is compiled in its own process that supplies it. Needs the
``[gpu-compile]`` extra (Linux); see ``docs/gpu.md``.

Run: ``.venv/bin/python -m tools.gpu_compile [--cc 9.0 8.0] [--markdown FILE] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.metadata
import json
import os
import pkgutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from tools.occupancy import occupancy
from tools.ptxas import assemble

ROOT = Path(__file__).resolve().parents[1]
ARCHS = ("9.0", "8.0")
HEADER = (
    "| kernel | cc | registers | spill_bytes | stack_bytes | shared_bytes | occupancy | fma_f64 |"
)


@dataclass
class Row:
    """One kernel compiled for one compute capability."""

    kernel: str
    cc: str
    register_budget: int
    threads_per_block: int
    allow_fma: str
    registers: int = 0
    spill_bytes: int = 0
    stack_bytes: int = 0
    shared_bytes: int = 0
    occupancy: float = 0.0
    blocks_per_sm: int = 0
    limited_by: str = ""
    fma_f64: int = 0
    assembler_fma: bool = False
    error: str = ""

    def problems(self) -> list[str]:
        """Return what makes this row fail the check (empty when it passes)."""
        if self.error:
            return [f"{self.kernel} sm_{self.cc.replace('.', '')}: {self.error}"]
        out = []
        where = f"{self.kernel} sm_{self.cc.replace('.', '')}"
        if self.spill_bytes:
            out.append(f"{where}: spills {self.spill_bytes} bytes")
        if self.stack_bytes:
            out.append(f"{where}: uses {self.stack_bytes} bytes of stack")
        if self.registers > self.register_budget:
            out.append(
                f"{where}: {self.registers} registers, over its budget of {self.register_budget}"
            )
        if self.blocks_per_sm == 0:
            out.append(f"{where}: a block of {self.threads_per_block} threads cannot launch")
        if (self.fma_f64 or self.assembler_fma) and not self.allow_fma:
            what = f"{self.fma_f64} fused f64 multiply-adds in the PTX"
            if self.assembler_fma:
                what += ", and ptxas fuses more (a plain mul.f64 that feeds an add)"
            out.append(
                f"{where}: {what}; form the products with `mul` (l2gpu.kernels.unfused) or say "
                "in allow_fma why they are acceptable"
            )
        return out


def kernel_modules() -> list[str]:
    """Names of the CUDA twin modules, ``l2gpu.kernels.*_cuda``."""
    import l2gpu.kernels

    return sorted(
        f"l2gpu.kernels.{m.name}"
        for m in pkgutil.iter_modules(l2gpu.kernels.__path__)
        if m.name.endswith("_cuda")
    )


def declared(module: ModuleType) -> tuple[list[Any], list[str]]:
    """Return the module's launch specs, and a problem per kernel declared zero or many times."""
    from numba.cuda.dispatcher import CUDADispatcher

    from l2gpu.kernels.launch_spec import LaunchSpec

    specs = [v for v in vars(module).values() if isinstance(v, LaunchSpec)]
    kernels = {
        name
        for name, v in vars(module).items()
        if isinstance(v, CUDADispatcher)
        and not v.targetoptions.get("device", False)
        and v.py_func.__module__ == module.__name__
    }
    problems = []
    for name in sorted(kernels):
        count = sum(spec.kernel == name for spec in specs)
        if count != 1:
            problems.append(
                f"{module.__name__}.{name}: declared by {count} LaunchSpec(s), needs exactly one"
            )
    for spec in specs:
        if spec.kernel not in kernels:
            problems.append(f"{module.__name__}: LaunchSpec names {spec.kernel!r}, not a kernel")
    return [s for s in specs if s.kernel in kernels], problems


@contextlib.contextmanager
def compute_capability(cc: tuple[int, int]) -> Iterator[None]:
    """Make numba-cuda compile device functions for ``cc`` instead of the current device's.

    numba-cuda asks ``get_current_device()`` (in ``numba.cuda.dispatcher``) for the compute
    capability of each device function it compiles, which needs a driver; this stands in for it.
    """
    from numba.cuda import dispatcher

    if not hasattr(dispatcher, "get_current_device"):
        raise RuntimeError(
            "numba.cuda.dispatcher.get_current_device is gone: this numba-cuda compiles device "
            "functions differently; update tools/gpu_compile.py (tested with numba-cuda 0.30)"
        )

    class Device:
        compute_capability = cc

    saved = dispatcher.get_current_device
    dispatcher.get_current_device = Device
    try:
        yield
    finally:
        dispatcher.get_current_device = saved


def compile_rows(cc_text: str, modules: list[str]) -> tuple[list[Row], list[str]]:
    """Compile every declared kernel of ``modules`` for one compute capability."""
    from numba import cuda

    major, minor = (int(part) for part in cc_text.split("."))
    cc = (major, minor)
    rows, problems = [], []
    with compute_capability(cc):
        for name in modules:
            module = importlib.import_module(name)
            specs, found = declared(module)
            problems += found
            for spec in specs:
                row = Row(
                    f"{name.rsplit('.', 1)[-1]}.{spec.kernel}",
                    cc_text,
                    spec.register_budget,
                    spec.threads_per_block,
                    spec.allow_fma,
                )
                try:
                    kernel = getattr(module, spec.kernel)
                    ptx, _ = cuda.compile_ptx(kernel.py_func, spec.arg_types, cc=cc)
                    report = assemble(ptx, f"sm_{major}{minor}")
                except Exception as exc:  # a compile error is a result to report, not a crash
                    row.error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}"
                    rows.append(row)
                    continue
                entry = report.entry()
                row.registers = entry.registers
                row.shared_bytes = entry.shared_bytes
                row.spill_bytes = report.spill_bytes()
                row.stack_bytes = report.stack_bytes()
                row.fma_f64 = ptx.count("fma.rn.f64")
                row.assembler_fma = report.contracts
                occ = occupancy(cc, spec.threads_per_block, row.registers, row.shared_bytes)
                row.occupancy, row.blocks_per_sm, row.limited_by = (
                    occ.fraction,
                    occ.blocks,
                    occ.limited_by,
                )
                rows.append(row)
    return rows, problems


def markdown(rows: list[Row]) -> str:
    """Return the compile table, one row per kernel and compute capability."""
    lines = [HEADER, "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r.error:
            lines.append(f"| `{r.kernel}` | {r.cc} | compile error: {r.error} | | | | | |")
            continue
        fma = str(r.fma_f64) + (" + ptxas" if r.assembler_fma else "")
        if r.fma_f64 or r.assembler_fma:
            fma += f" (allowed: {r.allow_fma})" if r.allow_fma else " (not allowed)"
        occ = f"{r.occupancy:.0%} ({r.blocks_per_sm} x {r.threads_per_block}, {r.limited_by})"
        lines.append(
            f"| `{r.kernel}` | {r.cc} | {r.registers} / {r.register_budget} | {r.spill_bytes} "
            f"| {r.stack_bytes} | {r.shared_bytes} | {occ} | {fma} |"
        )
    return "\n".join(lines)


NOTES = """\
registers: used / budget declared beside the kernel (`LaunchSpec.register_budget`). spill_bytes:
spill stores + loads; stack_bytes: largest stack frame. occupancy: theoretical, at the declared
block size (blocks per SM x threads per block, and the limiting resource). fma_f64: fused f64
multiply-adds (`fma.rn.f64`) in the PTX; "+ ptxas" where the assembler fuses more (its machine
code differs from an assembly with `--fmad=false`). NVVM and ptxas fuse `a * b + c` even without
fastmath; the sweep and depth-walk kernels form every product that feeds a sum with `__dmul_rn`
(never fused; `l2gpu.kernels.unfused`), so they have none and round exactly as the CPU does."""


def _run_workers(archs: list[str], modules: list[str]) -> tuple[list[Row], list[str]]:
    """One process per compute capability (each supplies its own to numba-cuda)."""
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "0"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    with tempfile.TemporaryDirectory() as tmp:
        jobs = []
        for cc in archs:
            out = Path(tmp) / f"{cc}.json"
            command = [sys.executable, "-m", "tools.gpu_compile", "--worker", cc, str(out)]
            command += ["--modules", *modules]
            jobs.append((cc, out, subprocess.Popen(command, env=env, cwd=ROOT, text=True)))
        rows, problems = [], []
        for cc, out, job in jobs:
            if job.wait() != 0 or not out.exists():
                problems.append(f"compiling for {cc} failed (exit {job.returncode}); see above")
                continue
            done = json.loads(out.read_text())
            rows += [Row(**r) for r in done["rows"]]
            problems += [p for p in done["problems"] if p not in problems]
    return rows, problems


def main(argv: list[str] | None = None) -> int:
    """Print the compile table; return 1 when a kernel fails the check."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cc", nargs="+", default=list(ARCHS), help="compute capabilities")
    parser.add_argument("--modules", nargs="+", help="kernel modules (default: l2gpu.kernels)")
    parser.add_argument("--markdown", type=Path, help="also write the table here")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument("--worker", nargs=2, metavar=("CC", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not sys.platform.startswith("linux"):
        print("gpu-compile: skipped; the CUDA compiler wheels of [gpu-compile] are Linux-only")
        return 0
    try:
        version = importlib.metadata.version("numba-cuda")
    except importlib.metadata.PackageNotFoundError:
        print("gpu-compile: numba-cuda is missing; `pip install -e '.[gpu-compile]'`")
        return 2
    modules = args.modules or kernel_modules()
    if args.worker:
        cc, out = args.worker
        rows, problems = compile_rows(cc, modules)
        payload = {"rows": [asdict(r) for r in rows], "problems": problems}
        Path(out).write_text(json.dumps(payload))
        return 0
    rows, problems = _run_workers(args.cc, modules)
    rows.sort(key=lambda r: (r.kernel, [-int(p) for p in r.cc.split(".")]))
    problems += [p for r in rows for p in r.problems()]
    table = markdown(rows)
    print(table)
    print()
    print(NOTES)
    if args.markdown:
        args.markdown.write_text(f"{table}\n\n{NOTES}\n")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=1))
    if problems:
        print("\ngpu-compile FAILED:")
        for problem in problems:
            print(f"- {problem}")
        return 1
    print(
        f"\ngpu-compile: {len(rows)} kernel builds with numba-cuda {version}: no spills, no "
        "stack, within budget"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
