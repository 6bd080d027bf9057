from rich.console import Console

from l2gpu.cli.main import run_main_job


def test_main_job_prints_a_readable_summary():
    console = Console(record=True, width=120)
    run_main_job(rows=20_000, depth=5, seed=1, engine="cpu", console=console)
    text = console.export_text()
    assert "20,000 x 5" in text
    assert "crossed rows" in text and "imbalance_5" in text
