"""What ingest does with bad input: the named policies and the error that names the place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

GAP_POLICIES = ("error", "resync")
CROSSED_POLICIES = ("error", "keep", "drop")
BAD_LINE_POLICIES = ("error", "skip")
TIME_BACKWARDS_POLICIES = ("error", "clamp")


class IngestError(ValueError):
    """Bad input that the chosen policy does not repair.

    The message names the file, the line or row (1-based lines as an editor shows them, 0-based
    rows as the book store counts them) and what is wrong.
    """

    def __init__(self, path: str | Path, where: str, problem: str) -> None:
        super().__init__(f"{path}, {where}: {problem}")
        self.path = Path(path)
        self.where = where
        self.problem = problem


@dataclass(frozen=True)
class Policies:
    """Repairs ingest may make, each counted in the report.

    Attributes
    ----------
    on_gap : {"error", "resync"}
        A break in the update-id chain. ``"error"`` names the ids; ``"resync"`` drops the book
        until the next snapshot and reports the rows lost.
    on_crossed : {"error", "keep", "drop"}
        A book whose best bid is at or above its best ask after an event. ``"keep"`` writes the
        row; all three count the rows and list their ids in the report.
    on_bad_line : {"error", "skip"}
        A malformed line: bad JSON, a missing field, a non-numeric or negative price or size, a
        truncated gzip. ``"skip"`` drops the line and counts it (a skipped diff then shows as a
        gap, so the book is never silently wrong).
    on_time_backwards : {"error", "clamp"}
        Exchange time lower than the row before. ``"clamp"`` sets it to the previous time.
    """

    on_gap: str = "error"
    on_crossed: str = "keep"
    on_bad_line: str = "error"
    on_time_backwards: str = "error"

    def __post_init__(self) -> None:
        for name, allowed in (
            ("on_gap", GAP_POLICIES),
            ("on_crossed", CROSSED_POLICIES),
            ("on_bad_line", BAD_LINE_POLICIES),
            ("on_time_backwards", TIME_BACKWARDS_POLICIES),
        ):
            value = getattr(self, name)
            if value not in allowed:
                raise ValueError(
                    f"{name}={value!r} is not a policy: expected one of {', '.join(allowed)}"
                )
