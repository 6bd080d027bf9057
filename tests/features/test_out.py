"""``compute(..., out=)``: features written into the rows of a caller's matrix.

Each row must hold the same floats as the family's own formula computed alone (the reference
of ``test_fused.py``), whatever the matrix held before, with names repeated, in float32, and on
the GPU engine; on the CPU in float64 every kernel writes its row itself, nothing is copied.
"""

import sys

import numpy as np
import pytest

from l2gpu.features import DEFAULT_FEATURES, compute
from tests.books import random_book, random_trades
from tests.features.test_fused import NAMES, unfused

COMPUTE_MODULE = sys.modules["l2gpu.features.compute"]
REPEATED = [*NAMES, "mid", "ofi_100", "vp_poc_60s", "vp_val_60s_bin0.01"]


def case(seed, rows=600):
    rng = np.random.default_rng(seed)
    book = random_book(rng, rows=rows, depth=5)
    return book, random_trades(rng, book, 800)


@pytest.mark.parametrize("seed", range(3))
def test_rows_equal_each_family_alone_whatever_the_matrix_held(seed):
    book, trades = case(seed)
    out = np.full((len(REPEATED), len(book)), 1e300)
    got = compute(book, REPEATED, engine="cpu", trades=trades, out=out)
    for i, name in enumerate(REPEATED):
        want = unfused(book, trades, name)
        assert np.array_equal(out[i], want, equal_nan=True), name
        assert np.shares_memory(got[name], out) and np.array_equal(got[name], out[i], True)


def test_a_reused_matrix_holds_the_second_books_features():
    out = np.empty((len(DEFAULT_FEATURES), 600))
    for seed in (4, 5):
        book, trades = case(seed)
        compute(book, DEFAULT_FEATURES, engine="cpu", trades=trades, out=out)
    for i, name in enumerate(DEFAULT_FEATURES):
        assert np.array_equal(out[i], unfused(book, trades, name), equal_nan=True), name


def test_the_cpu_kernels_write_their_rows_without_a_copy(monkeypatch):
    book, trades = case(6)
    copies = []
    monkeypatch.setattr(COMPUTE_MODULE, "to_device", lambda *a, **k: copies.append(a))
    out = np.empty((len(DEFAULT_FEATURES), len(book)))
    compute(book, DEFAULT_FEATURES, engine="cpu", trades=trades, out=out)
    assert copies == []


def test_float32_rows_are_the_rounded_float64_features():
    book, trades = case(7)
    out = np.empty((len(REPEATED), len(book)), dtype=np.float32)
    compute(book, REPEATED, engine="cpu", trades=trades, dtype="float32", out=out)
    for i, name in enumerate(REPEATED):
        want = unfused(book, trades, name).astype(np.float32)
        assert np.array_equal(out[i], want, equal_nan=True), name


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda n, t: np.empty((n + 1, t)), r"got shape \(25, 600\)"),
        (lambda n, t: np.empty((n, t), dtype=np.float32), "of float32"),
        (lambda n, t: np.empty((t, n)).T, "not C-contiguous"),
        (lambda n, t: [[0.0] * t] * n, "got list"),
    ],
)
def test_a_matrix_that_cannot_hold_the_features_is_refused(make, message):
    book, trades = case(8)
    out = make(len(DEFAULT_FEATURES), len(book))
    with pytest.raises(ValueError, match=message) as raised:
        compute(book, DEFAULT_FEATURES, engine="cpu", trades=trades, out=out)
    assert "C-contiguous [24, 600] float64 array on the cpu" in str(raised.value)


@pytest.mark.cuda_kernel
def test_the_gpu_engine_fills_a_host_matrix_like_the_cpu():
    book, trades = case(9, rows=40)
    names = [n.replace("_5", "_4") for n in DEFAULT_FEATURES]
    out = np.empty((len(names), len(book)))
    compute(book, names, engine="gpu", trades=trades, out=out)
    cpu = compute(book, names, engine="cpu", trades=trades)
    for i, name in enumerate(names):
        np.testing.assert_allclose(out[i], cpu[name], rtol=1e-10, equal_nan=True, err_msg=name)


@pytest.mark.gpu
def test_a_device_matrix_receives_the_gpu_features():
    import cupy

    book, trades = case(10, rows=5_000)
    out = cupy.empty((len(DEFAULT_FEATURES), len(book)))
    got = compute(book.to("gpu"), DEFAULT_FEATURES, engine="gpu", trades=trades, out=out)
    cpu = compute(book, DEFAULT_FEATURES, engine="cpu", trades=trades)
    for i, name in enumerate(DEFAULT_FEATURES):
        assert got[name].data.ptr == out[i].data.ptr, name
        np.testing.assert_allclose(out[i].get(), cpu[name], rtol=1e-10, equal_nan=True)
