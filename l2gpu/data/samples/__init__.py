"""The bundled real samples, shipped inside the package (see ``README.md`` beside this file).

A config or a command line names a bundled file as ``sample:<folder>/<file>``; every other path
is the user's, relative to the folder they run in (:func:`resolve_input`).
"""

from __future__ import annotations

from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parent
SAMPLE_PREFIX = "sample:"
BTCUSDT_SAMPLE = SAMPLES_DIR / "hftbacktest_binance_usdm_btcusdt_20240808" / "btcusdt_20240808.gz"


def resolve_input(text: str, cwd: Path | None = None) -> Path:
    """Return the file a config names: ``sample:<folder>/<file>``, else a path from ``cwd``.

    Parameters
    ----------
    text : str
        As written in the config or on the command line.
    cwd : Path, optional
        Folder relative paths start from; the current working directory by default.
    """
    if text.startswith(SAMPLE_PREFIX):
        path = SAMPLES_DIR / text[len(SAMPLE_PREFIX) :]
        if not path.is_file():
            known = ", ".join(
                f"{SAMPLE_PREFIX}{p.relative_to(SAMPLES_DIR)}"
                for p in sorted(SAMPLES_DIR.glob("*/*"))
                if p.suffix not in (".md", ".txt")
            )
            raise FileNotFoundError(f"{text}: no such bundled sample; the samples are {known}")
        return path
    path = Path(text).expanduser()
    return path if path.is_absolute() else (cwd or Path.cwd()) / path
