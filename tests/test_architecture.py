"""The house rules of the package, checked: module sizes, no import cycles, docs that exist.

- every module of ``l2gpu`` and ``kernels`` is under 400 lines; the job's composition under 150;
- the modules' top-level imports form no cycle (a lazy import inside a function is not an edge);
- no docstring cites the design file that is not in the repository; every ``docs/*.md`` a
  docstring cites exists.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "l2gpu"
MAX_LINES = 400
JOB_MAX_LINES = 150


def modules() -> dict[str, Path]:
    """Module name -> file, for the package and its kernels (``l2gpu/kernels`` is a link)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The l2gpu modules ``name`` imports at its top level.

    ``from package import submodule`` is an edge to the submodule only: Python imports it
    without needing the package's own names.
    """
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            for alias in node.names:
                child = f"{base}.{alias.name}"
                out.add(child if child in known else base)
    return out & known


@pytest.mark.parametrize("name", sorted(modules()))
def test_a_module_is_under_400_lines(name):
    lines = len(modules()[name].read_text().splitlines())
    assert lines < MAX_LINES, f"{name} has {lines} lines: split it by concept"


def test_the_job_is_composition_only():
    lines = len((PACKAGE / "cli" / "job.py").read_text().splitlines())
    assert lines < JOB_MAX_LINES, f"l2gpu/cli/job.py has {lines} lines"


def test_top_level_imports_form_no_cycle():
    found = modules()
    graph = {name: imports(name, path, set(found)) - {name} for name, path in found.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_docstrings_cite_the_repository_docs_only():
    cited = re.compile(r"docs/[\w./-]+\.md")
    for path in [*PACKAGE.rglob("*.py"), *(ROOT / "kernels").glob("*.py")]:
        text = path.read_text()
        assert "DESIGN §" not in text, f"{path} cites DESIGN, which is not in the repository"
        for doc in cited.findall(text):
            assert (ROOT / doc).exists(), f"{path} cites {doc}, which does not exist"
