"""Compiled parsers of the ingest readers: single-target Numba code for the CPU.

- :mod:`~l2gpu.data.ingest.parsers.decimals`: exact decimal and integer text into int64 units;
- :mod:`~l2gpu.data.ingest.parsers.binance_lines`: Binance recorder lines in a block of bytes;
- :mod:`~l2gpu.data.ingest.parsers.level_book`: the price-level book of diff feeds.

Unlike ``l2gpu.kernels`` (one source compiled for the CPU and CUDA), these run on the host only;
each function is compiled once with ``cache=True``.
"""
