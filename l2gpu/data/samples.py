"""Where the bundled real samples live (``data/samples/`` at the project root)."""

from __future__ import annotations

from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "data" / "samples"
BTCUSDT_SAMPLE = SAMPLES_DIR / "hftbacktest_binance_usdm_btcusdt_20240808" / "btcusdt_20240808.gz"


def sample_path(path: Path) -> Path:
    """Return ``path`` if it exists, else raise naming it and how to get it (a git checkout)."""
    if not path.exists():
        raise FileNotFoundError(
            f"{path}: bundled sample not found; the samples ship with a git "
            "checkout of l2gpu (data/samples/), not with a wheel"
        )
    return path
