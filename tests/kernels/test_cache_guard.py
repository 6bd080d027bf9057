"""Numba's on-disk cache is dropped when any kernel source changes, and kept otherwise."""

from l2gpu.kernels import drop_stale_cache


def _cached(folder):
    return sorted(p.name for p in (folder / "__pycache__").glob("*.nb[ic]"))


def test_the_cache_goes_when_any_source_changes_and_stays_otherwise(tmp_path):
    (tmp_path / "factory.py").write_text("X = 1\n")
    (tmp_path / "driver.py").write_text("Y = 2\n")
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    (cache / "driver.run-1.py311.nbi").write_bytes(b"old")
    (cache / "driver.run-1.py311.1.nbc").write_bytes(b"old")

    drop_stale_cache(tmp_path)  # no stamp yet: whatever is there may be stale
    assert _cached(tmp_path) == []

    (cache / "driver.run-1.py311.nbi").write_bytes(b"new")
    drop_stale_cache(tmp_path)  # nothing changed: the fresh cache stays
    assert _cached(tmp_path) == ["driver.run-1.py311.nbi"]

    (tmp_path / "factory.py").write_text("X = 3\n")  # only the factory, not the driver
    drop_stale_cache(tmp_path)
    assert _cached(tmp_path) == []


def test_a_read_only_cache_folder_is_left_alone(tmp_path):
    (tmp_path / "driver.py").write_text("Y = 2\n")
    (tmp_path / "__pycache__").write_text("not a folder")  # mkdir and unlink fail
    drop_stale_cache(tmp_path)
    assert (tmp_path / "__pycache__").read_text() == "not a folder"
