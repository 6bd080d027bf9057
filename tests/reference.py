"""Slow, obvious reference implementations: plain loops over rows, written from DESIGN §6."""

from __future__ import annotations

import math

import numpy as np

from l2gpu.data.book import Book


def top_of_book_reference(book: Book, levels: int) -> dict[str, np.ndarray]:
    """Mid, spread and imbalance over the first ``levels`` levels, one row at a time."""
    rows = len(book)
    mid, spread, imbalance = np.empty(rows), np.empty(rows), np.empty(rows)
    for t in range(rows):
        bid, ask = float(book.bid_px[0, t]), float(book.ask_px[0, t])
        mid[t] = (bid + ask) / 2
        spread[t] = ask - bid
        bids = sum(float(book.bid_sz[k, t]) for k in range(levels))
        asks = sum(float(book.ask_sz[k, t]) for k in range(levels))
        imbalance[t] = (bids - asks) / (bids + asks) if bids + asks != 0 else math.nan
    return {"mid": mid, "spread": spread, f"imbalance_{levels}": imbalance}
