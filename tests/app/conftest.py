from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from l2gpu.cli.app import CONFIG_DIR

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def isolated(tmp_path):
    """Overrides that keep every store of a run inside ``tmp_path``."""
    return [
        f"paths.root={ROOT}",
        f"logger.tracking_uri=sqlite:///{tmp_path}/mlflow.db",
        f"logger.artifact_dir={tmp_path}/mlruns",
        f"paths.cache_dir={tmp_path}/cache",
        f"paths.optuna_dir={tmp_path}/optuna",
    ]


def composed(overrides):
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose(config_name="config", overrides=overrides)
