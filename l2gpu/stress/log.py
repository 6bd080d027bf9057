"""The robustness table, its plot and its medians logged to the run they came from.

Artifacts under ``stress/``: ``robustness.csv`` (the table), ``robustness.png`` (the plot) and
``scenarios.json`` (the seed and each scenario's parameters); metrics
``stress.<scenario>.<metric>_median``. An MLflow run takes artifacts and metrics after it ended,
so they join the job's own. See ``docs/stress.md#what-is-logged``.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from l2gpu.stress.plot import robustness_plot
from l2gpu.stress.robustness import summary_metrics
from l2gpu.stress.scenario import SCENARIOS, Value

FOLDER = "stress"
TABLE = "robustness.csv"
PLOT = "robustness.png"
SETTINGS = "scenarios.json"


def log_robustness(
    run_id: str,
    uri: str,
    table: pd.DataFrame,
    metrics: Sequence[str],
    seed: int,
    scenarios: Mapping[str, Mapping[str, Value]],
) -> dict[str, float]:
    """Log ``table`` (with its plot and settings) and its medians to run ``run_id``.

    ``scenarios`` holds each scenario's parameters that replaced its defaults; the settings
    file records every parameter as used.

    Returns
    -------
    dict of str to float
        The metrics logged.
    """
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient(uri)
    used = {name: {**SCENARIOS[name].defaults, **given} for name, given in scenarios.items()}
    settings = {"seed": seed, "scenarios": used}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        table.to_csv(folder / TABLE, index=False)
        robustness_plot(table, folder / PLOT)
        (folder / SETTINGS).write_text(json.dumps(settings, indent=2))
        for name in (TABLE, PLOT, SETTINGS):
            client.log_artifact(run_id, str(folder / name), FOLDER)
    medians = summary_metrics(table, metrics)
    stamp = int(time.time() * 1000)
    client.log_batch(run_id, metrics=[Metric(k, v, stamp, 0) for k, v in medians.items()])
    return medians
