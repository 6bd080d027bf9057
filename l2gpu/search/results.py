"""The results of a study's trials, kept beside its Optuna storage so it can be reported again.

Optuna keeps each trial's parameters and objective values; a report needs the whole results row
of every trial (every metric) and its per-bucket pnl (the ``[buckets, trials]`` matrix of the
overfitting statistics). A worker writes each batch, before telling its values to Optuna, as
two files under ``<study folder>/results/``::

    w<worker>-b<batch>.npy       bucket pnl, float64 [buckets, trials of the batch]
    w<worker>-b<batch>.parquet   the results rows, with columns ``trial`` and ``_worker``

each written to a temporary name, fsynced and renamed, the Parquet file last: a batch exists
once its Parquet file does. A process killed at any point loses at most the batch it was
evaluating, and a trial whose results were stored but not told is told from them, never
evaluated again. Object columns (``max_hold`` holds rows and durations) are stored as JSON text
and read back as they were.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

WORKER_COLUMN = "_worker"
JSON_COLUMNS_KEY = b"l2gpu.json_columns"


@dataclass(frozen=True)
class StoredBatch:
    """One batch of stored results.

    Attributes
    ----------
    name : str
        ``w<worker>-b<batch>``.
    table : pandas.DataFrame
        The results rows, with ``trial`` and ``_worker`` columns.
    bucket_pnl : numpy.ndarray
        ``[buckets, len(table)]``, quote currency.
    """

    name: str
    table: pd.DataFrame
    bucket_pnl: np.ndarray


class ResultStore(Protocol):
    """Where the batches of a study are kept."""

    def write(self, name: str, table: pd.DataFrame, bucket_pnl: np.ndarray) -> None:
        """Keep one batch."""
        ...

    def load(self) -> list[StoredBatch]:
        """Return every batch kept so far, by name."""
        ...


class MemoryStore:
    """Batches kept in this process only (for ``sweep.storage=memory``)."""

    def __init__(self) -> None:
        self._batches: dict[str, StoredBatch] = {}

    def write(self, name: str, table: pd.DataFrame, bucket_pnl: np.ndarray) -> None:
        """Keep one batch."""
        self._batches[name] = StoredBatch(name, table.copy(), np.array(bucket_pnl))

    def load(self) -> list[StoredBatch]:
        """Return every batch, by name."""
        return [self._batches[name] for name in sorted(self._batches)]


class FolderStore:
    """Batches as Parquet and ``.npy`` files in one folder (see the module docstring).

    Parameters
    ----------
    folder : pathlib.Path
        ``<study folder>/results``; created if missing.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._cache: dict[str, StoredBatch] = {}

    def write(self, name: str, table: pd.DataFrame, bucket_pnl: np.ndarray) -> None:
        """Write one batch: the ``.npy`` file, then the Parquet file, each atomically."""
        bucket_pnl = np.ascontiguousarray(bucket_pnl, dtype=np.float64)
        _atomic(self.folder / f"{name}.npy", lambda f: np.save(f, bucket_pnl, allow_pickle=False))
        arrow = _to_arrow(table)
        _atomic(self.folder / f"{name}.parquet", lambda f: pq.write_table(arrow, f))
        self._cache[name] = StoredBatch(name, table.copy(), bucket_pnl)

    def load(self) -> list[StoredBatch]:
        """Return every batch in the folder (those read before come from memory)."""
        batches = []
        for path in sorted(self.folder.glob("*.parquet")):
            name = path.stem
            if name not in self._cache:
                self._cache[name] = self._read(name)
            batches.append(self._cache[name])
        return batches

    def _read(self, name: str) -> StoredBatch:
        parquet, npy = self.folder / f"{name}.parquet", self.folder / f"{name}.npy"
        try:
            table = _from_arrow(pq.read_table(parquet))
            bucket_pnl = np.load(npy, allow_pickle=False)
        except (OSError, ValueError, pa.ArrowException) as exc:
            raise ValueError(
                f"{parquet}: a stored batch of the study cannot be read ({exc}); move it away "
                "to rerun its trials"
            ) from None
        if bucket_pnl.ndim != 2 or bucket_pnl.shape[1] != len(table):
            raise ValueError(
                f"{npy}: bucket pnl of shape {bucket_pnl.shape} does not match the "
                f"{len(table)} rows of {parquet.name}; move both files away to rerun the batch"
            )
        return StoredBatch(name, table, bucket_pnl)


def _atomic(path: Path, write: Any) -> None:
    """Write ``path`` through ``write(file)`` to a temporary name, fsync, then rename."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)


def _json_value(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    raise TypeError(f"cannot store {value!r} ({type(value).__name__}) in a results table")


def _to_arrow(table: pd.DataFrame) -> pa.Table:
    """Arrow table with object columns as JSON text, named in the schema metadata."""
    encoded = table.copy()
    json_columns = [c for c in table.columns if table[c].dtype == object]
    for column in json_columns:
        encoded[column] = [json.dumps(v, default=_json_value) for v in table[column]]
    arrow = pa.Table.from_pandas(encoded, preserve_index=False)
    metadata = dict(arrow.schema.metadata or {})
    metadata[JSON_COLUMNS_KEY] = json.dumps(json_columns).encode()
    return arrow.replace_schema_metadata(metadata)


def _from_arrow(arrow: pa.Table) -> pd.DataFrame:
    json_columns = json.loads((arrow.schema.metadata or {}).get(JSON_COLUMNS_KEY, b"[]"))
    table = arrow.to_pandas()
    for column in json_columns:
        table[column] = pd.Series([json.loads(v) for v in table[column]], dtype=object)
    return table


def assemble(
    batches: list[StoredBatch], owners: Mapping[int, int | None]
) -> tuple[pd.DataFrame, np.ndarray, list[int]]:
    """Return the rows and bucket pnl of the trials in ``owners``, in trial order.

    Parameters
    ----------
    batches : list of StoredBatch
        What the store holds.
    owners : mapping of int to int or None
        Trial number -> the worker that told it (its row is preferred where a trial was
        stored twice, by a worker wrongly judged gone and by the one that reclaimed it).

    Returns
    -------
    table, bucket_pnl, missing
        Rows without the ``_worker`` column; ``[buckets, len(table)]``; trials with no row.
    """
    chosen: dict[int, tuple[int, int]] = {}
    for b, batch in enumerate(batches):
        trials = batch.table["trial"].to_numpy()
        workers = batch.table[WORKER_COLUMN].to_numpy()
        for row, (trial, worker) in enumerate(zip(trials, workers, strict=True)):
            trial = int(trial)
            if trial in owners and (trial not in chosen or int(worker) == owners[trial]):
                chosen[trial] = (b, row)
    missing = sorted(set(owners) - set(chosen))
    order = sorted(chosen)
    if not order:
        columns = [c for c in batches[0].table.columns if c != WORKER_COLUMN] if batches else []
        buckets = batches[0].bucket_pnl.shape[0] if batches else 0
        return pd.DataFrame(columns=columns), np.zeros((buckets, 0)), missing
    shapes = {batch.bucket_pnl.shape[0] for batch in batches}
    if len(shapes) > 1:
        raise ValueError(
            f"stored batches of the study have different bucket counts {sorted(shapes)}: they "
            "were evaluated on different data, so they are not one study"
        )
    rows_of: dict[int, list[int]] = {}
    for trial in order:
        b, row = chosen[trial]
        rows_of.setdefault(b, []).append(row)
    parts = [batches[b].table.iloc[rows] for b, rows in sorted(rows_of.items())]
    columns = [batches[b].bucket_pnl[:, rows] for b, rows in sorted(rows_of.items())]
    table = pd.concat(parts, ignore_index=True).drop(columns=WORKER_COLUMN)
    bucket_pnl = np.hstack(columns)
    permutation = np.argsort(table["trial"].to_numpy(), kind="stable")
    return (
        table.iloc[permutation].reset_index(drop=True),
        bucket_pnl[:, permutation],
        missing,
    )
