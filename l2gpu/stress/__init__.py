"""Stress scenarios: named, seeded transformations of a book, and the robustness of a run.

Each scenario is one module registering a :class:`Scenario` in :data:`SCENARIOS`
(``docs/stress.md`` defines each exactly). ``l2gpu stress <run id>`` reruns a run's top configs
on the baseline book and under each scenario and logs a robustness table and plot to the same
MLflow run (:mod:`l2gpu.stress.robustness`, :mod:`l2gpu.cli.stress`).
"""

# isort: off
# Registration order is the order of the robustness table and of docs/stress.md.
from l2gpu.stress import flash_crash, drought, spread, latency, gaps, bursts

# isort: on
from l2gpu.stress.scenario import SCENARIOS, Scenario, Stressed

__all__ = [
    "SCENARIOS",
    "Scenario",
    "Stressed",
    "bursts",
    "drought",
    "flash_crash",
    "gaps",
    "latency",
    "spread",
]
