"""The run report: one HTML page (plots embedded) from a run's artifacts.

Sections: the summary (the best configs with the thresholds as typed, the parameters that vary,
units, the scale and Sharpe convention), the overfitting reading (DSR, PBO), the top configs'
risk metrics, in-sample against out-of-sample when a walk-forward ran, the robustness table of
``l2gpu stress`` when it ran, and every PNG of the run.
Times are shown as UTC date-times. Every run writes it as ``report.html``; ``l2gpu report <run
id>`` rebuilds it from a logged run.
"""

from __future__ import annotations

import base64
import html
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

TIME_COLUMNS = ("train_start", "train_end", "test_start", "test_end")
PLOT_ORDER = (
    "equity_top.png",
    "walkforward.png",
    "sharpe_distribution.png",
    "optuna_history.png",
    "optuna_importances.png",
)


def _table(frame: pd.DataFrame) -> str:
    shown = frame.copy()
    for column in TIME_COLUMNS:
        if column in shown.columns:
            shown[column] = pd.to_datetime(shown[column], unit="ns", utc=True).dt.strftime(
                "%Y-%m-%d %H:%M:%S.%f"
            )
    page = shown.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0, classes="grid")
    return f"<div class='wide'>{page}</div>"


def _image(png: Path) -> str:
    if not png.exists():
        return ""
    return f"<img src='data:image/png;base64,{base64.b64encode(png.read_bytes()).decode()}'/>"


def report_html(folder: Path, title: str) -> str:
    """Build the report page from the artifacts in ``folder``."""
    parts = [f"<h1>{html.escape(title)}</h1>"]
    overfitting = folder / "overfitting.json"
    if overfitting.exists():
        data = json.loads(overfitting.read_text())
        parts.append(
            "<h2>Overfitting</h2>"
            f"<p class='reading'>{html.escape(data['reading'])}</p>"
            f"<p>DSR {data['dsr']:.3f} (per-bucket Sharpe {data['sharpe_per_bucket']:.4f}"
            f" against an expected best of {data['expected_max_sharpe']:.4f} from "
            f"{data['n_trials']:,} configs over {data['n_buckets']:,} buckets); PBO "
            f"{data['pbo']:.3f} over {data['pbo_splits']} blocks.</p>"
        )
    summary, texts = folder / "summary.csv", folder / "summary.json"
    if summary.exists() and texts.exists():
        words = json.loads(texts.read_text())
        parts.insert(
            1,
            "<h2>Summary</h2>"
            f"<p class='reading'>{html.escape(words['description'])}</p>"
            f"<p>{html.escape(words['heading'])}</p>" + _table(pd.read_csv(summary)),
        )
    risk = folder / "risk.csv"
    if risk.exists():
        parts.append("<h2>Risk of the top configs</h2>" + _table(pd.read_csv(risk)))
    folds = folder / "walkforward_folds.csv"
    if folds.exists():
        parts.append(
            "<h2>In sample against out of sample (walk-forward)</h2>" + _table(pd.read_csv(folds))
        )
    stress = folder / "stress" / "robustness.csv"
    if stress.exists():
        parts.append(
            "<h2>Top configs under stress scenarios</h2>"
            "<p>Written by <code>l2gpu stress</code>; scenarios defined in docs/stress.md.</p>"
            + _table(pd.read_csv(stress))
            + _image(folder / "stress" / "robustness.png")
        )
    pngs = sorted(
        folder.glob("*.png"),
        key=lambda p: (
            p.name not in PLOT_ORDER,
            PLOT_ORDER.index(p.name) if p.name in PLOT_ORDER else 0,
            p.name,
        ),
    )
    parts.extend(
        f"<h3>{html.escape(png.stem.replace('_', ' '))}</h3>" + _image(png) for png in pngs
    )
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
        ".grid{border-collapse:collapse;font-size:0.85em}"
        ".grid td,.grid th{padding:2px 6px;text-align:right;white-space:nowrap}"
        ".wide{overflow-x:auto;max-width:100%}"
        ".reading{font-size:1.1em;font-weight:bold}img{max-width:100%}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title><style>{style}</style></head><body>{''.join(parts)}</body></html>"
    )


def report_from_run(run_id: str, tracking_uri: str, out: Path) -> Path:
    """Download a run's artifacts and write its report to ``out``."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri)
    run = client.get_run(run_id)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(client.download_artifacts(run_id, "", tmp))
        title = f"l2gpu run {run.info.run_name} ({run_id})"
        out.write_text(report_html(folder, title))
    return out


def main(argv: list[str]) -> int:
    """``l2gpu report <run id> [--out FILE]``."""
    from rich.console import Console

    from l2gpu.tracking.mlflow_run import tracking_uri

    if not argv or argv[0].startswith("-"):
        Console(stderr=True).print("usage: l2gpu report <run id> [--out FILE]")
        return 2
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else Path(f"report_{argv[0]}.html")
    try:
        path = report_from_run(argv[0], tracking_uri(None, Path.cwd()), out)
    except Exception as exc:  # MLflow raises its own types for an unknown run or store
        Console(stderr=True).print(f"[bold red]report failed:[/] {exc}", soft_wrap=True)
        return 2
    Console().print(f"report written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
