import subprocess
import sys

from rich.console import Console

from l2gpu.cli.ingest import run_ingest
from l2gpu.data import read_book
from tests.samples import TARDIS


def test_ingest_command_writes_the_store_and_prints_the_report(tmp_path):
    console = Console(record=True, width=120)
    code = run_ingest(
        [
            str(TARDIS / "deltas_with_snapshot.csv"),
            "--format",
            "tardis",
            "--out",
            str(tmp_path / "b.parquet"),
            "--depth",
            "2",
        ],
        console,
    )
    assert code == 0
    text = console.export_text()
    assert "Ingest report: tardis" in text and "book rows out" in text
    assert len(read_book(tmp_path / "b.parquet", engine="cpu")) == 7


def test_ingest_command_fails_with_one_clear_line_not_a_traceback(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "l2gpu.cli.main",
            "ingest",
            str(tmp_path / "missing.gz"),
            "--format",
            "binance",
            "--out",
            str(tmp_path / "b.parquet"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "ingest failed:" in result.stderr and "missing.gz: no such input file" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
