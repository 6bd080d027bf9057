"""The errors a command reports in one line instead of a traceback, and how it words them.

These are the errors of bad input or a bad environment (a config value, a missing or corrupt
file, no GPU, no disk space, no memory): each message already names what is wrong and where.
Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from l2gpu.backend.engine import GpuUnavailableError


class FailedAfterResultsError(RuntimeError):
    """A step after the search failed; the message says where the saved results are."""


EXPECTED_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    OSError,
    MemoryError,
    GpuUnavailableError,
    FailedAfterResultsError,
)


def one_line(exc: BaseException) -> str:
    """Return ``exc``'s message on one line (its type's name when it has none)."""
    words = " ".join(part.strip() for part in str(exc).splitlines() if part.strip())
    return words or type(exc).__name__
