"""The installed version of l2gpu, as recorded in book stores and runs."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("l2gpu")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
