"""The job's console output: the summary table and the plain readings under it."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from l2gpu.pipeline.record import RunRecord
from l2gpu.pipeline.results import SavedResults
from l2gpu.pipeline.summary import heading, summary_frame


def print_summary(console: Console, record: RunRecord, run_id: str | None) -> None:
    """Print the best configs, the search's figures, the overfitting and walk-forward readings."""
    frame = summary_frame(record)
    view = Table(title=heading(record), title_justify="left")
    for column in frame.columns:
        view.add_column(str(column), justify="right")
    for row in frame.itertuples(index=False):
        view.add_row(*[f"{v:.4g}" if isinstance(v, float) else str(v) for v in row])
    console.print(view)
    table = record.search.table
    ics = ", ".join(f"{k[3:]} {v:+.3f}" for k, v in record.signals.ics.items())
    console.print(
        f"{(table.pnl > 0).mean():.1%} of configs profitable after costs; median Sharpe "
        f"{table.sharpe.median():.2f}; {record.search.steps_per_second:,.0f} backtest-steps/s; "
        f"information coefficients: {ics or 'none (no labels)'}"
    )
    judged = record.evaluation.overfitting
    if judged is not None:
        console.print(f"[bold]Overfitting:[/] {judged.reading()}")
    walk = record.evaluation.walk_forward
    if walk is not None and len(walk.folds):
        console.print(
            f"[bold]Walk-forward:[/] {len(walk.folds)} folds; out-of-sample pnl "
            f"{walk.oos_total:+.4g} quote (profitable in {(walk.folds.oos_pnl > 0).mean():.0%}"
            f" of folds) against a mean in-sample pnl of {walk.folds.is_pnl.mean():+.4g} per fold"
        )
    print_saved(console, record.saved)
    if run_id:
        console.print(f"MLflow run [bold]{run_id}[/]; browse it with [bold]l2gpu ui[/]")


def print_saved(console: Console, saved: SavedResults) -> None:
    """Say where the results table and the trades are."""
    console.print(
        f"results: {saved.results} ({len(saved.trades)} trade files beside it)", soft_wrap=True
    )
