"""Public tests for the `conv` assignment.

Run them in the notebook (`test_zero_pad(zero_pad)`) or from a shell with
`cnnlab check conv conv.py`. They check shapes and small hand-worked examples; the hidden
tests used for grading try many more random inputs and edge cases.
"""

import numpy as np


def _assert_close(got, expected, what, atol=1e-7):
    got = np.asarray(got)
    expected = np.asarray(expected)
    assert got.shape == expected.shape, f"{what}: expected shape {expected.shape}, got {got.shape}"
    err = np.max(np.abs(got.astype(float) - expected)) if got.size else 0.0
    assert err <= atol, f"{what}: values differ from the worked example by up to {err:.3g}"


def test_zero_pad(target):
    X = np.arange(2 * 2 * 3 * 1, dtype=float).reshape(2, 2, 3, 1) + 1
    X_pad = target(X, 2)
    assert X_pad.shape == (2, 6, 7, 1), f"expected shape (2, 6, 7, 1), got {np.shape(X_pad)}"
    _assert_close(X_pad[:, 2:4, 2:5, :], X, "the centre of the padded batch")
    assert np.sum(np.abs(X_pad)) == np.sum(np.abs(X)), "the border must be zeros"
    assert target(X, 0).shape == X.shape, "pad = 0 must return the same shape"
    print("\033[92mzero_pad: all public tests passed\033[0m")


def test_conv_single_step(target):
    a = np.arange(12, dtype=float).reshape(2, 2, 3)
    W = np.ones((2, 2, 3))
    b = np.full((1, 1, 1), -0.5)
    Z = target(a, W, b)
    assert np.ndim(Z) == 0, (f"expected a scalar, got an array of shape {np.shape(Z)}; "
                             "add the bias as a number (float(b) or b.item())")
    _assert_close(Z, 65.5, "sum(a * W) + b")
    print("\033[92mconv_single_step: all public tests passed\033[0m")


def test_conv_forward(target):
    # A 1-channel 4x4 image, a 2x2 filter that sums its window, stride 2, no padding.
    A = np.arange(16, dtype=float).reshape(1, 4, 4, 1)
    W = np.ones((2, 2, 1, 1))
    b = np.full((1, 1, 1, 1), 1.0)
    Z, cache = target(A, W, b, {"stride": 2, "pad": 0})
    _assert_close(Z, np.array([[10, 18], [42, 50]], dtype=float).reshape(1, 2, 2, 1) + 1,
                  "Z for stride 2, pad 0")
    assert len(cache) == 4, "cache must be (A_prev, W, b, hparameters)"
    # Same input with pad 1, stride 1: output is (4 - 2 + 2) / 1 + 1 = 5 wide.
    Z, _ = target(A, W, b, {"stride": 1, "pad": 1})
    assert Z.shape == (1, 5, 5, 1), f"expected shape (1, 5, 5, 1), got {Z.shape}"
    _assert_close(Z[0, 0, 0, 0], 0 + 1, "the top-left corner (only one real pixel)")
    print("\033[92mconv_forward: all public tests passed\033[0m")


def test_pool_forward(target):
    A = np.arange(16, dtype=float).reshape(1, 4, 4, 1)
    hp = {"f": 2, "stride": 2}
    A_max, cache = target(A, hp, mode="max")
    _assert_close(A_max, np.array([[5, 7], [13, 15]], dtype=float).reshape(1, 2, 2, 1), "max pooling")
    A_avg, _ = target(A, hp, mode="average")
    _assert_close(A_avg, np.array([[2.5, 4.5], [10.5, 12.5]]).reshape(1, 2, 2, 1), "average pooling")
    assert len(cache) == 2, "cache must be (A_prev, hparameters)"
    print("\033[92mpool_forward: all public tests passed\033[0m")


def test_conv_backward(target):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((1, 3, 3, 1))
    W = rng.standard_normal((2, 2, 1, 1))
    b = np.zeros((1, 1, 1, 1))
    hp = {"stride": 1, "pad": 0}
    dZ = np.ones((1, 2, 2, 1))  # gradient of sum(Z)
    dA, dW, db = target(dZ, (A, W, b, hp))
    assert dA.shape == A.shape, f"dA_prev: expected shape {A.shape}, got {dA.shape} (pad = 0 here)"
    # d sum(Z) / dW[i, j] is the sum of the inputs W[i, j] touches.
    expected_dW = np.array([[A[0, :2, :2, 0].sum(), A[0, :2, 1:, 0].sum()],
                            [A[0, 1:, :2, 0].sum(), A[0, 1:, 1:, 0].sum()]]).reshape(2, 2, 1, 1)
    _assert_close(dW, expected_dW, "dW", atol=1e-9)
    _assert_close(db, np.full((1, 1, 1, 1), 4.0), "db", atol=1e-9)
    print("\033[92mconv_backward: all public tests passed\033[0m")


def test_pool_backward(target):
    A = np.array([[1.0, 3.0], [4.0, 2.0]]).reshape(1, 2, 2, 1)
    hp = {"f": 2, "stride": 2}
    dA = np.full((1, 1, 1, 1), 8.0)
    d_max = target(dA, (A, hp), mode="max")
    _assert_close(d_max, np.array([[0, 0], [8, 0]], dtype=float).reshape(1, 2, 2, 1),
                  "max pooling sends the gradient to the max")
    d_avg = target(dA, (A, hp), mode="average")
    _assert_close(d_avg, np.full((1, 2, 2, 1), 2.0), "average pooling spreads it evenly")
    print("\033[92mpool_backward: all public tests passed\033[0m")
