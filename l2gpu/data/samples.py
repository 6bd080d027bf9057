"""Where the bundled real samples live: ``data/samples/`` of a git checkout (not in a wheel)."""

from __future__ import annotations

from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "data" / "samples"
BTCUSDT_SAMPLE = SAMPLES_DIR / "hftbacktest_binance_usdm_btcusdt_20240808" / "btcusdt_20240808.gz"
