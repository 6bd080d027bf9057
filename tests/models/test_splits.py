"""The models' folds against a row-by-row reference, and a planted leak the purge must stop."""

import numpy as np
import pytest

from l2gpu.models import ModelSettings, fit_walk_forward, model_folds


def _label_end(ts, t, horizon):
    """Where row t's label window ends, found by walking forward (None past the data)."""
    if horizon.endswith("ms"):
        ahead = ts[t] + int(horizon[:-2]) * 1_000_000
        later = [u for u in range(t, len(ts)) if ts[u] >= ahead]
        return ts[later[0]] if later else None
    end = t + int(horizon)
    return ts[end] if end < len(ts) else None


def _reference(ts, n_splits, horizon, embargo_ns, train_blocks):
    blocks = np.array_split(np.arange(len(ts)), n_splits)
    out = []
    for k in range(1, n_splits):
        first = blocks[k][0]
        oldest = blocks[max(k - train_blocks, 0)][0] if train_blocks else 0
        train = [
            t
            for t in range(oldest, first)
            if (end := _label_end(ts, t, horizon)) is not None and end < ts[first] - embargo_ns
        ]
        out.append((np.array(train, dtype=np.int64), blocks[k]))
    return out


@pytest.mark.parametrize(
    ("horizon", "embargo", "embargo_ns", "train_blocks"),
    [
        ("7", "0s", 0, 0),
        ("30ms", "0s", 0, 0),
        ("30ms", "45ms", 45_000_000, 0),
        ("5", "10ms", 10_000_000, 2),
    ],
)
def test_training_rows_end_their_labels_before_the_block_and_its_embargo(
    horizon, embargo, embargo_ns, train_blocks
):
    ts = np.cumsum(np.random.default_rng(2).integers(0, 9_000_000, 240)).astype(np.int64)
    got = model_folds(ts, 6, horizon, embargo, train_blocks)
    expected = _reference(ts, 6, horizon, embargo_ns, train_blocks)
    assert len(got) == len(expected) == 5
    for (train, test), (want_train, want_test) in zip(got, expected, strict=True):
        np.testing.assert_array_equal(test, want_test)
        np.testing.assert_array_equal(train, want_train)


def test_a_label_that_leaks_into_the_next_block_is_purged():
    """Each block's label reads the next block's level for its last half: a leak to purge.

    The label of row t is the level of the block holding row t + 25 (a 25-row horizon); the
    only input is noise, so a model can only learn the mean label of its training rows. Trained
    on the previous block with its label horizon declared as 1 row, that mean includes labels
    that read the test block's own level and the out-of-sample IC is high; with the true
    horizon those rows are purged and the score knows nothing of the block it scores.
    """
    blocks, size = 200, 50
    rng = np.random.default_rng(0)
    rows = blocks * size
    ts = np.arange(rows, dtype=np.int64) * 1_000_000
    level = np.repeat(rng.standard_normal(blocks + 1), size)
    label = level[np.arange(rows) + 25] + 0.01 * rng.standard_normal(rows)
    noise = rng.standard_normal(rows)
    settings = ModelSettings(
        "ridge", l2=1e6, n_splits=blocks, embargo="0s", train_blocks=1, min_train_rows=10
    )

    def ic(horizon):
        run = fit_walk_forward(ts, {"noise": noise}, label, "y", horizon, settings, ("noise",))
        scored = np.isfinite(run.scores)
        assert scored.sum() == (blocks - 1) * size
        return np.corrcoef(run.scores[scored], label[scored])[0, 1]

    assert ic("1") > 0.3  # what training on overlapping label horizons would report
    assert abs(ic("25")) < 0.1
