"""Read a text file, gzip or plain, as blocks of whole lines in bounded memory."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

RAW_BLOCK_BYTES = 1 << 20


class TruncatedInputError(EOFError):
    """The gzip stream ended before its end-of-stream marker (the file was cut short)."""


def iter_line_blocks(
    path: Path, raw_block_bytes: int = RAW_BLOCK_BYTES
) -> Iterator[tuple[np.ndarray, int]]:
    """Yield ``(bytes of whole lines as uint8, compressed bytes read so far)``.

    The last line may lack its newline. A ``.gz`` file is decompressed with :mod:`zlib` (several
    gzip members are read in turn); a cut-short stream raises :class:`TruncatedInputError` after
    every whole line before the cut was yielded, and corrupt data raises :class:`zlib.error`.
    """
    gz = path.suffix == ".gz"
    inflater = zlib.decompressobj(wbits=31)
    carry = b""
    with path.open("rb") as raw:
        while chunk := raw.read(raw_block_bytes):
            data = inflater.decompress(chunk) if gz else chunk
            while gz and inflater.eof and inflater.unused_data:
                rest = inflater.unused_data
                inflater = zlib.decompressobj(wbits=31)
                data += inflater.decompress(rest)
            data = carry + data
            cut = data.rfind(b"\n") + 1
            carry = data[cut:]
            if cut:
                yield np.frombuffer(data, np.uint8, count=cut), raw.tell()
        if gz and not inflater.eof:
            raise TruncatedInputError(
                f"gzip stream ends early ({len(carry)} bytes of an unfinished line dropped)"
            )
        if carry:
            yield np.frombuffer(carry, np.uint8), raw.tell()
