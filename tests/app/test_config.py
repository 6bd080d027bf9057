import subprocess
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from l2gpu.cli.app import CONFIG_DIR
from l2gpu.config.schema import FAMILY_SCHEMAS, GROUPS
from tests.app.conftest import composed

OPTIONS = sorted(
    (group, path.stem) for group in GROUPS for path in (Path(CONFIG_DIR) / group).glob("*.yaml")
)


def test_every_group_has_a_file():
    assert {group for group, _ in OPTIONS} == set(GROUPS)


@pytest.mark.parametrize(("group", "option"), OPTIONS)
def test_every_config_file_composes_against_its_schema(group, option):
    cfg = composed([f"{group}={option}"])
    node = OmegaConf.select(cfg, group.replace("/", "."))
    schema = OmegaConf.get_type(node)
    assert isinstance(schema, type) and issubclass(schema, GROUPS[group]), (group, schema)
    if group == "strategy":
        assert schema is FAMILY_SCHEMAS[node.family], "a strategy file uses its family's schema"
    OmegaConf.to_object(cfg)  # every value has its schema's type


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("sweep.n_trial=5", "Key 'n_trial' not in 'SweepConfig'"),
        ("sweep.batch_size=abc", "Value 'abc' of type 'str' could not be converted to Integer"),
        ("data=nope", "Could not find 'data/nope'"),
    ],
)
def test_a_wrong_key_or_type_is_one_line_naming_it(override, expected):
    result = subprocess.run(
        [sys.executable, "-m", "l2gpu.cli.main", override], capture_output=True, text=True
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0] and override.split("=")[0] in lines[0]


def test_every_config_key_is_documented():
    import dataclasses

    page = (Path(__file__).resolve().parents[2] / "docs" / "config.md").read_text()
    missing = []
    for group, schema in [*GROUPS.items(), *(("strategy", s) for s in FAMILY_SCHEMAS.values())]:
        for field in dataclasses.fields(schema):
            key = f"`{group.replace('/', '.')}.{field.name}`"
            if key not in page:
                missing.append(key)
    assert not missing, f"docs/config.md does not document {missing}"
