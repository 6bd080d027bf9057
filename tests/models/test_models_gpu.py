"""On a real GPU: CuPy features reach torch through DLPack and the scores come back as CuPy."""

import numpy as np
import pytest

from l2gpu.backend import transfers
from l2gpu.models import ModelSettings, fit_walk_forward


@pytest.mark.gpu
def test_device_features_train_torch_without_a_host_copy():
    cupy = pytest.importorskip("cupy")
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("this torch has no CUDA")
    rng = np.random.default_rng(1)
    rows = 3000
    ts = np.arange(rows, dtype=np.int64) * 10_000_000
    a, b = rng.standard_normal(rows), rng.standard_normal(rows)
    label = 0.3 * a + rng.standard_normal(rows)
    settings = ModelSettings("mlp", window=4, epochs=20, embargo="0s", backend="torch")
    host = fit_walk_forward(ts, {"a": a, "b": b}, label, "y", "10", settings, ("a", "b"))
    transfers.ledger().reset()
    device = fit_walk_forward(
        ts,
        {"a": cupy.asarray(a), "b": cupy.asarray(b)},
        cupy.asarray(label),
        "y",
        "10",
        settings,
        ("a", "b"),
    )
    assert transfers.ledger().count("d2h") == 0  # nothing went through to_device's host copy
    assert isinstance(device.scores, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(device.scores), host.scores, atol=1e-9, equal_nan=True)
