from pathlib import Path

import pytest

from tools.occupancy import occupancy
from tools.ptxas import parse

DATA = Path(__file__).parent / "data"


def test_ptxas_report_of_the_sweep_kernel_is_read():
    report = parse((DATA / "ptxas_sweep_sm90.txt").read_text())
    entry = report.entry()
    assert "_sweep_kernel" in entry.name
    assert (entry.registers, entry.shared_bytes) == (60, 8192)
    assert report.stack_bytes() == 0 and report.spill_bytes() == 0


def test_spills_and_stack_forced_by_a_register_cap_are_read():
    report = parse((DATA / "ptxas_sweep_sm90_maxrregcount24.txt").read_text())
    entry = report.entry()
    assert (entry.registers, entry.shared_bytes) == (24, 8192)
    assert report.stack_bytes() == 160
    assert report.spill_bytes() == 360 + 692


# Hand-worked with the rules of the CUDA occupancy calculator (registers allocated per warp in
# units of 256, four sub-partitions of 16,384 registers, 1 KiB of shared memory reserved per block).
@pytest.mark.parametrize(
    ("cc", "threads", "registers", "shared", "blocks", "limited_by"),
    [
        ((9, 0), 256, 30, 0, 8, "warps"),  # 1024 regs/warp: 16 warps per partition, 64 in all
        ((9, 0), 256, 32, 0, 8, "warps"),
        ((9, 0), 256, 40, 0, 6, "registers"),  # 1280/warp: 12 per partition = 48 warps
        ((9, 0), 256, 60, 8192, 4, "registers"),  # 1920 -> 2048/warp: 8 x 4 = 32 warps
        ((9, 0), 256, 64, 0, 4, "registers"),
        ((9, 0), 256, 72, 0, 3, "registers"),  # 2304/warp: 7 x 4 = 28 warps
        ((8, 0), 256, 48, 0, 5, "registers"),  # 1536/warp: 10 x 4 = 40 warps
        ((9, 0), 128, 16, 0, 16, "warps"),
        ((9, 0), 32, 16, 0, 32, "blocks"),  # 32 one-warp blocks: the block limit
        ((9, 0), 256, 32, 48 * 1024, 4, "shared memory"),  # 233472 // 50176
        ((8, 0), 256, 32, 48 * 1024, 3, "shared memory"),  # 167936 // 50176
        ((9, 0), 1024, 65, 0, 0, "registers"),  # 2304/warp: 28 warps < 32 in one block
        ((9, 0), 256, 256, 0, 0, "registers"),  # past 255 registers per thread
    ],
)
def test_occupancy_matches_the_calculator(cc, threads, registers, shared, blocks, limited_by):
    got = occupancy(cc, threads, registers, shared)
    assert (got.blocks, got.limited_by) == (blocks, limited_by)
    assert got.fraction == blocks * (threads // 32) / 64
