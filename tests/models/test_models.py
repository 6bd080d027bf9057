"""Each model against an independent reference: normal equations, scipy, finite differences, loops.

The torch trainer, where torch is installed, is compared with the NumPy trainer step by step.
"""

import numpy as np
import pytest
from scipy.optimize import minimize

from l2gpu.labels import LeakageError
from l2gpu.models import MODELS, ModelSettings, fit_walk_forward, train_numpy
from l2gpu.models.registry import Shape, loss_gradient, loss_value
from l2gpu.models.train_numpy import Training

RNG = np.random.default_rng(11)


def _data(n=400, window=1, features=3, logistic=False):
    x = RNG.standard_normal((n, window, features))
    true = RNG.standard_normal(window * features)
    signal = x.reshape(n, -1) @ true
    y = signal + 0.5 * RNG.standard_normal(n)
    return x, ((y > 0) * 1.0 if logistic else y)


def _fit(name, x, y, epochs=1, lr=0.1, l2=0.01, hidden=4, kernel=2):
    shape = Shape(x.shape[2], x.shape[1], hidden, kernel)
    training = Training(shape, epochs, lr, l2, seed=3)
    return train_numpy.fit(MODELS[name], x, y, x, y, x, training)


def test_ridge_is_the_penalised_least_squares_solution():
    x, y = _data(window=2)
    l2 = 0.05
    fit = _fit("ridge", x, y, l2=l2)
    n, p = x.shape[0], x.shape[1] * x.shape[2]
    # minimise |X w + b - y|^2 / (2n) + l2 |w|^2 / 2 as one stacked least-squares system
    design = np.block(
        [[x.reshape(n, -1), np.ones((n, 1))], [np.sqrt(n * l2) * np.eye(p), np.zeros((p, 1))]]
    )
    solution = np.linalg.lstsq(design, np.concatenate([y, np.zeros(p)]), rcond=None)[0]
    np.testing.assert_allclose(fit.params["w"], solution[:p], atol=1e-10)
    np.testing.assert_allclose(fit.params["b"], solution[p:], atol=1e-10)


def test_logistic_gradient_steps_reach_scipy_s_minimum():
    x, y = _data(features=2, logistic=True)
    l2 = 0.01
    fit = _fit("logistic", x, y, epochs=3000, lr=1.0, l2=l2)
    flat = x.reshape(x.shape[0], -1)

    def objective(theta):
        s = flat @ theta[:-1] + theta[-1]
        return np.mean(np.logaddexp(0, s) - y * s) + 0.5 * l2 * theta[:-1] @ theta[:-1]

    best = minimize(objective, np.zeros(3), method="BFGS", options={"gtol": 1e-10}).x
    np.testing.assert_allclose(fit.params["w"], best[:-1], atol=1e-6)
    np.testing.assert_allclose(fit.params["b"], best[-1:], atol=1e-6)
    assert fit.train_loss[0] == pytest.approx(np.log(2))  # zero weights: every p = 1/2
    assert all(np.diff(fit.train_loss) <= 1e-12)  # a small enough step never raises the loss


@pytest.mark.parametrize(("name", "window"), [("logistic", 3), ("mlp", 3), ("conv1d", 5)])
def test_hand_written_gradients_match_finite_differences(name, window):
    model = MODELS[name]
    x, y = _data(n=30, window=window, features=2, logistic=model.loss == "logistic")
    params = model.init(np.random.default_rng(0), Shape(2, window, 3, 2))
    params = {k: v + 0.1 * RNG.standard_normal(v.shape) for k, v in params.items()}
    scores = model.forward(np, params, x)
    grads = model.backward(params, x, loss_gradient(model.loss, scores, y))
    step = 1e-6
    for key, value in params.items():
        for i in np.ndindex(value.shape):
            up = {**params, key: value.copy()}
            down = {**params, key: value.copy()}
            up[key][i] += step
            down[key][i] -= step
            numeric = (
                loss_value(np, model.loss, model.forward(np, up, x), y)
                - loss_value(np, model.loss, model.forward(np, down, x), y)
            ) / (2 * step)
            assert grads[key][i] == pytest.approx(numeric, abs=1e-7), (key, i)


def test_conv1d_forward_is_the_convolution_written_as_loops():
    window, features, channels, kernel = 6, 2, 3, 3
    x = RNG.standard_normal((4, window, features))
    params = MODELS["conv1d"].init(
        np.random.default_rng(1), Shape(features, window, channels, kernel)
    )
    params["b"] = RNG.standard_normal(channels)
    expected = np.zeros(4)
    for n in range(4):
        pooled = np.zeros(channels)
        for c in range(channels):
            for j in range(window - kernel + 1):
                h = params["b"][c] + sum(
                    params["w"][i * features + f, c] * x[n, j + i, f]
                    for i in range(kernel)
                    for f in range(features)
                )
                pooled[c] += max(h, 0.0) / (window - kernel + 1)
        expected[n] = pooled @ params["v"] + params["c"][0]
    np.testing.assert_allclose(MODELS["conv1d"].forward(np, params, x), expected, atol=1e-12)


def _walk(name, backend, rows=1200, window=1):
    rng = np.random.default_rng(5)
    ts = np.cumsum(rng.integers(1, 20_000_000, rows)).astype(np.int64)
    a, b = rng.standard_normal(rows), rng.standard_normal(rows)
    a[100] = np.nan  # a missing input: no window that holds it is scored or trained on
    label = 0.4 * a + 0.2 * b + rng.standard_normal(rows)
    settings = ModelSettings(
        name,
        window=window,
        kernel=2,
        hidden=4,
        epochs=30,
        n_splits=4,
        embargo="50ms",
        min_train_rows=50,
        backend=backend,
    )
    return fit_walk_forward(ts, {"a": a, "b": b}, label, "y", "10", settings, ("a", "b"))


@pytest.mark.parametrize("name", ["logistic", "ridge", "mlp", "conv1d"])
def test_scores_are_out_of_sample_only(name):
    window = 4 if name == "conv1d" else 1
    run = _walk(name, "numpy", window=window)
    scores = run.scores
    assert np.isnan(scores[:300]).all()  # the first block has no past to train on
    assert np.isnan(scores[100 : 100 + window]).all()
    assert np.isfinite(scores[300:]).all()
    assert list(run.folds.fold) == [1, 2, 3] and (run.folds.scored_rows == 300).all()
    assert run.folds.ic.gt(0.1).all()  # the inputs do predict this label


@pytest.mark.parametrize("name", ["logistic", "ridge", "mlp", "conv1d"])
def test_torch_takes_the_same_steps_as_numpy(name):
    pytest.importorskip("torch")
    window = 4 if name == "conv1d" else 2
    by_numpy, by_torch = _walk(name, "numpy", window=window), _walk(name, "torch", window=window)
    assert (by_numpy.trainer, by_torch.trainer) == ("numpy", "torch")
    np.testing.assert_allclose(by_torch.scores, by_numpy.scores, atol=1e-9, equal_nan=True)
    for fold, record in by_numpy.records.items():
        other = by_torch.records[fold]
        np.testing.assert_allclose(other.train_loss, record.train_loss, atol=1e-10)
        np.testing.assert_allclose(other.test_loss, record.test_loss, atol=1e-10)


def test_a_label_as_input_is_refused():
    ts = np.arange(10, dtype=np.int64)
    with pytest.raises(LeakageError, match="is a label"):
        fit_walk_forward(
            ts, {"fwd_ret_2s": np.zeros(10)}, np.zeros(10), "y", "1", ModelSettings("ridge")
        )
