"""The pace on a fake clock: real time never runs ahead or behind; speed 0 sizes its steps."""

import numpy as np
import pytest

from l2gpu.core.units import NS_PER_S
from l2gpu.replay.pace import Pace

ROUNDING_NS = 1_000
"""The wall clock is a float of seconds: a recording time from it is good to well under 1 us."""


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.mark.parametrize("speed", [1.0, 2.5, 40.0])
def test_each_step_covers_exactly_the_rows_whose_time_has_come(speed, rng):
    gaps = rng.choice([1_000_000, 50_000_000, 700_000_000, 3 * NS_PER_S], size=400)
    ts = 1_723_161_256_000_000_000 + np.concatenate([[0], np.cumsum(gaps)])
    clock = FakeClock()
    pace = Pace(ts, speed, frame_s=0.1, clock=clock, sleep=clock.sleep)
    started, done, steps = clock.now, 0, 0
    while done < len(ts):
        stop = pace.next_stop(done, len(ts))
        elapsed_ns = (clock.now - started) * speed * NS_PER_S
        assert stop >= done
        if stop > done:  # never ahead of the recording's clock (to the wall clock's rounding)
            assert ts[stop - 1] - ts[0] <= elapsed_ns + ROUNDING_NS
            steps += 1
        if stop < len(ts):  # never behind it
            assert ts[stop] - ts[0] > elapsed_ns - ROUNDING_NS
        done = stop
        clock.now += 0.001  # the step and the view take a little wall time
    assert max(clock.sleeps) <= 0.1
    span_s = (ts[-1] - ts[0]) / NS_PER_S / speed
    assert span_s <= clock.now - started <= span_s + 0.1 + 0.001 * (steps + len(clock.sleeps))


def test_at_speed_0_steps_grow_to_about_one_frame_each():
    ts = np.arange(200_000, dtype=np.int64) * 1_000_000
    clock = FakeClock()
    pace = Pace(ts, 0, frame_s=0.1, clock=clock, sleep=clock.sleep)
    done, took = 0, []
    while done < len(ts):
        stop = pace.next_stop(done, len(ts))
        clock.now += (stop - done) * 1e-5  # the kernel's time for these rows
        took.append((stop - done) * 1e-5)
        done = stop
    assert clock.sleeps == []
    assert took[0] < 0.001 and all(0.025 <= t <= 0.1 for t in took[8:-1])


def test_a_negative_speed_is_refused():
    with pytest.raises(ValueError, match="speed -1"):
        Pace(np.zeros(3, np.int64), -1)
