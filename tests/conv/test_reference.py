"""The reference itself: against naive loops and against numerical gradients."""

import numpy as np
import pytest

from cnnlab.grader.spec import load_module

from ..conftest import ROOT

ref = load_module(ROOT / "solutions" / "conv" / "conv.py", "conv_reference_under_test")


def naive_conv(A, W, b, s, p):
    A = np.pad(A, ((0, 0), (p, p), (p, p), (0, 0)))
    m, H, Wd, _ = A.shape
    f, n_C = W.shape[0], W.shape[3]
    n_H, n_W = (H - f) // s + 1, (Wd - f) // s + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    Z[i, h, w, c] = np.sum(A[i, h * s:h * s + f, w * s:w * s + f] * W[..., c]) + b[0, 0, 0, c]
    return Z


@pytest.mark.parametrize("shape, f, n_C, s, p", [((2, 7, 5, 3), 3, 4, 2, 1), ((1, 6, 6, 1), 1, 2, 3, 0),
                                                 ((3, 5, 8, 2), 2, 1, 1, 2)])
def test_conv_forward_matches_loops(shape, f, n_C, s, p):
    rng = np.random.default_rng(0)
    A, W, b = rng.standard_normal(shape), rng.standard_normal((f, f, shape[3], n_C)), rng.standard_normal((1, 1, 1, n_C))
    Z, cache = ref.conv_forward(A, W, b, {"stride": s, "pad": p})
    np.testing.assert_allclose(Z, naive_conv(A, W, b, s, p), rtol=1e-10, atol=1e-12)
    assert cache[0] is A and cache[3] == {"stride": s, "pad": p}


def numerical_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        up = f()
        x[idx] = old - eps
        down = f()
        x[idx] = old
        g[idx] = (up - down) / (2 * eps)
    return g


@pytest.mark.parametrize("s, p", [(1, 0), (2, 1), (1, 2)])
def test_conv_backward_matches_numerical_gradients(s, p):
    rng = np.random.default_rng(1)
    A, W, b = rng.standard_normal((2, 5, 4, 2)), rng.standard_normal((3, 3, 2, 3)), rng.standard_normal((1, 1, 1, 3))
    hp = {"stride": s, "pad": p}
    Z, cache = ref.conv_forward(A, W, b, hp)
    R = rng.standard_normal(Z.shape)
    loss = lambda: np.sum(ref.conv_forward(A, W, b, hp)[0] * R)
    dA, dW, db = ref.conv_backward(R, cache)
    for got, x in ((dA, A), (dW, W), (db, b)):
        np.testing.assert_allclose(got, numerical_grad(loss, x), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("f, s", [(2, 2), (3, 1), (3, 2)])
def test_pool_backward_matches_numerical_gradients(mode, f, s):
    rng = np.random.default_rng(2)
    A = rng.standard_normal((2, 6, 5, 2))
    hp = {"f": f, "stride": s}
    out, cache = ref.pool_forward(A, hp, mode=mode)
    R = rng.standard_normal(out.shape)
    loss = lambda: np.sum(ref.pool_forward(A, hp, mode=mode)[0] * R)
    np.testing.assert_allclose(ref.pool_backward(R, cache, mode=mode), numerical_grad(loss, A), rtol=1e-5, atol=1e-7)
