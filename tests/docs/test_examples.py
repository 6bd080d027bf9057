"""Every worked example in ``docs/examples`` runs as written, in a fresh folder.

In each page, ``console`` blocks hold commands (lines starting with ``$ ``) and, under a command,
lines its output must contain; ``python`` blocks run as scripts; ``bash`` blocks are
illustrations and are not run. A page's blocks run in order in one empty folder, as a reader
would type them.
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def steps(page: Path) -> list[tuple[str, str, list[str]]]:
    """(kind, command or code, expected lines) in page order."""
    out: list[tuple[str, str, list[str]]] = []
    for kind, body in BLOCK.findall(page.read_text()):
        if kind == "python":
            out.append(("python", body, []))
        elif kind == "console":
            for line in body.splitlines():
                if line.startswith("$ "):
                    out.append(("command", line[2:], []))
                elif line.strip() and out and out[-1][0] == "command":
                    out[-1][2].append(line.strip())
    return out


def argv(command: str) -> list[str]:
    words = shlex.split(command)
    assert words[0] == "l2gpu", f"examples run l2gpu commands only: {command}"
    return [sys.executable, "-m", "l2gpu.cli.main", *words[1:]]


@pytest.mark.parametrize("page", sorted(EXAMPLES.glob("*.md")), ids=lambda p: p.stem)
def test_the_example_runs_as_written(page, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    found = steps(page)
    assert found, f"{page.name} has nothing to run"
    for kind, text, expected in found:
        if kind == "python":
            done = subprocess.run(
                [sys.executable, "-c", text], cwd=tmp_path, env=env, capture_output=True, text=True
            )
        else:
            done = subprocess.run(
                argv(text), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
            )
        assert done.returncode == 0, f"{page.name}: {text[:200]}\n{done.stderr[-3000:]}"
        for line in expected:
            assert line in done.stdout, f"{page.name}: {text}: expected {line!r} in\n{done.stdout}"
