"""The reference `face.py` and the public harness, against plain NumPy."""

import ast

import nbformat
import numpy as np
import pytest

from cnnlab.grader.spec import load_module

from ..conftest import ROOT

ref = load_module(ROOT / "solutions" / "face" / "face.py", "face_reference_under_test")
harness = load_module(ROOT / "assignments" / "face" / "harness.py", "face_harness_under_test")


def loop_triplet_loss(a, p, n, alpha):
    total = 0.0
    for i in range(len(a)):
        pos = sum((a[i, k] - p[i, k]) ** 2 for k in range(a.shape[1]))
        neg = sum((a[i, k] - n[i, k]) ** 2 for k in range(a.shape[1]))
        total += max(pos - neg + alpha, 0.0)
    return total


@pytest.mark.parametrize("m, d, alpha", [(1, 3, 0.2), (7, 5, 0.5), (20, 16, 0.0), (3, 128, 1.0)])
def test_triplet_loss_matches_a_loop(m, d, alpha):
    rng = np.random.default_rng(m * d)
    a, p, n = (rng.standard_normal((m, d)) for _ in range(3))
    got = np.asarray(ref.triplet_loss(None, (a, p, n), alpha=alpha))
    assert got.shape == ()
    np.testing.assert_allclose(got, loop_triplet_loss(a, p, n, alpha), rtol=1e-6)


def test_triplet_loss_is_zero_for_easy_triplets_and_accepts_lists():
    a = np.eye(4, dtype=np.float32)
    assert float(ref.triplet_loss(None, [a, a, -a])) == 0.0
    assert float(ref.triplet_loss(None, [a, -a, a], alpha=0.0)) == pytest.approx(4 * 4.0)


def scene(size=24, d=8, seed=0):
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (size, size, 3)).astype(np.uint8)
    weights = harness.random_encoder_weights(rng, 3, 8, d)
    model = harness.build_encoder(weights, image.shape)
    return image, weights, model


def numpy_encoding(image, weights):
    """The harness encoder in NumPy: conv 3x3 stride 2 'same' + tanh, mean pool, dense."""
    kernel, bias, dense, dense_bias = (np.asarray(w, np.float64) for w in weights)
    x = image.astype(np.float64) / 255.0
    H, W, _ = x.shape
    out_h, out_w = -(-H // 2), -(-W // 2)
    pad_h = max((out_h - 1) * 2 + 3 - H, 0)
    pad_w = max((out_w - 1) * 2 + 3 - W, 0)
    xp = np.pad(x, ((pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)))
    feats = np.zeros((out_h, out_w, kernel.shape[-1]))
    for i in range(out_h):
        for j in range(out_w):
            window = xp[2 * i:2 * i + 3, 2 * j:2 * j + 3, :]
            feats[i, j] = np.tanh(np.einsum("hwc,hwcf->f", window, kernel) + bias)
    e = feats.mean(axis=(0, 1)) @ dense + dense_bias
    return (e / np.linalg.norm(e))[None]


@pytest.mark.parametrize("shape", [(24, 24, 3), (17, 30, 3)])
def test_img_to_encoding_is_the_unit_encoding_of_the_harness_model(shape):
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, shape).astype(np.uint8)
    weights = harness.random_encoder_weights(rng, 3, 8, 6)
    model = harness.build_encoder(weights, image.shape)
    got = np.asarray(ref.img_to_encoding(image, model))
    assert got.shape == (1, 6)
    np.testing.assert_allclose(np.linalg.norm(got), 1.0, rtol=1e-5)
    np.testing.assert_allclose(got, numpy_encoding(image, weights), atol=2e-5)


def test_harness_builds_the_same_model_from_the_same_weights():
    image, weights, model = scene()
    again = harness.build_encoder([w.copy() for w in weights], image.shape)
    x = image[None].astype(np.float32) / 255.0
    np.testing.assert_array_equal(np.asarray(model(x)), np.asarray(again(x)))


def test_verify_and_who_is_it_use_the_l2_distance(capsys):
    image, _, model = scene()
    e = np.asarray(ref.img_to_encoding(image, model), np.float64)
    rng = np.random.default_rng(2)
    others = {f"p{k}": rng.standard_normal(e.shape).astype(np.float32) for k in range(3)}
    database = {"near": (e + 0.1).astype(np.float32), **others}
    expected = {k: float(np.linalg.norm(e - v)) for k, v in database.items()}

    dist, door_open = ref.verify(image, "near", database, model)
    assert isinstance(dist, float) and isinstance(door_open, bool)
    assert dist == pytest.approx(expected["near"], rel=1e-5) and door_open == (expected["near"] < 0.7)
    dist, door_open = ref.verify(image, "p0", database, model)
    assert dist == pytest.approx(expected["p0"], rel=1e-5) and door_open is (expected["p0"] < 0.7)

    min_dist, identity = ref.who_is_it(image, database, model)
    best = min(expected, key=expected.get)
    assert identity == best and min_dist == pytest.approx(expected[best], rel=1e-5)
    assert "welcome" in capsys.readouterr().out


def test_who_is_it_returns_the_nearest_even_when_nobody_is_close(capsys):
    image, _, model = scene(seed=4)
    e = np.asarray(ref.img_to_encoding(image, model))
    database = {"far": -e, "farther": -e * 1.5}
    min_dist, identity = ref.who_is_it(image, database, model)
    assert identity == "far" and min_dist == pytest.approx(2.0, rel=1e-5)
    assert "Not in the database" in capsys.readouterr().out


def test_harness_functions_call_with_a_built_model():
    image, weights, _ = scene(size=20)
    e = np.asarray(ref.img_to_encoding(image, harness.build_encoder(weights, image.shape)))
    database = {"me": e.astype(np.float32)}
    dist, door_open = harness.harness_verify(ref.verify, image, "me", database, weights)
    assert dist == pytest.approx(0.0, abs=1e-5) and door_open
    assert harness.harness_who_is_it(ref.who_is_it, image, database, weights)[1] == "me"


def test_notebook_threshold_matches_the_module():
    nb = nbformat.read(str(ROOT / "solutions" / "face" / "face.ipynb"), as_version=4)
    setup = next(c for c in nb.cells if c.get("id") == "setup").source
    code = "\n".join(line for line in setup.splitlines() if not line.lstrip().startswith("%"))
    values = {t.id: ast.literal_eval(node.value) for node in ast.parse(code).body
              if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)}
    assert values["THRESHOLD"] == ref.THRESHOLD == 0.7
