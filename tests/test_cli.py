from rich.console import Console

from l2gpu.cli.main import run_main_job


def test_main_job_ingests_the_sample_and_prints_a_readable_summary(tmp_path):
    console = Console(record=True, width=120)
    run_main_job(tmp_path, depth=5, engine="cpu", console=console)
    text = console.export_text()
    assert "Ingest report: binance" in text and "Book: BTCUSDT (binance, tick 0.1)" in text
    assert "6,547 x 5" in text
    assert "crossed rows" in text and "imbalance_5" in text
    assert (tmp_path / "btcusdt_20240808.parquet").exists()
