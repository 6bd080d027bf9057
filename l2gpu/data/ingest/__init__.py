"""Ingest raw L2 recordings (Binance, LOBSTER, Tardis) into the book store, exactly."""

from l2gpu.data.ingest.api import FORMATS, ingest
from l2gpu.data.ingest.policies import IngestError, Policies
from l2gpu.data.ingest.report import IngestReport

__all__ = ["FORMATS", "IngestError", "IngestReport", "Policies", "ingest"]
