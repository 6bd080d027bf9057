"""Make l2gpu's light dependencies importable on a machine without a package index.

A device machine may have CUDA, numba-cuda, CuPy, numpy, pandas and pyarrow, but not orjson,
rich, pytest or hypothesis. ``make gpu-wheels`` downloads their wheels (and their dependencies)
into ``.whl/`` here; the folder travels with the checkout, and :func:`ensure_importable` installs
what is missing from it into a target folder (``pip install --no-index --target``) that is then
put on ``sys.path`` and on the ``PYTHONPATH`` of the subprocesses.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

# Module -> distribution, for what the GPU checks import (numpy, pandas, pyarrow and numba are
# expected on the machine; they are too large to carry for every Python version).
NEEDED = {
    "numpy": "numpy",
    "pandas": "pandas",
    "pyarrow": "pyarrow",
    "numba": "numba",
    "orjson": "orjson",
    "rich": "rich",
    "pytest": "pytest",
    "hypothesis": "hypothesis",
}


class MissingDependencyError(RuntimeError):
    """A module the checks need is neither importable nor among the carried wheels."""


def missing_modules(needed: dict[str, str] = NEEDED) -> list[str]:
    """Modules of ``needed`` that cannot be imported now."""
    return [m for m in needed if importlib.util.find_spec(m) is None]


def ensure_importable(wheels: Path, target: Path, needed: dict[str, str] = NEEDED) -> list[str]:
    """Install the distributions of missing modules from ``wheels`` into ``target``.

    Returns the distributions installed (none when everything was importable). ``target`` is
    added to ``sys.path`` and ``PYTHONPATH`` either way, so that an earlier install is reused.
    """
    _add_to_path(target)
    missing = missing_modules(needed)
    if not missing:
        return []
    dists = sorted({needed[m] for m in missing})
    if not wheels.is_dir() or not any(wheels.glob("*.whl")):
        raise MissingDependencyError(
            f"{', '.join(missing)} not importable and no wheels in {wheels}: run `make "
            "gpu-wheels` on a machine with a package index and carry .whl/ along"
        )
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "--no-index", "--quiet"),
            *("--disable-pip-version-check", "--find-links", str(wheels), "--target", str(target)),
            *dists,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise MissingDependencyError(
            f"installing {', '.join(dists)} from {wheels} failed: "
            f"{(done.stderr or done.stdout).strip()[-2000:]}"
        )
    importlib.invalidate_caches()
    still = missing_modules(needed)
    if still:
        raise MissingDependencyError(f"{', '.join(still)} still not importable after the install")
    return dists


def _add_to_path(target: Path) -> None:
    entry = str(target.resolve())
    if entry not in sys.path:
        sys.path.append(entry)
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if entry not in parts:
        os.environ["PYTHONPATH"] = os.pathsep.join([*parts, entry])
