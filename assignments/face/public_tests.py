"""Public tests for the `face` assignment.

Run them in the notebook (`test_triplet_loss(triplet_loss)`) or from a shell with
`cnnlab check face face.py`. They use small worked examples; the hidden tests used for
grading try more shapes, margins, photos and databases.
"""

import numpy as np

from harness import build_encoder, random_encoder_weights


def _number(x, what):
    arr = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
    assert arr.shape == (), (f"{what}: expected a scalar (shape ()), got shape {arr.shape}; "
                             "did you forget to sum over the triplets?")
    return float(arr)


def _close(got, expected, what, tol=1e-5):
    assert abs(got - expected) <= tol * max(1.0, abs(expected)), \
        f"{what}: expected {expected:.6g}, got {got:.6g}"


def test_triplet_loss(target):
    # Two 2-d triplets worked by hand.
    anchor = np.array([[0.0, 0.0], [1.0, 0.0]], np.float32)
    positive = np.array([[0.0, 1.0], [1.0, 0.5]], np.float32)  # squared distances 1.0, 0.25
    negative = np.array([[0.0, 0.5], [-1.0, 0.0]], np.float32)  # squared distances 0.25, 4.0
    y_pred = (anchor, positive, negative)
    # Triplet 1: 1.0 - 0.25 + 0.2 = 0.95 > 0. Triplet 2: 0.25 - 4.0 + 0.2 < 0 -> 0.
    loss = _number(target(None, y_pred), "triplet_loss")
    if abs(loss - (0.95 + 0.0) / 2) < 1e-5:
        raise AssertionError("triplet_loss: you returned the mean over the triplets; the loss is their sum")
    if abs(loss - 0.75) < 1e-5:
        raise AssertionError("triplet_loss: you forgot the margin alpha")
    if abs(loss - (0.95 - 3.55)) < 1e-5:
        raise AssertionError("triplet_loss: you forgot to clamp each triplet's term at 0 (ops.maximum)")
    _close(loss, 0.95, "triplet_loss with alpha = 0.2")
    _close(_number(target(None, y_pred, alpha=1.0), "triplet_loss"), 1.75, "triplet_loss with alpha = 1.0")
    # Random unit encodings against a NumPy loop.
    rng = np.random.default_rng(3)
    a, p, n = (rng.standard_normal((5, 6)).astype(np.float32) for _ in range(3))
    expected = sum(max(np.sum((a[i] - p[i]) ** 2) - np.sum((a[i] - n[i]) ** 2) + 0.2, 0) for i in range(5))
    _close(_number(target(None, [a, p, n]), "triplet_loss"), expected, "triplet_loss on 5 random triplets",
           tol=1e-4)
    print("\033[92mtriplet_loss: all public tests passed\033[0m")


def _door_scene():
    """A grey photo, a tiny encoder, and two database entries at known distances from it."""
    rng = np.random.default_rng(0)
    image = np.full((16, 16, 3), 128, np.uint8)
    image[4:12, 4:12] = [200, 150, 90]
    weights = random_encoder_weights(rng, 3, 8, 4)
    model = build_encoder(weights, image.shape)
    x = np.asarray(image, np.float32)[None] / 255.0
    e = np.asarray(model(x, training=False), np.float64)
    e /= np.linalg.norm(e)
    u = np.zeros_like(e)
    u[0, int(np.argmin(np.abs(e[0])))] = 1.0
    u -= (u @ e.T) * e
    u /= np.linalg.norm(u)

    def at(r):  # a unit vector at distance r from e
        t = 2 * np.arcsin(r / 2)
        return (np.cos(t) * e + np.sin(t) * u).astype(np.float32)

    return image, model, {"younes": at(0.5), "kian": at(0.8), "dan": at(1.3)}


def test_verify(target):
    image, model, database = _door_scene()
    out = target(image, "younes", database, model)
    assert isinstance(out, (tuple, list)) and len(out) == 2, "verify must return (dist, door_open)"
    dist, door_open = out
    dist = _number(dist, "dist")
    if abs(dist - 0.25) < 1e-4:
        raise AssertionError("verify: dist is squared; use the L2 distance "
                             "ops.norm(encoding - database[identity])")
    _close(dist, 0.5, "dist to younes", tol=1e-4)
    assert bool(door_open) is True, "verify: a distance of 0.5 < 0.7 must open the door"
    dist, door_open = target(image, "kian", database, model)
    _close(_number(dist, "dist"), 0.8, "dist to kian", tol=1e-4)
    assert bool(door_open) is False, "verify: a distance of 0.8 must keep the door shut"
    print("\033[92mverify: all public tests passed\033[0m")


def test_who_is_it(target):
    image, model, database = _door_scene()
    out = target(image, database, model)
    assert isinstance(out, (tuple, list)) and len(out) == 2, "who_is_it must return (min_dist, identity)"
    min_dist, identity = out
    assert identity == "younes", f"who_is_it: expected 'younes' (distance 0.5), got {identity!r}"
    _close(_number(min_dist, "min_dist"), 0.5, "min_dist", tol=1e-4)
    del database["younes"]
    min_dist, identity = target(image, database, model)
    assert identity == "kian", (f"who_is_it: without younes the nearest is 'kian' (0.8), got {identity!r}; "
                                "return the nearest name even when it is farther than 0.7")
    _close(_number(min_dist, "min_dist"), 0.8, "min_dist", tol=1e-4)
    print("\033[92mwho_is_it: all public tests passed\033[0m")
