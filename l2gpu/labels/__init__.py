"""Forward labels (they read the future on purpose), purged splits and the leakage guard."""

from l2gpu.labels import families
from l2gpu.labels.compute import compute
from l2gpu.labels.guard import LeakageError, check_inputs
from l2gpu.labels.registry import LABELS, is_label, label, label_horizon, parse_label
from l2gpu.labels.splits import PurgedSplits, label_end_ts

__all__ = [
    "LABELS",
    "LeakageError",
    "PurgedSplits",
    "check_inputs",
    "compute",
    "families",
    "is_label",
    "label",
    "label_end_ts",
    "label_horizon",
    "parse_label",
]
