import numpy as np
import pytest

from l2gpu.features import top_of_book
from tests.books import random_book
from tests.reference import top_of_book_reference

EDGE_BOOKS = {
    "empty bid side": dict(bid_px=[[np.nan]] * 2, bid_sz=[[0.0]] * 2),
    "empty book": dict(
        bid_px=[[np.nan]] * 2, bid_sz=[[0.0]] * 2, ask_px=[[np.nan]] * 2, ask_sz=[[0.0]] * 2
    ),
    "zero sizes": dict(bid_sz=[[0.0]] * 2, ask_sz=[[0.0]] * 2),
    "one level": dict(
        bid_px=[[10.0], [np.nan]],
        bid_sz=[[2.0], [0.0]],
        ask_px=[[10.5], [np.nan]],
        ask_sz=[[1.0], [0.0]],
    ),
}


def edge_book(**override):
    from l2gpu.data import Book

    levels = dict(
        bid_px=[[10.0], [9.5]],
        bid_sz=[[1.0], [3.0]],
        ask_px=[[10.5], [11.0]],
        ask_sz=[[2.0], [4.0]],
    )
    levels.update(override)
    ts = np.zeros(1, np.int64)
    arrays = {name: np.array(value, dtype=np.float64) for name, value in levels.items()}
    return Book(ts, ts, ts, arrays["bid_px"], arrays["bid_sz"], arrays["ask_px"], arrays["ask_sz"])


def assert_matches(got, want):
    assert set(got) == set(want)
    for name in want:
        np.testing.assert_allclose(
            got[name], want[name], rtol=1e-12, atol=0, equal_nan=True, err_msg=name
        )


@pytest.mark.parametrize("levels", [1, 3, 5])
def test_cpu_kernel_matches_reference_on_random_books(rng, levels):
    book = random_book(rng, rows=3000, depth=5)
    assert_matches(top_of_book(book, levels, engine="cpu"), top_of_book_reference(book, levels))


@pytest.mark.parametrize("case", sorted(EDGE_BOOKS))
def test_cpu_kernel_matches_reference_on_edge_cases(case):
    book = edge_book(**EDGE_BOOKS[case])
    got = top_of_book(book, 2, engine="cpu")
    assert_matches(got, top_of_book_reference(book, 2))
    if case in ("empty book", "zero sizes"):
        assert np.isnan(got["imbalance_2"][0])
    if case == "empty bid side":
        assert np.isnan(got["mid"][0]) and got["imbalance_2"][0] == -1.0


def test_hand_worked_row():
    got = top_of_book(edge_book(), 2, engine="cpu")
    assert got["mid"][0] == 10.25 and got["spread"][0] == 0.5
    assert got["imbalance_2"][0] == (4.0 - 6.0) / 10.0


def test_levels_outside_the_book_are_refused(rng):
    with pytest.raises(ValueError, match="between 1 and the book depth 2"):
        top_of_book(random_book(rng, 10, 2), levels=3, engine="cpu")


@pytest.mark.cuda_kernel
@pytest.mark.parametrize("threads_per_block", [4, 32])
@pytest.mark.parametrize("delta", [-1, 0, 1])
def test_cuda_matches_cpu_around_block_boundaries(rng, threads_per_block, delta):
    rows = threads_per_block * 3 + delta
    book = random_book(rng, rows=rows, depth=4)
    cpu = top_of_book(book, 4, engine="cpu")
    gpu = top_of_book(book, 4, engine="gpu", threads_per_block=threads_per_block)
    for name in cpu:
        np.testing.assert_allclose(np.asarray(gpu[name]), cpu[name], rtol=1e-10, equal_nan=True)


@pytest.mark.cuda_kernel
@pytest.mark.parametrize("case", sorted(EDGE_BOOKS))
def test_cuda_matches_reference_on_edge_cases(case):
    book = edge_book(**EDGE_BOOKS[case])
    assert_matches(
        top_of_book(book, 2, engine="gpu", threads_per_block=4), top_of_book_reference(book, 2)
    )


@pytest.mark.gpu
def test_gpu_matches_cpu_on_a_large_device_book(rng):
    book = random_book(rng, rows=1_000_003, depth=10, edge_cases=True)
    cpu = top_of_book(book, 10, engine="cpu")
    gpu = top_of_book(book.to("gpu"), 10, engine="gpu")
    for name in cpu:
        np.testing.assert_allclose(gpu[name].get(), cpu[name], rtol=1e-10, equal_nan=True)
