"""Every CUDA launch passes exactly the argument types declared beside its kernel.

``make gpu-compile`` compiles each kernel offline with its ``LaunchSpec.arg_types``; this records
the types of the arguments of every actual launch (under the simulator here, on the device in
``make gpu-check``) and compares them, so a driver change that forgets the declaration fails.
"""

import importlib
import pkgutil
from collections import defaultdict

import numpy as np
import pytest

import l2gpu.kernels
from l2gpu import labels
from l2gpu.backtest import sweep
from l2gpu.backtest.quote import quote_sweep
from l2gpu.features import compute, top_of_book
from l2gpu.kernels.launch_spec import LaunchSpec, arg_type
from tests.books import random_book, random_trades

pytestmark = pytest.mark.cuda_kernel


def cuda_modules():
    return [
        importlib.import_module(f"l2gpu.kernels.{m.name}")
        for m in pkgutil.iter_modules(l2gpu.kernels.__path__)
        if m.name.endswith("_cuda")
    ]


def declarations():
    return {
        (module.__name__, value.kernel): value
        for module in cuda_modules()
        for value in vars(module).values()
        if isinstance(value, LaunchSpec)
    }


class Recorder:
    """Stands in for a kernel: records each launch's argument types, then launches it."""

    def __init__(self, kernel, seen):
        self.kernel, self.seen = kernel, seen

    def __getitem__(self, config):
        launch = self.kernel[config]

        def record(*args):
            self.seen.append(tuple(arg_type(a) for a in args))
            return launch(*args)

        return record


@pytest.fixture
def launches(monkeypatch):
    seen: defaultdict[tuple[str, str], list] = defaultdict(list)
    for module_name, kernel in declarations():
        module = importlib.import_module(module_name)
        recorder = Recorder(getattr(module, kernel), seen[(module_name, kernel)])
        monkeypatch.setattr(module, kernel, recorder)
    return seen


def test_every_launch_matches_its_declaration(launches):
    rng = np.random.default_rng(3)
    book = random_book(rng, rows=48, depth=3)
    top_of_book(book, 2, engine="gpu", threads_per_block=16)
    compute(book, ["impact_buy_0.5", "imbalance_2", "wmid_2"], engine="gpu")
    labels.compute(book, ["tbarrier_1s_2spread"], engine="gpu")
    signals = {"a": rng.normal(size=len(book))}
    configs = [{"signal": "a", "entry": 0.5}, {"signal": "a", "entry": 1.0, "latency": "1ms"}]
    sweep(book, signals, params=configs, engine="gpu", bucket_returns=True)
    sweep(book, signals, params=configs, engine="gpu")
    quotes = [{"signal": "a", "skew_bps": 1.0}, {"entry_latency": "1ms", "queue": "prob_log"}]
    quote_sweep(book, random_trades(rng, book, 40), signals, params=quotes, engine="gpu")
    specs = declarations()
    assert len(specs) >= 6
    for key, spec in specs.items():
        assert launches[key], f"{key} was never launched: drive it here"
        for types in launches[key]:
            assert types == spec.arg_types, (
                f"{key[0]}.{key[1]} is launched with ({', '.join(map(str, types))}), declared "
                f"({', '.join(map(str, spec.arg_types))}): update its LaunchSpec"
            )
