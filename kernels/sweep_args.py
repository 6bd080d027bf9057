"""The bundled arguments of the sweep drivers, on both targets (Numba takes named tuples of arrays).

- :class:`BookArrays`: what the state machine reads per row: ``ts`` int64 ``[T]`` ns, ``mid``
  float64 ``[T]`` quote currency, ``row_bucket`` int64 ``[T]`` (each row's Sharpe bucket) and the
  four level-major ``[K, T]`` arrays;
- :class:`SweepState`: ``params`` float64 ``[P, N_PARAMS]``, ``fstate`` float64 ``[P, N_FLOAT]``,
  ``istate`` int64 ``[P, N_INT]`` (layout in :mod:`l2gpu.kernels.sweep_layout`), carried between
  chunks of rows;
- :class:`SweepOutputs`: ``rec_f`` float64 ``[P, N, N_REC_FLOAT]`` and ``rec_i`` int64
  ``[P, N, N_REC_INT]`` (config ``p``'s first ``N`` trades; ``N = 0`` records nothing) and
  ``bucket_pnl`` float64 ``[P, B]`` (each config's equity change per bucket; ``B = 0`` for none).

- :class:`SkipIndex` (CPU): what event skipping reads (:mod:`l2gpu.kernels.sweep_skip`,
  :mod:`l2gpu.kernels.sweep_hold`): ``skip`` uint8 ``[P]`` (what each config skips:
  :data:`SKIP_FLAT`, :data:`SKIP_HOLD`, both or neither), ``tree`` float64 ``[S, 2, W]`` and
  ``offsets`` int64 (the signals' block maxima), ``change_at`` and ``valid_at`` int64 ``[T]``,
  ``mid_tree`` float64 ``[2, W]`` (the mid's block maxima), ``falls`` float64 ``[2, W]`` (the
  mid's largest fall and rise in each block), ``last_valid`` int64 ``[T]`` and the signals'
  candidate lists, the four fields of :class:`~l2gpu.kernels.candidates.Candidates` flat (a
  named tuple inside the bundle would not pass into the CPU driver's ``prange`` body);
- :class:`ThreadPlan` (CPU): ``order`` int64 ``[P]`` (a permutation of the configs),
  ``shares`` int64 ``[G + 1]``: thread ``g`` runs configs ``order[shares[g]:shares[g + 1]]``,
  ``followers`` int64 ``[P]``: the members of the stop ladder led by ``order[k]`` are the
  ``followers[k]`` configs after it in ``order``, tightest stop first (0 for every other
  config; :mod:`l2gpu.kernels.sweep_ladder`), and ``split`` int64 ``[P]``: how many members of
  config ``p``'s ladder have split off (carried between chunks of rows).

Config ``p`` of a driver reads and writes row ``p`` of every state and output array. They are
built in one place, :mod:`l2gpu.backtest.sweep_inputs`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

SKIP_FLAT = 1
"""A :class:`SkipIndex` flag: the config skips its flat rows with no order pending."""
SKIP_HOLD = 2
"""A :class:`SkipIndex` flag: the config skips the rows of its positions with no order pending."""


class BookArrays(NamedTuple):
    """Per-row inputs of the sweep (see the module doc)."""

    ts: Any
    mid: Any
    row_bucket: Any
    bid_px: Any
    bid_sz: Any
    ask_px: Any
    ask_sz: Any

    def rows(self, first: int, stop: int) -> BookArrays:
        """Rows ``first .. stop-1`` (views)."""
        return BookArrays(
            self.ts[first:stop],
            self.mid[first:stop],
            self.row_bucket[first:stop],
            self.bid_px[:, first:stop],
            self.bid_sz[:, first:stop],
            self.ask_px[:, first:stop],
            self.ask_sz[:, first:stop],
        )


class SweepState(NamedTuple):
    """Parameters and the state carried between chunks, one row per config."""

    params: Any
    fstate: Any
    istate: Any


class SweepOutputs(NamedTuple):
    """Recorded trades and per-bucket pnl, one row per config."""

    rec_f: Any
    rec_i: Any
    bucket_pnl: Any


class SkipIndex(NamedTuple):
    """What each config skips, and the structures it skips with (see the module doc)."""

    skip: Any
    tree: Any
    offsets: Any
    change_at: Any
    valid_at: Any
    mid_tree: Any
    falls: Any
    last_valid: Any
    listed_rows: Any
    listed_values: Any
    listed_start: Any
    listed_base: Any


class ThreadPlan(NamedTuple):
    """Which configs each CPU thread runs, in which order (see the module doc)."""

    order: Any
    shares: Any
    followers: Any
    split: Any
