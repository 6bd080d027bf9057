"""Assemble PTX with ``ptxas -v`` and read what it reports per function.

``ptxas -v`` prints, for each entry function (kernel) and each non-inlined device function::

    ptxas info    : Compiling entry function '_ZN...' for 'sm_90'
    ptxas info    : Function properties for _ZN...
        0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
    ptxas info    : Used 60 registers, used 1 barriers, 8192 bytes smem

``ptxas`` comes from the ``nvidia-cuda-nvcc-cu12`` wheel (found with ``cuda-pathfinder``), else
from ``PATH``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

_ENTRY = re.compile(r"Compiling entry function '([^']+)' for '(sm_\d+a?)'")
_PROPERTIES = re.compile(r"Function properties for (\S+)")
_FRAME = re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")
_USED = re.compile(r"Used (\d+) registers")
_SMEM = re.compile(r"(\d+) bytes smem")


class PtxasError(RuntimeError):
    """``ptxas`` is missing or refused the PTX."""


@dataclass
class FunctionReport:
    """Resources of one function as ``ptxas -v`` reports them (bytes, registers per thread)."""

    name: str
    entry: bool = False
    registers: int = 0
    shared_bytes: int = 0
    stack_bytes: int = 0
    spill_store_bytes: int = 0
    spill_load_bytes: int = 0


@dataclass
class PtxasReport:
    """Every function of one assembled module, and whether ptxas fused multiplies and adds."""

    functions: list[FunctionReport] = field(default_factory=list)
    contracts: bool = False

    def entry(self) -> FunctionReport:
        """Return the one entry function (a Numba kernel module holds exactly one)."""
        entries = [f for f in self.functions if f.entry]
        if len(entries) != 1:
            raise PtxasError(f"expected one entry function, ptxas reported {len(entries)}")
        return entries[0]

    def stack_bytes(self) -> int:
        """Largest stack frame of any function, bytes."""
        return max((f.stack_bytes for f in self.functions), default=0)

    def spill_bytes(self) -> int:
        """Spill stores plus spill loads over all functions, bytes."""
        return sum(f.spill_store_bytes + f.spill_load_bytes for f in self.functions)


def parse(text: str) -> PtxasReport:
    """Read the ``ptxas -v`` output ``text``."""
    report = PtxasReport()
    by_name: dict[str, FunctionReport] = {}
    current: FunctionReport | None = None
    for line in text.splitlines():
        if match := _ENTRY.search(line):
            current = by_name.setdefault(match[1], FunctionReport(match[1]))
            current.entry = True
        elif match := _PROPERTIES.search(line):
            current = by_name.setdefault(match[1], FunctionReport(match[1]))
        elif (match := _FRAME.search(line)) and current is not None:
            current.stack_bytes = int(match[1])
            current.spill_store_bytes = int(match[2])
            current.spill_load_bytes = int(match[3])
        elif (match := _USED.search(line)) and current is not None:
            current.registers = int(match[1])
            if smem := _SMEM.search(line):
                current.shared_bytes = int(smem[1])
    report.functions = list(by_name.values())
    return report


def find_ptxas() -> str:
    """Path of ``ptxas``; raises :class:`PtxasError` naming the wheel to install."""
    try:
        from cuda.pathfinder import find_nvidia_binary_utility

        found = find_nvidia_binary_utility("ptxas")
    except ImportError:
        found = None
    found = found or shutil.which("ptxas")
    if not found:
        raise PtxasError(
            "ptxas not found: install the offline compile toolchain with "
            "`pip install -e '.[gpu-compile]'` (the nvidia-cuda-nvcc-cu12 wheel carries it)"
        )
    return found


def _run(source: Path, arch: str, out: Path, *options: str) -> str:
    done = subprocess.run(
        [find_ptxas(), "-v", f"-arch={arch}", *options, str(source), "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise PtxasError(f"ptxas failed for {arch}: {(done.stderr or done.stdout).strip()}")
    return done.stdout + done.stderr


def assemble(ptx: str, arch: str) -> PtxasReport:
    """Assemble ``ptx`` for ``arch`` (``"sm_90"``) with ``ptxas -v``; raise on an error.

    ``ptxas`` (like the driver's JIT) also contracts a plain ``mul.f64`` followed by an
    ``add.f64`` into a fused DFMA in the machine code, which the PTX does not show. The module
    is therefore assembled a second time with ``--fmad=false``: ``contracts`` in the report is
    whether the two machine codes differ.
    """
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "kernel.ptx"
        source.write_text(ptx)
        fused, unfused = Path(tmp) / "fmad.cubin", Path(tmp) / "nofmad.cubin"
        report = parse(_run(source, arch, fused))
        _run(source, arch, unfused, "--fmad=false")
        report.contracts = fused.read_bytes() != unfused.read_bytes()
    return report
