"""The strict simulated device on its own: refusals, explicit moves, the ledger, the memory model.

These run in the plain test pass: the strict array needs no simulator, only its constructor
(``upload``); the GPU route on it is in ``test_gpu_route.py``.
"""

import gc
import operator
import pickle

import numpy as np
import pandas as pd
import pytest

from l2gpu.backend import strict, strict_memory, transfers
from l2gpu.backend.launch import kernel_arg
from l2gpu.backend.strict import StrictArray, upload
from l2gpu.backend.strict_namespace import namespace as xp

HOST = np.array([3.0, -1.0, 2.5, np.nan, 7.0])


@pytest.fixture
def a():
    return upload(HOST, "test array")


REFUSED = {
    "np.asarray": lambda a: np.asarray(a),
    "np.array": lambda a: np.array(a),
    "__array__": lambda a: a.__array__(),
    "float of 0-d": lambda a: float(a[0]),
    "int of 0-d": lambda a: int(a[0]),
    "bool of 0-d": lambda a: bool(a[0] > 0),
    "bool of 1-d": lambda a: bool(a > 0),
    "if on it": lambda a: 1 if a.sum() else 0,
    "complex": lambda a: complex(a[0]),
    "as an index": lambda a: operator.index(xp.asarray(np.int64(1))),
    "list index": lambda a: [1, 2, 3][xp.argmax(a[:2])],
    "tolist": lambda a: a.tolist(),
    "iteration": lambda a: list(a),
    "for loop": lambda a: [x for x in a],
    "in": lambda a: 3.0 in a,
    "np.sum": lambda a: np.sum(a),
    "np.where": lambda a: np.where(a > 0, a, 0.0),
    "np.quantile": lambda a: np.quantile(a, 0.5),
    "np.concatenate": lambda a: np.concatenate([a, a]),
    "ufunc np.exp": lambda a: np.exp(a),
    "ufunc np.add": lambda a: np.add(a, 1.0),
    "np.testing": lambda a: np.testing.assert_allclose(a, HOST),
    "device + host": lambda a: a + np.ones(5),
    "host + device": lambda a: np.ones(5) + a,
    "host * device": lambda a: np.ones(5) * a,
    "in-place host": lambda a: a.__iadd__(np.ones(5)),
    "host index": lambda a: a[np.array([0, 1])],
    "list index key": lambda a: a[[0, 1]],
    "assign host": lambda a: a.__setitem__(slice(0, 2), np.zeros(2)),
    "assign list": lambda a: a.__setitem__(slice(0, 2), [0.0, 0.0]),
    "namespace given host": lambda a: xp.where(HOST > 0, a, 0.0),
    "f-string": lambda a: f"{a}",
    "format spec": lambda a: f"{a.sum():.3f}",
    "str": lambda a: str(a),
    "pickle": lambda a: pickle.dumps(a),
    "np.from_dlpack": lambda a: np.from_dlpack(a),
    "pandas": lambda a: pd.Series(a),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_implicit_conversions_are_refused(a, name):
    with pytest.raises(TypeError):
        REFUSED[name](a)


def test_a_refusal_says_how_to_move_explicitly(a):
    with pytest.raises(TypeError, match=r"np.asarray\(\).*implicitly; move it explicitly with"):
        np.asarray(a)
    with pytest.raises(TypeError, match=r"numpy.where was given a device array; call "):
        np.where(a > 0, a, 0.0)


def test_searchsorted_wants_device_arrays_on_both_sides_as_cupy_does(a):
    ts = upload(np.array([1, 5, 9], np.int64))
    with pytest.raises(NotImplementedError, match="v must be a device array, got int"):
        xp.searchsorted(ts, 5)
    with pytest.raises(NotImplementedError, match="v must be a device array, got ndarray"):
        xp.searchsorted(ts, np.array([5]))
    got = xp.searchsorted(ts, upload(np.array([0, 5, 10], np.int64)), side="right")
    np.testing.assert_array_equal(got.get(), [0, 2, 3])


def test_explicit_moves_are_counted_with_their_bytes():
    with transfers.recording() as moves:
        d = upload(np.arange(10, dtype=np.int64), "ten ints")
        host = d.get("back")
        one = d[3].item()
        again = xp.asarray(np.zeros(4))
        same = xp.asarray(d)
        numpy_copy = xp.asnumpy(again)
    assert one == 3 and same is d
    np.testing.assert_array_equal(host, np.arange(10))
    np.testing.assert_array_equal(numpy_copy, np.zeros(4))
    assert [(t.direction, t.nbytes) for t in moves.entries] == [
        ("h2d", 80),
        ("d2h", 80),
        ("d2h", 8),
        ("h2d", 32),
        ("d2h", 32),
    ]
    assert moves.labels()[:2] == ["ten ints", "back"]
    assert "test_strict.py" in moves.labels()[2], "unlabelled moves name their call site"
    assert moves.count("h2d") == 2 and moves.nbytes("d2h") == 120
    assert all(t.explicit for t in moves.entries)


def test_a_move_is_a_copy_not_a_view():
    host = np.zeros(3)
    d = upload(host)
    host[0] = 1.0
    back = d.get()
    back[1] = 2.0
    np.testing.assert_array_equal(d.get(), [0.0, 0.0, 0.0])


def test_metadata_arithmetic_and_reductions_stay_on_the_device(a):
    with transfers.recording() as moves:
        assert a.shape == (5,) and a.dtype == np.float64 and len(a) == 5 and a.ndim == 1
        assert (
            a.nbytes == 40 and a.size == 5 and repr(a) == "StrictArray(shape=(5,), dtype=float64)"
        )
        results = {
            "scaled": 2.0 ** (a * np.float64(0.5)) - 1,
            "reflected": np.float64(3.0) - a,
            "where": xp.where(xp.isnan(a), 0.0, a),
            "cumsum": xp.cumsum(xp.nan_to_num(a)),
            "sum": xp.nan_to_num(a).sum(),
            "compare": (a > 0) | (a < -0.5),
            "stack": xp.stack([a, -a]),
            "indexed": a[upload(np.array([4, 0]))],
        }
    assert moves.count() == 1, "only the index array is uploaded"
    want = {
        "scaled": 2.0 ** (HOST * 0.5) - 1,
        "reflected": 3.0 - HOST,
        "where": np.where(np.isnan(HOST), 0.0, HOST),
        "cumsum": np.cumsum(np.nan_to_num(HOST)),
        "sum": np.nan_to_num(HOST).sum(),
        "compare": (HOST > 0) | (HOST < -0.5),
        "stack": np.stack([HOST, -HOST]),
        "indexed": HOST[[4, 0]],
    }
    for name, value in results.items():
        assert isinstance(value, StrictArray), name
        np.testing.assert_array_equal(value.get(), want[name], err_msg=name)
    assert results["sum"].shape == (), "a reduction gives a 0-d device array, as in CuPy"


def test_indexing_gives_views_and_assignment_writes_in_place(a):
    row = a[1:3]
    row[0] = 10.0
    a[upload(np.array([True, False, False, False, False]))] = -5.0
    np.testing.assert_array_equal(a.get()[:3], [-5.0, 10.0, 2.5])
    scalar = a[4]
    scalar += 1.0
    assert a[4].item() == 8.0, "a 0-d element is a view, as CuPy's indexing returns"


def test_data_dependent_sizes_count_the_sync_cupy_makes(a):
    with transfers.recording() as moves:
        finite = a[xp.isfinite(a)]
        rows = xp.flatnonzero(a > 2.0)
    assert finite.shape == (4,) and rows.shape == (3,)
    assert moves.count(explicit=False) == 2 and moves.count(explicit=True) == 0
    assert all(t.nbytes == strict.SIZE_SYNC_BYTES for t in moves.entries)
    assert "size of a boolean selection" in moves.labels()[0]


def test_unknown_names_say_where_to_add_them(a):
    with pytest.raises(AttributeError, match=r"add it in l2gpu\.backend\.strict_namespace"):
        xp.polyfit  # noqa: B018
    with pytest.raises(AttributeError, match=r"add it in l2gpu\.backend\.strict if CuPy"):
        a.searchsorted  # noqa: B018


def test_device_memory_is_accounted_and_bounded():
    gc.collect()
    memory = strict_memory.memory()
    before = memory.live
    memory.reset_peak()
    big = upload(np.zeros(1000))
    view = big[10:20]
    assert memory.live - before == 8000, "a view shares its parent's memory"
    del big
    gc.collect()
    assert memory.live - before == 8000, "the view keeps the allocation alive"
    del view
    gc.collect()
    assert memory.live == before and memory.peak - before == 8000
    with strict_memory.capacity(before + 4096) as small:
        assert small.free == 4096
        xp.zeros(512)
        with pytest.raises(strict_memory.DeviceMemoryError, match="out of simulated device memory"):
            xp.zeros(513)
    assert strict_memory.memory().capacity == strict_memory.DEFAULT_CAPACITY


def test_a_kernel_launch_receives_the_buffer_and_moves_nothing(a):
    from l2gpu.kernels.sweep_args import SweepState

    with transfers.recording() as moves:
        bundle = kernel_arg(SweepState(a, a, a))
    assert isinstance(bundle, SweepState) and bundle.params is strict.kernel_buffer(a)
    assert moves.count() == 0


def test_the_ledger_collects_nested_recordings():
    transfers.ledger().reset()
    with transfers.recording() as outer:
        upload(np.zeros(2))
        with transfers.recording() as inner:
            upload(np.zeros(3)).get()
    assert outer.count() == 3 and inner.count() == 2
    assert transfers.ledger().count() == 3
    assert "h2d: 2 moves" in outer.summary()
    transfers.ledger().reset()
    assert transfers.ledger().count() == 0
