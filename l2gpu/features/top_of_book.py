"""Mid, spread and top-``k`` imbalance of a book, on the CPU or the GPU."""

from __future__ import annotations

from typing import Any

from l2gpu.backend.arrays import array_namespace, to_device
from l2gpu.backend.engine import resolve_engine
from l2gpu.data.book import Book
from l2gpu.kernels.jit import DEFAULT_THREADS_PER_BLOCK
from l2gpu.kernels.top_of_book import top_of_book_cpu


def top_of_book(
    book: Book,
    levels: int = 5,
    engine: str | None = None,
    threads_per_block: int = DEFAULT_THREADS_PER_BLOCK,
) -> dict[str, Any]:
    """Compute ``mid``, ``spread`` and ``imbalance_{levels}`` for every row of ``book``.

    Parameters
    ----------
    book : Book
        The book; results come back on its device.
    levels : int
        Levels per side summed into the imbalance, ``1 <= levels <= book.depth``.
    engine : {"auto", "cpu", "gpu"} or None
        Where the kernel runs; ``None`` means ``"auto"``.
    threads_per_block : int
        CUDA block size (GPU engine only).

    Returns
    -------
    dict of str to array
        ``mid`` and ``spread`` in quote currency, ``imbalance_{levels}`` in [-1, 1] (NaN for an
        empty book), each of shape [T], float64.
    """
    if not 1 <= levels <= book.depth:
        raise ValueError(f"levels must be between 1 and the book depth {book.depth}, got {levels}")
    where = resolve_engine(engine)
    work = book.to(where)
    xp = array_namespace(work.ts)
    mid, spread, imbalance = (xp.empty(len(book)) for _ in range(3))
    args = (work.bid_px, work.bid_sz, work.ask_px, work.ask_sz, levels, mid, spread, imbalance)
    if where == "gpu":
        from l2gpu.kernels.top_of_book_cuda import top_of_book_cuda

        top_of_book_cuda(*args, threads_per_block=threads_per_block)
    else:
        top_of_book_cpu(*args)
    return {
        name: to_device(arr, book.device)
        for name, arr in (("mid", mid), ("spread", spread), (f"imbalance_{levels}", imbalance))
    }
