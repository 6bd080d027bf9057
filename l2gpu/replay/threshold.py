"""The threshold family's stepper: one config through the sweep's CPU driver.

It builds the sweep's inputs the way :func:`l2gpu.backtest.sweep.sweep` does (the same
normalised table and parameter encoding, :func:`~l2gpu.backtest.sweep_inputs.book_arrays`,
:func:`~l2gpu.backtest.sweep_inputs.signal_matrix`) and calls the sweep's own compiled drivers
(:func:`l2gpu.kernels.sweep_cpu.sweep_cpu` over a chunk of rows, then ``finish_cpu``) with one
config, so its trades and metrics are the sweep's (``docs/replay.md``). A recorded trade is a
round trip; its entry fill is written when it fills and its exit fill when the position closes,
so the fills so far are two per closed trade plus the entry of an open position. The kernel
writes trade ``k`` only while its buffer holds more than ``k`` rows; a step lost nothing exactly
when, after it, the buffer holds the closed trades plus the open one (``_needed``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from l2gpu.backtest.cpu_driver import skip_index
from l2gpu.backtest.params import config_table, encode, normalise
from l2gpu.backtest.result import metrics_from_state, trades_frame
from l2gpu.backtest.sweep_inputs import book_arrays, signal_matrix
from l2gpu.backtest.validation import check_sweep_inputs
from l2gpu.data.book import Book
from l2gpu.data.trades import Trades
from l2gpu.kernels import sweep_layout as layout
from l2gpu.kernels.sweep_args import SweepOutputs, SweepState, ThreadPlan
from l2gpu.kernels.sweep_cpu import finish_cpu, sweep_cpu
from l2gpu.replay.stepper import STEPPERS, FillEvent, Stepper
from l2gpu.replay.words import clock_text

PENDING_KIND = {layout.PENDING_ENTRY: "entry", layout.PENDING_EXIT: "exit"}


class ThresholdStepper(Stepper):
    """A threshold config stepped through :func:`~l2gpu.kernels.sweep_cpu.sweep_cpu`.

    Parameters
    ----------
    book : Book
        The rows to replay.
    signals : mapping of str to array [T]
        Signal series by name.
    params : pandas.DataFrame
        One config, as :func:`l2gpu.backtest.sweep.sweep` takes it.
    trades : Trades, optional
        Not read: a taker needs only the book.
    sharpe_bucket_ns : int
        Length of a Sharpe bucket, ns.
    """

    def __init__(
        self,
        book: Book,
        signals: Mapping[str, Any],
        params: pd.DataFrame,
        trades: Trades | None = None,
        sharpe_bucket_ns: int = 1_000_000_000,
    ) -> None:
        super().__init__(book, (layout.N_REC_FLOAT, layout.N_REC_INT))
        check_sweep_inputs(signals, None)
        names, self.signals = signal_matrix(signals, self.rows, "cpu")
        self.table = normalise(config_table(params), names)
        self.params = encode(self.table, names)
        self.bucket_ns = sharpe_bucket_ns
        self.inputs = book_arrays(self.book, sharpe_bucket_ns)
        self._fs2 = np.zeros((1, layout.N_FLOAT))
        self._is2 = np.zeros((1, layout.N_INT), np.int64)
        self.fstate, self.istate = self._fs2[0], self._is2[0]
        self._no_buckets = np.zeros((1, 0))
        self._dense = skip_index(self.inputs, self.signals, self.params, "never")
        configs = self.params.shape[0]
        self._plan = ThreadPlan(
            np.arange(configs, dtype=np.int64),
            np.array([0, configs]),
            np.zeros(configs, np.int64),
            np.zeros(configs, np.int64),
        )

    def _bundles(self) -> tuple[SweepState, SweepOutputs]:
        return (
            SweepState(self.params, self._fs2, self._is2),
            SweepOutputs(self.rec_f[None], self.rec_i[None], self._no_buckets),
        )

    def _step(self, first: int, stop: int) -> None:
        state, out = self._bundles()
        sweep_cpu(self.inputs, self.signals, state, out, first, stop, self._dense, self._plan)

    def _close(self) -> None:
        state, out = self._bundles()
        finish_cpu(self.inputs, state, out)

    def _open(self) -> int:
        """Return 1 while a position is open (its entry is recorded at row ``I_TRADES``), else 0."""
        return 1 if self.fstate[layout.F_POSITION] != 0.0 else 0

    def _needed(self) -> int:
        return int(self.istate[layout.I_TRADES]) + self._open()

    def fills(self) -> pd.DataFrame:
        """Return the closed round trips so far, as :meth:`SweepResult.trades` gives them."""
        n = int(self.istate[layout.I_TRADES])
        return trades_frame(self.rec_f[:n], self.rec_i[:n])

    def events(self, first: int = 0) -> list[FillEvent]:
        """Return the entry and exit fills ``first ..`` so far."""
        total = 2 * int(self.istate[layout.I_TRADES]) + self._open()
        out = []
        for k in range(first, total):
            f, i = self.rec_f[k // 2], self.rec_i[k // 2]
            size = float(f[layout.R_SIZE])
            if k % 2 == 0:
                out.append(
                    FillEvent(
                        int(i[layout.R_ENTRY_ROW]),
                        int(i[layout.R_ENTRY_TS]),
                        size,
                        float(f[layout.R_ENTRY_PX]),
                        float(f[layout.R_ENTRY_FEE]),
                        "entry",
                        size,
                    )
                )
            else:
                out.append(
                    FillEvent(
                        int(i[layout.R_EXIT_ROW]),
                        int(i[layout.R_EXIT_TS]),
                        -size,
                        float(f[layout.R_EXIT_PX]),
                        float(f[layout.R_EXIT_FEE]),
                        "exit",
                        0.0,
                    )
                )
        return out

    def metrics(self) -> pd.DataFrame:
        """Return the threshold metrics of the state (the sweep's ``metrics_from_state``)."""
        first_ns, last_ns = self.book.span_ns()
        return metrics_from_state(self._fs2, self._is2, last_ns - first_ns, self.bucket_ns)

    def _account(self) -> tuple[float, float, float, float, int]:
        fs = self.fstate
        fills = 2 * int(self.istate[layout.I_TRADES]) + self._open()
        return (
            float(fs[layout.F_POSITION]),
            float(fs[layout.F_CASH]),
            float(fs[layout.F_LAST_EQUITY]),
            float(fs[layout.F_FEES]),
            fills,
        )

    def orders(self) -> tuple[str, ...]:
        """Return the open position and the pending order, in words."""
        fs, ist = self.fstate, self.istate
        lines = []
        position = fs[layout.F_POSITION]
        if position != 0.0:
            side = "long" if position > 0 else "short"
            lines.append(
                f"{side} {abs(position):g} @ {fs[layout.F_ENTRY_PX]:,.2f} since "
                f"{clock_text(int(ist[layout.I_ENTRY_TS]))} (row {ist[layout.I_ENTRY_ROW]:,})"
            )
        kind = int(ist[layout.I_PENDING])
        if kind in PENDING_KIND:
            verb = "buy" if ist[layout.I_PENDING_SIDE] > 0 else "sell"
            target = int(ist[layout.I_TARGET])
            due = clock_text(target) if ist[layout.I_TARGET_IS_TIME] else f"row {target:,}"
            lines.append(
                f"pending {PENDING_KIND[kind]}: {verb} {self.params[0, layout.P_SIZE]:g} at "
                f"market, decided at row {ist[layout.I_DECISION_ROW]:,}, fills at {due}"
            )
        return tuple(lines) or ("flat, no order pending",)


STEPPERS.add("threshold", ThresholdStepper)
