"""The quote family's stepper: one config through the quote sweep's CPU driver.

It builds the kernel's inputs with the quote sweep's own
:func:`~l2gpu.backtest.quote.sweep.prepare` (mid, signals, tick, trades per row, future mids,
buckets) and parameter encoding, and calls the compiled drivers the sweep records fills with:
:func:`l2gpu.kernels.quote_cpu.quote_one_cpu` over a chunk of rows, then ``quote_finish_cpu``.
Its fills and metrics are therefore the sweep's for that config (``docs/replay.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from l2gpu.backtest.quote.params import encode, normalise
from l2gpu.backtest.quote.result import fills_frame, metrics_from_state
from l2gpu.backtest.quote.sweep import prepare
from l2gpu.data.book import Book
from l2gpu.data.trades import Trades
from l2gpu.kernels import quote_cpu
from l2gpu.kernels import quote_layout as layout
from l2gpu.replay.stepper import STEPPERS, FillEvent, Stepper

_one_cpu: Any = quote_cpu.quote_one_cpu  # Numba dispatchers, called with the inputs unpacked
_finish_cpu: Any = quote_cpu.quote_finish_cpu
SIDES = ("bid", "ask")


class QuoteStepper(Stepper):
    """A quote config stepped through :func:`~l2gpu.kernels.quote_cpu.quote_one_cpu`.

    Parameters
    ----------
    book : Book
        The rows to replay; its ``meta.tick_size`` is the price grid.
    signals : mapping of str to array [T]
        Signal series by name.
    params : pandas.DataFrame
        One config, as :func:`l2gpu.backtest.quote.sweep.quote_sweep` takes it.
    trades : Trades
        The recording's trades.
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
        if trades is None:
            raise ValueError("the quote family needs the recording's trades (the trades store)")
        super().__init__(book, (layout.N_REC_FLOAT, layout.N_REC_INT))
        names, self.inputs = prepare(self.book, trades, signals, sharpe_bucket_ns)
        self.table = normalise(pd.DataFrame(params), names[1:])
        self.params = encode(self.table, names)
        self.bucket_ns = sharpe_bucket_ns
        self._fs2 = np.zeros((1, layout.N_FLOAT))
        self._is2 = np.zeros((1, layout.N_INT), np.int64)
        self.fstate, self.istate = self._fs2[0], self._is2[0]
        self._no_buckets = np.zeros((1, 0))
        self._args = self.inputs.kernel_args()

    def _step(self, first: int, stop: int) -> None:
        _one_cpu(
            *self._args,
            self.params[0],
            self.fstate,
            self.istate,
            first,
            stop,
            self.rec_f,
            self.rec_i,
            self._no_buckets[0],
        )

    def _close(self) -> None:
        b = self.inputs.book
        _finish_cpu(
            b.ts,
            self.inputs.mid,
            b.bid_px,
            b.bid_sz,
            b.ask_px,
            b.ask_sz,
            self.params,
            self._fs2,
            self._is2,
            self.rec_f,
            self.rec_i,
            self._no_buckets,
        )

    def _needed(self) -> int:
        return int(self.istate[layout.I_RECORDED])

    def fills(self) -> pd.DataFrame:
        """Return the fills so far, as :meth:`SweepResult.trades` gives them."""
        n = self._needed()
        return fills_frame(self.rec_f[:n], self.rec_i[:n])

    def events(self, first: int = 0) -> list[FillEvent]:
        """Return the maker and taker fills ``first ..`` so far."""
        return [
            FillEvent(
                int(self.rec_i[k, layout.R_ROW]),
                int(self.rec_i[k, layout.R_TS]),
                float(self.rec_f[k, layout.R_QTY]),
                float(self.rec_f[k, layout.R_PX]),
                float(self.rec_f[k, layout.R_FEE]),
                "maker" if self.rec_i[k, layout.R_MAKER] else "taker",
                float(self.rec_f[k, layout.R_POSITION]),
            )
            for k in range(first, self._needed())
        ]

    def metrics(self) -> pd.DataFrame:
        """Return the quote metrics of the state (the sweep's ``metrics_from_state``)."""
        return metrics_from_state(self._fs2, self._is2, self.bucket_ns)

    def _account(self) -> tuple[float, float, float, float, int]:
        fs = self.fstate
        return (
            float(fs[layout.F_POSITION]),
            float(fs[layout.F_CASH]),
            float(fs[layout.F_LAST_EQUITY]),
            float(fs[layout.F_FEES]),
            self._needed(),
        )

    def _price(self, ticks: int) -> float:
        """Return a price in ticks as the book's own float (``ticks * tick_num / tick_den``)."""
        return ticks * self.inputs.tick_num / self.inputs.tick_den

    def orders(self) -> tuple[str, ...]:
        """Return the resting quotes, orders in flight, seen position and market order, in words."""
        fs, ist = self.fstate, self.istate
        lines = []
        for side, name in enumerate(SIDES):
            si = layout.I_SIDE + side * layout.SIDE_I_WIDTH
            sf = layout.F_SIDE + side * layout.SIDE_F_WIDTH
            if ist[si + layout.SI_RESTING]:
                ahead = fs[sf + layout.SF_AHEAD]
                queue = "unknown (beyond the visible levels)" if np.isinf(ahead) else f"{ahead:g}"
                words = (
                    f"{name} {self._price(int(ist[si + layout.SI_PX])):,.2f} x "
                    f"{fs[sf + layout.SF_REMAINING]:g} resting, ahead {queue}"
                )
            else:
                words = f"{name}: none resting"
            travelling = int(ist[si + layout.SI_RING_COUNT])
            if travelling:
                words += f"; {travelling} order(s) in flight"
            lines.append(words)
        lines.append(f"position seen by the strategy {fs[layout.F_SEEN_POSITION]:+g}")
        market = int(ist[layout.I_MARKET])
        if market != layout.MARKET_NONE:
            qty = fs[layout.F_MARKET_QTY]
            state = "travelling" if market == layout.MARKET_TRAVELLING else "filled, not yet seen"
            lines.append(f"market {'buy' if qty > 0 else 'sell'} {abs(qty):g} {state}")
        if ist[layout.I_EXITING]:
            lines.append("risk exit: quoting stops until the seen position is flat")
        return tuple(lines)


STEPPERS.add("quote", QuoteStepper)
