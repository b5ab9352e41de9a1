import numpy as np

from cnnlab.grader.compare import compare


def test_equal_arrays_pass_within_tolerance():
    a = np.random.default_rng(0).standard_normal((2, 3))
    assert compare(a, a + 1e-9) is None
    assert compare(a, a.astype(np.float32), rtol=1e-5, atol=1e-6) is None


def test_shape_message_names_both_shapes():
    msg = compare(np.zeros((2, 3)), np.zeros((3, 2)), path="Z")
    assert "wrong shape" in msg and "(2, 3)" in msg and "(3, 2)" in msg and msg.startswith("Z")


def test_value_message_gives_error_and_location_but_hides_expected():
    e = np.zeros((2, 2))
    g = e.copy()
    g[1, 0] = 0.5
    msg = compare(e, g)
    assert "1 of 4" in msg and "(1, 0)" in msg and "0.5" in msg and "expected 0" not in msg
    assert "expected 0" in compare(e, g, reveal=True)


def test_scalar_expected_rejects_array():
    msg = compare(3.0, np.ones((1, 1, 1)) * 3)
    assert "expected a scalar" in msg and "item()" in msg
    assert compare(3.0, np.float64(3.0)) is None and compare(3.0, np.array(3.0)) is None


def test_tuple_and_dict_structure():
    assert "expected 2 values, got 1" in compare((1.0, 2.0), (1.0,))
    assert "keys" in compare({"a": 1}, {"b": 1})
    assert compare({"stride": 2}, {"stride": 3}) is not None
    assert "tuple" in compare((np.zeros(2),), "nope")


def test_nan_is_reported():
    msg = compare(np.zeros(3), np.array([0, np.nan, 0]))
    assert "NaN" in msg


def test_non_numeric_got_for_array():
    assert "expected an array" in compare(np.zeros(3), "zeros")
