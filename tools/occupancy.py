"""Theoretical occupancy of a kernel launch on sm_80 and sm_90, as the CUDA occupancy calculator.

For a block of ``threads`` threads using ``registers`` registers per thread and ``shared`` bytes
of static shared memory:

- warps per block ``W = ceil(threads / 32)``;
- registers are allocated per warp in units of 256 and each of the 4 SM sub-partitions holds
  65,536 / 4 registers: warps by registers ``= floor(16384 / ceil256(32 * registers)) * 4``,
  blocks by registers ``= floor(that / W)``;
- shared memory per block ``= ceil128(shared + 1024)`` (1 KiB is reserved per block on sm_80 and
  later); blocks by shared memory ``= floor(shared per SM / that)``, with the largest carve-out
  (164 KiB on sm_80, 228 KiB on sm_90);
- blocks by warps ``= floor(64 / W)`` and at most 32 blocks per SM.

Active blocks are the smallest of these; occupancy is ``active blocks * W / 64`` (resident warps
over the SM's 64). ``docs/gpu.md`` explains how to read it.
"""

from __future__ import annotations

from dataclasses import dataclass

WARP = 32


@dataclass(frozen=True)
class SmLimits:
    """Per-SM limits of one compute capability (CUDA programming guide, compute capabilities)."""

    max_warps: int = 64
    max_blocks: int = 32
    registers: int = 65_536
    sub_partitions: int = 4
    register_unit: int = 256
    max_registers_per_thread: int = 255
    shared_bytes: int = 228 * 1024
    shared_unit: int = 128
    shared_reserved_per_block: int = 1024


LIMITS: dict[tuple[int, int], SmLimits] = {
    (8, 0): SmLimits(shared_bytes=164 * 1024),
    (9, 0): SmLimits(shared_bytes=228 * 1024),
}


@dataclass(frozen=True)
class Occupancy:
    """Resident blocks per SM and the share of the SM's warps they fill.

    Attributes
    ----------
    blocks : int
        Active blocks per SM (0: the block cannot launch with these resources).
    fraction : float
        Resident warps over the SM's maximum, in [0, 1].
    limited_by : str
        ``"warps"``, ``"blocks"``, ``"registers"`` or ``"shared memory"``.
    """

    blocks: int
    fraction: float
    limited_by: str


def _round_up(value: int, unit: int) -> int:
    return -(-value // unit) * unit


def occupancy(cc: tuple[int, int], threads: int, registers: int, shared: int) -> Occupancy:
    """Theoretical occupancy of a launch of ``threads`` per block (see the module doc).

    Parameters
    ----------
    cc : (int, int)
        Compute capability, ``(8, 0)`` or ``(9, 0)``.
    threads : int
        Threads per block.
    registers : int
        Registers per thread.
    shared : int
        Static shared memory per block, bytes.
    """
    limits = LIMITS[cc]
    warps = -(-threads // WARP)
    by_warps = limits.max_warps // warps
    if registers > limits.max_registers_per_thread:
        by_registers = 0
    else:
        per_warp = _round_up(max(registers, 1) * WARP, limits.register_unit)
        per_partition = limits.registers // limits.sub_partitions
        by_registers = (per_partition // per_warp) * limits.sub_partitions // warps
    per_block = _round_up(shared + limits.shared_reserved_per_block, limits.shared_unit)
    by_shared = limits.shared_bytes // per_block
    candidates = {  # on a tie, the first named limits
        "warps": by_warps,
        "blocks": limits.max_blocks,
        "registers": by_registers,
        "shared memory": by_shared,
    }
    limited_by = min(candidates, key=lambda k: candidates[k])
    blocks = candidates[limited_by]
    return Occupancy(blocks, blocks * warps / limits.max_warps, limited_by)
