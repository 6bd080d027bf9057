"""The leakage guard: refuse labels and non-causal columns as model or strategy inputs."""

from __future__ import annotations

from collections.abc import Iterable

from l2gpu.features.compute import is_causal
from l2gpu.labels.registry import is_label


class LeakageError(ValueError):
    """An input would let a model or strategy see the future."""


def check_inputs(names: Iterable[str], declared_causal: Iterable[str] = ()) -> None:
    """Raise :class:`LeakageError` unless every name is a causal input.

    Parameters
    ----------
    names : iterable of str
        Columns meant as model features or strategy signals.
    declared_causal : iterable of str
        Names that are neither registered features nor labels (a model score, a column of the
        user's) and that the caller vouches are causal.
    """
    vouched = set(declared_causal)
    for name in names:
        if is_label(name):
            raise LeakageError(
                f"{name!r} is a label: it reads the future by design and cannot "
                "be a model input or a strategy signal"
            )
        if name in vouched:
            continue
        try:
            causal = is_causal(name)
        except ValueError:
            raise LeakageError(
                f"cannot tell whether {name!r} is causal: it is not a registered "
                "feature; list it in declared_causal= if it only uses past "
                "rows"
            ) from None
        if not causal:
            raise LeakageError(
                f"feature {name!r} is not causal (its value at a row uses later "
                "rows) and cannot be a model input or a strategy signal"
            )
