"""Kernel sources, single-source for the CPU and CUDA (``docs/kernels.md``).

Each module holds a factory ``make_*_ops(jit)`` with the scalar body, its CPU driver
(``numba.njit(parallel=True)`` with ``prange`` over independent paths) and a lazily built CUDA
driver (one thread per path). Import as ``l2gpu.kernels.<module>``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

_STAMP = "l2gpu-kernel-sources.sha256"


def drop_stale_cache(folder: Path) -> None:
    """Delete Numba's cached machine code here when any kernel source changed since it was built.

    Numba checks a cached function against its own file only, while the CPU drivers compile
    device functions made by factories in other modules of this package: an edit to
    ``sweep.py`` alone would otherwise run the old code from ``sweep_cpu.py``'s cache. One digest
    over every source of the package guards them all. A read-only install (Numba then caches
    elsewhere, keyed by the installed files) is left alone.

    Parameters
    ----------
    folder : Path
        The package folder whose ``__pycache__`` holds the cache.
    """
    cache = folder / "__pycache__"
    digest = hashlib.sha256()
    for source in sorted(folder.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    stamp = cache / _STAMP
    try:
        if stamp.read_text() == digest.hexdigest():
            return
    except OSError:
        pass
    try:
        cache.mkdir(exist_ok=True)
        for cached in (*cache.glob("*.nbi"), *cache.glob("*.nbc")):
            cached.unlink(missing_ok=True)
        fresh = cache / f"{_STAMP}.{os.getpid()}"
        fresh.write_text(digest.hexdigest())
        fresh.replace(stamp)
    except OSError:
        return


drop_stale_cache(Path(__file__).resolve().parent)
