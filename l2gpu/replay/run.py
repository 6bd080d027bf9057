"""A logged run read back: its config, results table, fingerprints and recorded trades.

The job logs ``config.yaml`` (the resolved config), ``results.parquet`` (one row per config),
``fingerprints.json`` (the book store's fingerprint and each input file's SHA-256),
``environment.json`` (where it ran) and ``trades_config_<n>.parquet`` for its top configs
(``docs/pipeline.md``). :func:`load_run` downloads them; :meth:`RecordedRun.params` turns row
``n`` of the results table back into the config the family's run takes.

Parquet keeps a parameter column that mixes rows and durations (``50``, ``"1s"``), or any
column of Python objects, as text (:func:`l2gpu.pipeline.results.as_text_where_mixed`);
:func:`restore` reads such a cell back: ``"None"`` and ``"nan"`` as missing, ``"True"`` and
``"False"`` as booleans, whole numbers as ints (rows), other numbers as floats (Python's ``str``
of a float reads back exactly), anything else (a duration, a signal, a queue model) as text.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from l2gpu.config.schema import FAMILY_SCHEMAS, AppConfig, DataConfig, PathsConfig

RESULTS = "results.parquet"
CONFIG = "config.yaml"
FINGERPRINTS = "fingerprints.json"
ENVIRONMENT = "environment.json"
TRADES = "trades_config_{n}.parquet"
_INTEGER = re.compile(r"^-?\d+$")
_FLOAT = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-?inf$")


class ReplayError(ValueError):
    """A run, a config or a recording the replay cannot use; the message says what and where."""


def restore(value: Any) -> Any:
    """One results-table cell as the family's run takes it (see the module doc)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if not isinstance(value, str):
        return value
    if value in ("None", "nan", "NaN", ""):
        return None
    if value in ("True", "False"):
        return value == "True"
    if _INTEGER.match(value):
        return int(value)
    if _FLOAT.match(value):
        return float(value)
    return value


@dataclass(frozen=True)
class RecordedRun:
    """What the replay reads of a logged run.

    Attributes
    ----------
    run_id : str
        The MLflow run id.
    config : omegaconf.DictConfig
        The run's resolved config (``config.yaml``).
    results : pandas.DataFrame
        Its results table: one row per config, parameters then metrics.
    fingerprint : str
        Its book store's fingerprint (the cache key of the ingest).
    inputs : dict of str to str
        Each recording file it read, with its SHA-256.
    engine : str
        Where its kernels ran (``cpu`` or ``gpu``).
    recorded : dict of int to pandas.DataFrame
        The recorded trades (fills) of its top configs, by config.
    """

    run_id: str
    config: DictConfig
    results: pd.DataFrame
    fingerprint: str
    inputs: dict[str, str]
    engine: str = "cpu"
    recorded: dict[int, pd.DataFrame] = field(default_factory=dict)

    @property
    def family(self) -> str:
        """The strategy family of the run (``strategy.family``)."""
        return str(self.config.strategy.family)

    @property
    def data(self) -> DataConfig:
        """The run's recording and ingest settings."""
        return _typed(DataConfig, self.config.data)

    @property
    def app(self) -> AppConfig:
        """The run's whole config, typed (its strategy group as its family's schema)."""
        schema = OmegaConf.structured(AppConfig)
        schema.strategy = OmegaConf.structured(FAMILY_SCHEMAS[self.family])
        app = OmegaConf.to_object(OmegaConf.merge(schema, self.config))
        assert isinstance(app, AppConfig)
        return app

    @property
    def paths(self) -> PathsConfig:
        """The run's project root and cache folder."""
        return _typed(PathsConfig, self.config.paths)

    @property
    def features(self) -> list[str]:
        """The signals the run computed (``features.names``)."""
        return [str(name) for name in self.config.features.names]

    @property
    def max_rows(self) -> int | None:
        """The run's ``debug.max_rows`` (it kept only the book's first rows), or None."""
        value = self.config.debug.max_rows
        return None if value is None else int(value)

    @property
    def sharpe_bucket(self) -> str:
        """The run's Sharpe bucket (``sweep.sharpe_bucket``)."""
        return str(self.config.sweep.sharpe_bucket)

    def row(self, n: int) -> pd.Series:
        """Row ``n`` of the results table (its index, as in ``trades_config_<n>.parquet``)."""
        if n not in self.results.index:
            first, last = self.results.index.min(), self.results.index.max()
            raise ReplayError(
                f"config {n} is not in the results table of run {self.run_id} "
                f"(configs {first} to {last})"
            )
        return self.results.loc[n]

    def params(self, n: int, columns: tuple[str, ...]) -> pd.DataFrame:
        """Config ``n`` as a one-row table of ``columns`` (the family's parameters)."""
        row = self.row(n)
        missing = [c for c in columns if c not in row.index]
        if missing:
            raise ReplayError(
                f"the results table of run {self.run_id} has no column(s) {missing}: it is not "
                f"a {self.family} table"
            )
        return pd.DataFrame([{c: restore(row[c]) for c in columns}])


def _typed(schema: type, node: Any) -> Any:
    return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(schema), node))


def check_store(uri: str) -> None:
    """Refuse a SQLite tracking store that does not exist (MLflow would create an empty one)."""
    prefix = "sqlite:///"
    if uri.startswith(prefix) and not Path(uri[len(prefix) :]).exists():
        raise ReplayError(
            f"no tracking store at {uri[len(prefix) :]}: run the command in the folder the job "
            "ran in, or name the store with --tracking-uri (or MLFLOW_TRACKING_URI)"
        )


@contextmanager
def _no_download_bars() -> Iterator[None]:
    """MLflow draws a progress bar per artifact downloaded; the replay's few are instant."""
    key = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"
    before = os.environ.get(key)
    os.environ[key] = "false"
    try:
        yield
    finally:
        if before is None:
            del os.environ[key]
        else:
            os.environ[key] = before


def load_run(run_id: str, uri: str) -> RecordedRun:
    """Download what the replay needs of run ``run_id`` from the tracking store ``uri``."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    check_store(uri)
    client = MlflowClient(uri)
    try:
        client.get_run(run_id)
        names = {f.path for f in client.list_artifacts(run_id)}
    except MlflowException as exc:
        raise ReplayError(f"no run {run_id!r} in {uri}: {exc.message}") from None
    lacking = [n for n in (RESULTS, CONFIG, FINGERPRINTS) if n not in names]
    if lacking:
        raise ReplayError(
            f"run {run_id} has no {', '.join(lacking)} among its artifacts (a multirun's parent, "
            "or a job that stopped before logging them): name one of its jobs' runs"
        )
    with tempfile.TemporaryDirectory() as tmp, _no_download_bars():
        folder = Path(tmp)
        for name in names:
            if name in (RESULTS, CONFIG, FINGERPRINTS, ENVIRONMENT) or name.startswith("trades_"):
                client.download_artifacts(run_id, name, tmp)
        return read_run_folder(run_id, folder)


def read_run_folder(run_id: str, folder: Path) -> RecordedRun:
    """Read a run's downloaded artifacts from ``folder``."""
    fingerprints = json.loads((folder / FINGERPRINTS).read_text())
    environment = folder / ENVIRONMENT
    engine = json.loads(environment.read_text())["engine"] if environment.exists() else "cpu"
    recorded = {}
    for path in folder.glob(TRADES.format(n="*")):
        number = path.stem.removeprefix("trades_config_")
        if number.isdigit():
            recorded[int(number)] = pd.read_parquet(path)
    config = OmegaConf.load(folder / CONFIG)
    assert isinstance(config, DictConfig)
    return RecordedRun(
        run_id=run_id,
        config=config,
        results=pd.read_parquet(folder / RESULTS),
        fingerprint=str(fingerprints["book_store"]),
        inputs={str(k): str(v) for k, v in fingerprints["inputs"].items()},
        engine=str(engine),
        recorded=recorded,
    )
