"""The sweep kernel's block size gives every SM work, however few the configs."""

import pytest

from l2gpu.kernels.jit import block_size_for


def naive(threads, sms, largest):
    """The largest power of two <= largest giving >= sms blocks, by trying every size."""
    sizes = [s for s in (1, 2, 4, 8, 16, 32, 64, 128, 256) if s <= largest]
    good = [s for s in sizes if -(-threads // s) >= sms]
    return max(good) if good else 1


@pytest.mark.parametrize("threads", [1, 5, 131, 132, 133, 263, 264, 1000, 4224, 10**4, 10**5])
@pytest.mark.parametrize("sms", [108, 132])
@pytest.mark.parametrize("largest", [128, 256])
def test_the_block_size_is_the_largest_that_gives_every_sm_a_block(threads, sms, largest):
    size = block_size_for(threads, sms, largest)
    assert size == naive(threads, sms, largest)
    assert -(-threads // size) >= sms or size == 1


def test_a_thousand_configs_fill_an_h200_and_many_take_the_largest_block():
    assert block_size_for(1000, 132, 128) == 4  # 250 blocks: each of the 132 SMs has work
    assert block_size_for(10**4, 132, 128) == 64  # 157 blocks; 79 of 128 would idle 53 SMs
    assert block_size_for(10**5, 132, 128) == 128
