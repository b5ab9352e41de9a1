"""The reference `style.py` against explicit loops, with NumPy arrays and with tensors."""

import ast

import nbformat
import numpy as np
import pytest
from keras import ops

from cnnlab.grader.spec import load_module

from ..conftest import ROOT

ref = load_module(ROOT / "solutions" / "style" / "style.py", "style_reference_under_test")
harness = load_module(ROOT / "assignments" / "style" / "harness.py", "style_harness_under_test")


def acts(rng, n_H, n_W, n_C):
    return rng.random((1, n_H, n_W, n_C)).astype(np.float32)


def loop_gram(a):
    """G[c, d] = sum over pixels of a[h, w, c] * a[h, w, d], without any reshape."""
    _, n_H, n_W, n_C = a.shape
    G = np.zeros((n_C, n_C))
    for c in range(n_C):
        for d in range(n_C):
            G[c, d] = sum(float(a[0, h, w, c]) * float(a[0, h, w, d]) for h in range(n_H) for w in range(n_W))
    return G


def value(x):
    out = np.asarray(ops.convert_to_numpy(x) if not isinstance(x, (float, np.ndarray)) else x)
    assert out.shape == ()
    return float(out)


@pytest.mark.parametrize("shape", [(4, 4, 3), (5, 2, 1), (1, 1, 6), (3, 7, 4)])
@pytest.mark.parametrize("as_tensor", [False, True])
def test_content_cost_matches_a_loop(shape, as_tensor):
    rng = np.random.default_rng(sum(shape))
    a_C, a_G = acts(rng, *shape), acts(rng, *shape)
    n_H, n_W, n_C = shape
    expected = sum(float(a_C.flat[i] - a_G.flat[i]) ** 2 for i in range(a_C.size)) / (4 * n_H * n_W * n_C)
    args = harness.as_tensors((a_C, a_G)) if as_tensor else (a_C, a_G)
    assert value(ref.compute_content_cost(*args)) == pytest.approx(expected, rel=1e-5)


def test_gram_matrix_is_a_a_transpose():
    A = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]], np.float32)
    np.testing.assert_allclose(np.asarray(ref.gram_matrix(A)), [[14, 10], [10, 17]])
    G = ref.gram_matrix(*harness.as_tensors((np.ones((4, 9), np.float32),)))
    np.testing.assert_allclose(ops.convert_to_numpy(G), np.full((4, 4), 9.0))


@pytest.mark.parametrize("shape", [(4, 4, 3), (2, 5, 4), (3, 1, 2), (6, 3, 5)])
def test_layer_style_cost_matches_channel_correlations(shape):
    rng = np.random.default_rng(len(shape) + shape[2])
    a_S, a_G = acts(rng, *shape), acts(rng, *shape)
    n_H, n_W, n_C = shape
    expected = np.sum((loop_gram(a_S) - loop_gram(a_G)) ** 2) / (4 * n_C**2 * (n_H * n_W) ** 2)
    got = value(ref.compute_layer_style_cost(*harness.as_tensors((a_S, a_G))))
    assert got == pytest.approx(expected, rel=1e-4)


def test_layer_style_cost_ignores_where_things_are():
    """Gram matrices forget positions: shuffling the pixels of the generated image costs nothing."""
    rng = np.random.default_rng(0)
    a = acts(rng, 4, 5, 3)
    shuffled = a.reshape(20, 3)[rng.permutation(20)].reshape(1, 4, 5, 3)
    assert value(ref.compute_layer_style_cost(a, shuffled)) == pytest.approx(0.0, abs=1e-6)
    assert value(ref.compute_content_cost(a, shuffled)) > 0


def test_style_cost_is_the_weighted_sum_and_ignores_the_content_layer():
    rng = np.random.default_rng(3)
    shapes = [(6, 5, 2), (3, 3, 4), (2, 2, 8)]
    S = [acts(rng, *s) for s in shapes]
    G = [acts(rng, *s) for s in shapes]
    layers = [("block1_conv1", 0.7), ("block2_conv1", 0.3)]
    expected = sum(w * value(ref.compute_layer_style_cost(S[i], G[i])) for i, (_, w) in enumerate(layers))
    assert value(ref.compute_style_cost(S, G, layers)) == pytest.approx(expected, rel=1e-6)
    G_other_content = G[:2] + [acts(rng, *shapes[2])]
    assert value(ref.compute_style_cost(S, G_other_content, layers)) == pytest.approx(expected, rel=1e-6)
    assert value(ref.compute_style_cost(*harness.as_tensors((S, G, layers)))) == pytest.approx(expected, rel=1e-5)


def test_total_cost():
    assert ref.total_cost(1.0, 2.0) == 10 + 80
    assert ref.total_cost(1.0, 2.0, alpha=3, beta=0.5) == 4.0
    assert ref.total_cost(1.0, 2.0, 0.0, 1.0) == 2.0


def test_style_layers_convention():
    assert sum(w for _, w in ref.STYLE_LAYERS) == pytest.approx(1.0)
    assert all(isinstance(name, str) and name.startswith("block") for name, _ in ref.STYLE_LAYERS)


def test_notebook_constants_match_the_module():
    nb = nbformat.read(str(ROOT / "solutions" / "style" / "style.ipynb"), as_version=4)
    setup = next(c for c in nb.cells if c.get("id") == "setup").source
    code = "\n".join(line for line in setup.splitlines() if not line.lstrip().startswith("%"))
    values = {t.id: ast.literal_eval(node.value) for node in ast.parse(code).body
              if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)}
    assert [tuple(x) for x in values["STYLE_LAYERS"]] == [tuple(x) for x in ref.STYLE_LAYERS]
    assert values["CONTENT_LAYER"] == ref.CONTENT_LAYER
