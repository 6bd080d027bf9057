"""Paths of the bundled real samples and helpers that corrupt copies of them."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

from l2gpu.data.samples import BTCUSDT_SAMPLE, SAMPLES_DIR

SAMPLES = SAMPLES_DIR
BTCUSDT = BTCUSDT_SAMPLE
ETHUSDT = SAMPLES / "hftbacktest_binance_usdm_ethusdt_20240808" / "ethusdt_20240808.gz"
AMZN = SAMPLES / "lobster_amzn_2012-06-21_level1"
AAPL = SAMPLES / "lobster_aapl_2012-06-21_level10_first999"
TARDIS = SAMPLES / "tardis_format_samples"


def lobster_pair(folder: Path) -> list[Path]:
    """The message and orderbook files of a LOBSTER sample folder."""
    return sorted(folder.glob("*_message_*.csv")) + sorted(folder.glob("*_orderbook_*.csv"))


def read_lines(path: Path, first: int | None = None) -> list[bytes]:
    """Lines of a gzip file (with their newlines), the first ``first`` only if given."""
    with gzip.open(path, "rb") as fh:
        lines = fh.readlines()
    return lines[:first] if first else lines


def write_gz(path: Path, lines: list[bytes]) -> Path:
    with gzip.open(path, "wb", compresslevel=1) as fh:
        fh.writelines(lines)
    return path


def corrupt(
    lines: list[bytes], tmp: Path, edit: Callable[[list[bytes]], None], name: str = "corrupt.gz"
) -> Path:
    """Write a copy of ``lines`` changed by ``edit`` (which edits the list in place)."""
    copy = list(lines)
    edit(copy)
    return write_gz(tmp / name, copy)
