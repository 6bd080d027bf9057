"""Every sweep input is checked before a kernel runs: bad values raise naming config and field."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from l2gpu.backtest import sweep
from l2gpu.backtest.validation import check_config
from tests.books import random_book

VALID = {
    "signal": "a",
    "entry": 0.5,
    "exit": 0.0,
    "max_hold": 5,
    "stop_loss_bps": 1.0,
    "take_profit_bps": 2.0,
    "size": 0.5,
    "latency": "1ms",
    "taker_fee_bps": 2.0,
    "cooldown": 1,
    "direction": "both",
}
NAN, INF = math.nan, math.inf
CORRUPT = {
    "signal": ["nope", 1, None, True],
    "entry": [0, -1.0, NAN, INF, -INF, True, "1", None],
    "exit": [INF, -INF, True, "0.5"],
    "max_hold": [-1, 2.5, INF, True, "5x", "-1s", object()],
    "stop_loss_bps": [-1.0, NAN, INF, True, "3", None],
    "take_profit_bps": [-0.5, NAN, -INF, False, "1"],
    "size": [0, -0.5, NAN, INF, True, "1", None],
    "latency": [-1, 1.5, NAN, INF, True, "fast", "-5ms", None],
    "taker_fee_bps": [NAN, INF, -INF, -1.0, True, "5", None],
    "cooldown": [NAN, 2.5, -1, True, "x", INF, None],
    "direction": ["up", 1, None, True],
}


@pytest.fixture(scope="module")
def tiny():
    rng = np.random.default_rng(9)
    book = random_book(rng, rows=60, depth=3)
    return book, {"a": rng.normal(size=len(book)), "b": rng.normal(size=len(book))}


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    field=st.sampled_from(sorted(CORRUPT)),
    data=st.data(),
    where=st.integers(0, 2),
    as_grid=st.booleans(),
)
def test_a_corrupted_parameter_is_refused_naming_config_and_field(
    tiny, field, data, where, as_grid
):
    book, signals = tiny
    bad = data.draw(st.sampled_from(CORRUPT[field]))
    configs = [dict(VALID) for _ in range(3)]
    configs[where][field] = bad
    if as_grid:  # the same configs as a DataFrame, as a grid or Optuna would hand them over
        configs = pd.DataFrame(configs)
    with pytest.raises(ValueError, match=rf"^config {where}: {field}\b"):
        sweep(book, signals, params=configs, engine="cpu")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), configs=st.integers(2, 40))
def test_of_many_configs_the_first_bad_one_is_named_as_a_row_by_row_check_names_it(
    tiny, data, configs
):
    """Only the rows holding each distinct value are checked; the error must not change."""
    book, signals = tiny
    rows = [dict(VALID, entry=0.5 + i % 3, latency=i % 2) for i in range(configs)]
    for _ in range(data.draw(st.integers(1, 3))):
        field = data.draw(st.sampled_from(sorted(CORRUPT)))
        rows[data.draw(st.integers(0, configs - 1))][field] = data.draw(
            st.sampled_from(CORRUPT[field])
        )
    want = None
    for i, cfg in enumerate(pd.DataFrame(rows).to_dict("records")):
        try:
            check_config(cfg, i, list(signals))
        except ValueError as exc:
            want = str(exc)
            break
    assert want is not None
    with pytest.raises(ValueError) as got:
        sweep(book, signals, params=rows, engine="cpu")
    assert str(got.value) == want


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    bad=st.one_of(
        st.integers(max_value=0),
        st.floats(allow_nan=True),
        st.booleans(),
        st.text(max_size=4),
    )
)
def test_a_bad_chunk_rows_is_refused(tiny, bad):
    book, signals = tiny
    with pytest.raises(ValueError, match="chunk_rows"):
        sweep(book, signals, params=[VALID], engine="cpu", chunk_rows=bad)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.sampled_from(
        [
            lambda n: np.zeros(n, bool),
            lambda n: np.array(["1"] * n),
            lambda n: np.array([1.0] * (n - 1) + [None], dtype=object),
            lambda n: [True] * n,
            lambda n: ["0.5"] * n,
            lambda n: np.zeros(n, complex),
        ]
    ),
    name=st.sampled_from(["a", "b"]),
)
def test_a_signal_that_is_not_real_numbers_is_refused(tiny, values, name):
    book, signals = tiny
    corrupted = {**signals, name: values(len(book))}
    with pytest.raises(ValueError, match=rf"signal '{name}' holds \S+ values"):
        sweep(book, corrupted, params=[VALID], engine="cpu")


def test_signals_that_are_not_a_mapping_of_names_are_refused(tiny):
    book, signals = tiny
    with pytest.raises(ValueError, match="signals must map names to arrays"):
        sweep(book, [signals["a"]], params=[VALID], engine="cpu")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="signal names must be text"):
        sweep(book, {0: signals["a"]}, params=[{**VALID, "signal": 0}], engine="cpu")  # type: ignore[dict-item]


def test_zero_spans_with_a_unit_and_whole_floats_are_accepted(tiny):
    book, signals = tiny
    plain = sweep(book, signals, params=[{**VALID, "latency": 0, "max_hold": 3}], engine="cpu")
    for latency, max_hold in (("0ms", 3.0), ("0s", "3"), (0.0, np.int64(3))):
        cfg = {**VALID, "latency": latency, "max_hold": max_hold}
        got = sweep(book, signals, params=[cfg], engine="cpu")
        pd.testing.assert_frame_equal(
            got.table.drop(columns=["latency", "max_hold"]),
            plain.table.drop(columns=["latency", "max_hold"]),
            check_exact=True,
        )
    assert sweep(book, signals, params=[{**VALID, "max_hold": "0s"}], engine="cpu").table.size


def test_a_left_out_or_nan_exit_gets_the_documented_default(tiny):
    book, signals = tiny
    explicit = sweep(book, signals, params=[{**VALID, "exit": 0.0}] * 2, engine="cpu").table
    without = {k: v for k, v in VALID.items() if k != "exit"}
    for configs in (
        [without, {**VALID, "exit": NAN}],
        [{**VALID, "exit": None}, without],
        pd.DataFrame([{**VALID, "exit": NAN}, {**VALID, "exit": NAN}]),
    ):
        got = sweep(book, signals, params=configs, engine="cpu").table
        pd.testing.assert_frame_equal(got, explicit, check_exact=True)


def test_configs_that_leave_parameters_out_get_their_defaults(tiny):
    book, signals = tiny
    ragged = [{"signal": "a", "entry": 0.5, "cooldown": 3}, {"signal": "a", "entry": 0.5}]
    filled = [
        {"signal": "a", "entry": 0.5, "cooldown": 3},
        {"signal": "a", "entry": 0.5, "cooldown": 0},
    ]
    got = sweep(book, signals, params=ragged, engine="cpu").table
    want = sweep(book, signals, params=filled, engine="cpu").table
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_a_grid_mixing_none_and_rows_for_max_hold_runs(tiny):
    book, signals = tiny
    grid: dict[str, list] = {
        "signal": ["a"],
        "entry": [0.5],
        "max_hold": [None, 5],
        "cooldown": [0, 3],
    }
    table = sweep(book, signals, grid=grid, engine="cpu").table
    assert len(table) == 4 and (table.n_trades > 0).all()
