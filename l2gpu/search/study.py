"""Which study a run belongs to, and opening it: storage, Optuna study, results store.

"The same study" is the same *identity*: everything that decides a trial's results and what
the sampler does with them — the values :attr:`StudySpec.searched` holds (the data and how it
is read, the features, the strategy lists, the costs, the Sharpe bucket), the objectives, the
sampler and the seed. :func:`study_name` hashes the identity, so the same command finds the
same study again, and a changed one starts a new study. ``n_trials`` and ``batch_size`` are not
part of it: a rerun with more trials carries the study on. A study opened under an explicit
name checks the identity recorded in ``<study folder>/study.json`` and refuses to mix results
of a different search into it. See ``docs/search.md``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.study import StudyDirection

from l2gpu.search.objectives import directions as objective_directions
from l2gpu.search.proposers import ProposerFactory
from l2gpu.search.results import FolderStore, MemoryStore, ResultStore
from l2gpu.search.samplers import SAMPLERS
from l2gpu.search.storage import StudyStorage, make_storage
from l2gpu.search.validate import check_sampler, check_study_name

IDENTITY_FILE = "study.json"
RESULTS_FOLDER = "results"
DIGEST_CHARS = 12


def _plain(value: Any) -> Any:
    """Return ``value`` as JSON-ready plain values (mappings as dicts, sequences as lists)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, str | bytes):
        return value
    if isinstance(value, Sequence):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return value.item()
    return value


def identity_digest(identity: Mapping[str, Any]) -> str:
    """Return the SHA-256 of ``identity`` as canonical JSON (sorted keys), in hex."""
    text = json.dumps(_plain(identity), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def study_name(prefix: str, identity: Mapping[str, Any]) -> str:
    """Return ``<prefix>-<first 12 hex digits of the identity's digest>``.

    Parameters
    ----------
    prefix : str
        Readable start of the name, e.g. the data set (``btcusdt``).
    identity : mapping
        Plain values (nested dicts, lists, str, numbers, None): see :meth:`StudySpec.identity`.
    """
    return f"{prefix}-{identity_digest(identity)[:DIGEST_CHARS]}"


@dataclass(frozen=True)
class StudySpec:
    """What a study is and where it lives.

    Attributes
    ----------
    searched : mapping
        Plain values that fix a trial's results (see the module docstring).
    objectives : tuple of str
        Metrics optimised (:data:`l2gpu.search.objectives.DIRECTIONS`).
    sampler : str
        A name in :data:`l2gpu.search.samplers.SAMPLERS`.
    seed : int
        Base seed; each worker's is derived from it.
    folder : pathlib.Path
        ``paths.optuna_dir``; the study lives in ``folder / name``.
    storage : str or None
        ``sweep.storage`` (:func:`l2gpu.search.storage.make_storage`).
    name : str or None
        ``sweep.study_name``; ``None``: :func:`study_name` of ``prefix`` and the identity.
    prefix : str
        Readable start of a derived name.
    stale_after_s : float or None
        Heartbeat age (s) after which another host's worker counts as gone; ``None``: never.
    heartbeat_s : float
        Seconds between a worker's heartbeats.
    """

    searched: Mapping[str, Any]
    objectives: tuple[str, ...]
    sampler: str = "tpe"
    seed: int = 0
    folder: Path = Path("outputs/optuna")
    storage: str | None = None
    name: str | None = None
    prefix: str = "study"
    stale_after_s: float | None = 300.0
    heartbeat_s: float = 30.0

    def identity(self) -> dict[str, Any]:
        """Return what makes two runs the same study."""
        return {
            "searched": _plain(self.searched),
            "objectives": list(self.objectives),
            "sampler": self.sampler,
            "seed": self.seed,
        }

    @property
    def study_name(self) -> str:
        """Return the given name, or the one derived from the identity."""
        return self.name or study_name(self.prefix, self.identity())


@dataclass
class StudyHandle:
    """An open study: what :func:`l2gpu.search.driver.complete_study` runs.

    Attributes
    ----------
    name : str
        The study name.
    study : optuna.Study
        The stored Optuna study (for plots and inspection; the driver writes through
        ``storage``).
    storage : StudyStorage
        Its storage and lock.
    store : ResultStore
        Where its results rows and bucket pnl are kept.
    objectives : tuple of str
        Metrics optimised.
    proposer_factory : callable
        Builds the sampler's proposer once a worker has registered.
    seed : int
        Base seed.
    stale_after_s, heartbeat_s : float
        See :class:`StudySpec`.
    folder : pathlib.Path or None
        The study folder (``None`` in memory).
    sampler : str or None
        The sampler's name in :data:`~l2gpu.search.samplers.SAMPLERS` (``None``: a sampler
        object given directly).
    """

    name: str
    study: optuna.Study
    storage: StudyStorage
    store: ResultStore
    objectives: tuple[str, ...]
    proposer_factory: ProposerFactory
    seed: int
    stale_after_s: float | None = 300.0
    heartbeat_s: float = 30.0
    folder: Path | None = None
    sampler: str | None = None
    study_id: int = field(init=False)

    def __post_init__(self) -> None:
        self.study_id = self.storage.storage.get_study_id_from_name(self.name)

    @property
    def key(self) -> str:
        """Return what names this study among those open in this process."""
        return f"{self.storage.description}#{self.name}"


def _check_identity(folder: Path, name: str, identity: dict[str, Any]) -> None:
    """Record the study's identity on first use; refuse a different search under the name."""
    path = folder / IDENTITY_FILE
    digest = identity_digest(identity)
    if path.exists():
        try:
            recorded = json.loads(path.read_text())["digest"]
        except (OSError, ValueError, KeyError) as exc:
            raise ValueError(f"{path}: not a study identity l2gpu wrote ({exc})") from None
        if recorded != digest:
            raise ValueError(
                f"sweep.study_name: study {name!r} in {folder} was created for a different "
                f"search (data, features, strategy, costs, objectives, sampler or seed differ; "
                f"see {path}); choose another sweep.study_name, or leave it unset to derive one"
            )
        return
    folder.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    text = json.dumps({"name": name, "digest": digest, "identity": identity}, indent=2, default=str)
    temporary.write_text(text + "\n")
    os.replace(temporary, path)


def open_study(spec: StudySpec) -> StudyHandle:
    """Open (or create) the study ``spec`` describes; nothing is evaluated.

    Raises
    ------
    ValueError
        A bad sampler, objective, storage or name, or a name taken by a different search.
    """
    name = spec.study_name
    check_study_name(name)
    check_sampler(spec.sampler, spec.objectives)
    directions = objective_directions(spec.objectives)
    folder = Path(spec.folder) / name
    storage = make_storage(spec.storage, folder)
    store: ResultStore
    if storage.persistent:
        _check_identity(folder, name, spec.identity())
        store = FolderStore(folder / RESULTS_FOLDER)
    else:
        store = MemoryStore()
    with storage.lock():  # workers started at once create the study once
        study = _create_or_load(storage, name, directions)
    return StudyHandle(
        name,
        study,
        storage,
        store,
        tuple(spec.objectives),
        SAMPLERS[spec.sampler].build,
        spec.seed,
        spec.stale_after_s,
        spec.heartbeat_s,
        folder if storage.persistent else None,
        spec.sampler,
    )


def _create_or_load(storage: StudyStorage, name: str, directions: list[str]) -> optuna.Study:
    """Load study ``name`` or create it; a stored study with other directions is refused."""
    wanted = [StudyDirection[d.upper()] for d in directions]
    names = {s.study_name for s in storage.storage.get_all_studies()}
    if name in names:
        study = optuna.load_study(
            study_name=name, storage=storage.storage, sampler=optuna.samplers.RandomSampler()
        )
    else:
        study = optuna.create_study(
            storage=storage.storage,
            study_name=name,
            directions=wanted,
            load_if_exists=True,  # another worker may create it first
            sampler=optuna.samplers.RandomSampler(),
        )
    if list(study.directions) != wanted:
        raise ValueError(
            f"sweep.objectives: study {name!r} in {storage.description} optimises "
            f"{[d.name.lower() for d in study.directions]}, not {directions}; choose another "
            "sweep.study_name"
        )
    return study
