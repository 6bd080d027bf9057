import re
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


def test_ingest_help_lists_the_formats_and_every_policy():
    from l2gpu.cli.ingest import build_parser
    from l2gpu.data.ingest.policies import POLICY_CHOICES

    text = build_parser().format_help()
    assert "{binance,lobster,tardis}" in text and "incremental_book_L2" in text
    for name in POLICY_CHOICES:
        assert "--" + name.replace("_", "-") in text


def test_a_repair_policy_from_the_command_line_is_counted(tmp_path):
    lines = (TARDIS / "bitmex_trades_XBTUSD.csv").read_text().splitlines()
    path = tmp_path / "trades.csv"
    path.write_text("\n".join([*lines, lines[4]]) + "\n")  # the trade of line 5 again
    console = Console(record=True, width=120)
    argv = [str(path), "--format", "tardis", "--out", str(tmp_path / "t.parquet")]
    assert run_ingest(argv, console) == 2
    assert run_ingest([*argv, "--on-duplicate-trade", "drop"], console) == 0
    assert re.search(r"trades dropped: repeated id\s+│ 1 ", console.export_text())


def test_bad_input_fails_with_file_line_and_check_not_a_traceback(tmp_path):
    lines = (TARDIS / "deltas_with_snapshot.csv").read_text().splitlines()
    lines[4] = lines[4].replace("1640995202000000,", ",")
    path = tmp_path / "deltas.csv"
    path.write_text("\n".join(lines) + "\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "l2gpu.cli.main",
            "ingest",
            str(path),
            "--format",
            "tardis",
            "--out",
            str(tmp_path / "b.parquet"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "Traceback" not in result.stdout + result.stderr
    error = " ".join(result.stderr.split())
    assert "deltas.csv, line 5: timestamp '' is not microseconds exact to the ns" in error
    assert "(check 'exact_timestamp')" in error
