"""Slow, obvious references: plain loops over rows, written from docs/semantics.md."""

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


class ReferenceBook:
    """A price-level book as two dicts: the obvious way to apply absolute-size updates."""

    def __init__(self) -> None:
        self.sides: tuple[dict[int, float], dict[int, float]] = ({}, {})

    def clear(self) -> None:
        for side in self.sides:
            side.clear()

    def update(self, side: int, units: int, size: float) -> None:
        if size == 0.0:
            self.sides[side].pop(units, None)
        else:
            self.sides[side][units] = size

    def top(
        self, depth: int, divisor: float
    ) -> tuple[list[float], list[float], list[float], list[float]]:
        """Best ``depth`` levels: bid prices, bid sizes, ask prices, ask sizes (NaN/0 padded)."""
        out = []
        for side, reverse in ((0, True), (1, False)):
            prices = sorted(self.sides[side], reverse=reverse)[:depth]
            px = [p / divisor for p in prices] + [math.nan] * (depth - len(prices))
            sz = [self.sides[side][p] for p in prices] + [0.0] * (depth - len(prices))
            out += [px, sz]
        return out[0], out[1], out[2], out[3]
