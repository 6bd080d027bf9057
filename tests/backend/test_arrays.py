import numpy as np
import pytest

from l2gpu.backend.arrays import array_device, array_namespace, from_dlpack, to_device


def test_host_arrays_stay_put():
    a = np.arange(5.0)
    assert array_device(a) == "cpu"
    assert array_namespace(a) is np
    assert to_device(a, "cpu") is a


def test_unknown_device_is_rejected():
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        to_device(np.zeros(1), "tpu")  # type: ignore[arg-type]


def test_dlpack_shares_memory_with_numpy():
    a = np.arange(6.0)
    b = from_dlpack(a, "numpy")
    b[0] = 42.0
    assert a[0] == 42.0


def test_dlpack_to_torch_shares_memory():
    torch = pytest.importorskip("torch", reason="torch is the optional [ml] extra")
    a = np.arange(4.0)
    t = from_dlpack(a, "torch")
    assert isinstance(t, torch.Tensor)
    t[1] = -1.0
    assert a[1] == -1.0
