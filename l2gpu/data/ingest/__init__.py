"""Ingest raw L2 recordings (Binance, LOBSTER, Tardis) into the book store, exactly."""

from l2gpu.data.ingest.api import ingest
from l2gpu.data.ingest.formats import FORMATS, IngestFormat, IngestRequest, ingest_format
from l2gpu.data.ingest.policies import IngestError, Policies
from l2gpu.data.ingest.report import IngestReport

__all__ = [
    "FORMATS",
    "IngestError",
    "IngestFormat",
    "IngestReport",
    "IngestRequest",
    "Policies",
    "ingest",
    "ingest_format",
]
