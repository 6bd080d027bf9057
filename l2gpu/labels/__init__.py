"""Forward labels (they read the future on purpose), purged splits and the leakage guard."""

from l2gpu.labels.compute import compute
from l2gpu.labels.guard import LeakageError, check_inputs
from l2gpu.labels.names import is_label, parse_label
from l2gpu.labels.splits import PurgedSplits, label_end_ts

__all__ = [
    "LeakageError",
    "PurgedSplits",
    "check_inputs",
    "compute",
    "is_label",
    "label_end_ts",
    "parse_label",
]
