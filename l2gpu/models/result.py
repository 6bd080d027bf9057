"""``ModelRun``: one model's out-of-sample scores, folds, loss curves and fitted parameters."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from l2gpu.models.design import Scaling


@dataclass
class FoldRecord:
    """One scored block: its fit, its scaling and its loss curves."""

    params: dict[str, np.ndarray]
    scaling: Scaling
    train_loss: list[float]
    test_loss: list[float]


@dataclass
class ModelRun:
    """What training a model walk-forward gave.

    Attributes
    ----------
    signal : str
        The score's signal name, ``model_<model>``.
    model, label, trainer : str
        The model, the label it was trained on, ``"numpy"`` or ``"torch"``.
    scores : array [T]
        Out-of-sample scores on the book's device (the predicted label in its unit, or the
        logistic model's logit); NaN where no model trained only on rows
        before the row's block (purged and embargoed) could score it.
    folds : pandas.DataFrame
        One row per block after the first: its span (ns), rows trained on and scored, the
        final train and test losses, its IC (``nan`` where the block was not scored).
    records : dict of int to FoldRecord
        Each scored block's fit, by block number.
    settings : dict
        The model's config, for the params file.
    """

    signal: str
    model: str
    label: str
    trainer: str
    scores: Any
    folds: pd.DataFrame
    records: dict[int, FoldRecord] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def curve_metrics(self) -> list[tuple[str, float, int]]:
        """``(key, value, step)`` of every epoch's loss: ``<signal>.<train|test>_loss.fold<k>``."""
        out: list[tuple[str, float, int]] = []
        for fold, record in self.records.items():
            for kind, curve in (("train", record.train_loss), ("test", record.test_loss)):
                key = f"{self.signal}.{kind}_loss.fold{fold}"
                out.extend((key, float(v), step) for step, v in enumerate(curve) if np.isfinite(v))
        return out

    def metrics(self) -> dict[str, float]:
        """Blocks scored and rows scored (the IC is among the signals' ICs)."""
        scored = self.folds[self.folds.scored_rows > 0]
        return {
            f"{self.signal}.folds_scored": float(len(scored)),
            f"{self.signal}.rows_scored": float(scored.scored_rows.sum()),
        }

    def write(self, folder: Path) -> list[Path]:
        """Write the params file (``.npz``), the fold table and the settings; return the paths."""
        arrays: dict[str, np.ndarray] = {}
        for fold, record in self.records.items():
            scaling = record.scaling
            arrays.update({f"fold{fold}.{k}": v for k, v in record.params.items()})
            arrays[f"fold{fold}.input_mean"] = scaling.mean
            arrays[f"fold{fold}.input_scale"] = scaling.scale
            arrays[f"fold{fold}.target_mean"] = np.array([scaling.target_mean])
            arrays[f"fold{fold}.target_scale"] = np.array([scaling.target_scale])
        params = folder / f"{self.signal}.npz"
        np.savez(params, **arrays)  # type: ignore[arg-type]
        table = folder / f"{self.signal}_folds.csv"
        self.folds.to_csv(table, index=False)
        settings = folder / f"{self.signal}.json"
        described = {"model": self.model, "label": self.label, "trainer": self.trainer}
        settings.write_text(json.dumps({**described, **self.settings}, indent=2))
        return [params, table, settings]
