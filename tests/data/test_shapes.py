"""Tests for cnnlab.data.shapes (procedural shape images)."""

import numpy as np
import pytest

from cnnlab.data import shapes
from cnnlab.data.shapes import (
    CLASSES,
    CLASSIFICATION_SPLITS,
    DETECTION_SPLITS,
    load_detection,
    load_shapes,
    make_classification,
    make_detection,
)


# ---------------------------------------------------------------- classification

def test_classes():
    assert len(CLASSES) == 6 == shapes.NUM_CLASSES
    assert len(set(CLASSES)) == 6


def test_classification_shapes_dtypes_and_balance():
    x, y = make_classification(61, seed=5)
    assert x.shape == (61, 64, 64, 3) and x.dtype == np.uint8
    assert y.shape == (61,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=6)
    assert counts.size == 6 and counts.max() - counts.min() <= 1
    _, y60 = make_classification(60, seed=6, image_size=32)
    np.testing.assert_array_equal(np.bincount(y60, minlength=6), [10] * 6)
    # labels are shuffled, not in class order
    assert not np.array_equal(y60, np.sort(y60))


def test_classification_is_deterministic():
    x1, y1 = make_classification(24, seed=11, image_size=32)
    x2, y2 = make_classification(24, seed=11, image_size=32)
    assert x1.tobytes() == x2.tobytes() and y1.tobytes() == y2.tobytes()
    x3, _ = make_classification(24, seed=12, image_size=32)
    assert x1.tobytes() != x3.tobytes()


def test_classification_small_and_empty():
    x, y = make_classification(0, seed=0, image_size=32)
    assert x.shape == (0, 32, 32, 3) and y.shape == (0,)
    with pytest.raises(ValueError):
        make_classification(3, image_size=8)


def test_one_visible_shape_per_image():
    g = shapes._generate_classification(30, seed=3, image_size=64)
    x, y = make_classification(30, seed=3, image_size=64)
    # noise is small and zero-mean around the clean render
    diff = x.astype(int) - g["clean"].astype(int)
    assert np.abs(diff).max() <= int(np.ceil(8 * 2 * np.sqrt(3))) + 1  # Irwin-Hall bound
    assert 0 < np.abs(diff).mean() < 8
    # the shape covers a sizeable, but not dominant, part of the image
    for img in g["clean"].astype(int):
        # pixels far (in some channel) from the median (background) colour
        far = (np.abs(img - np.median(img.reshape(-1, 3), axis=0)) > 45).any(-1)
        assert 0.03 < far.mean() < 0.6


@pytest.mark.parametrize("name", CLASSES)
def test_rasterised_area_matches_geometry(name):
    """Sum of alpha equals the exact area: catches wrong SDF signs or shapes."""
    size, radius, param = 200, 80.0, 0.5
    c = CLASSES.index(name)
    grid = np.arange(size, dtype=np.float32) + 0.5
    one = lambda v: np.array([v])  # noqa: E731
    alpha = shapes._shape_alpha(c, grid[None, None, :], grid[None, :, None],
                                one(100.0), one(100.0), one(radius), one(0.3),
                                one(1.3), one(0.8), one(param))[0]
    R = radius
    inner_star = 0.38 + 0.12 * param
    half_w = 0.24 + 0.10 * param
    h = shapes._CROSS_HALF_LENGTH
    ring_inner = 0.45 + 0.2 * param
    area = {
        "circle": np.pi * (shapes._CIRCLE_RADIUS * R) ** 2,
        "ring": np.pi * (shapes._RING_RADIUS * R) ** 2 * (1 - ring_inner ** 2),
        "square": 2 * (shapes._SQUARE_RADIUS * R) ** 2,
        "triangle": 3 * np.sqrt(3) / 4 * R ** 2,
        "star": 5 * R * (inner_star * R) * np.sin(np.pi / 5),
        "cross": (8 * h * half_w - 4 * half_w ** 2) * R ** 2,
    }[name] * 1.3 * 0.8  # the stretch scales every area by sx * sy
    assert alpha.sum() == pytest.approx(area, rel=0.01)
    # stays inside its documented bounding box cx +- R sx, cy +- R sy
    rows = np.nonzero(alpha.any(axis=1))[0]
    cols = np.nonzero(alpha.any(axis=0))[0]
    assert cols[0] >= np.floor(100 - R * 1.3) and cols[-1] < np.ceil(100 + R * 1.3)
    assert rows[0] >= np.floor(100 - R * 0.8) and rows[-1] < np.ceil(100 + R * 0.8)


# ---------------------------------------------------------------- detection

def test_detection_shapes_dtypes_and_counts():
    x, boxes, labels = make_detection(30, seed=1, image_size=96, max_objects=3,
                                      min_size=12, max_size=40)
    assert x.shape == (30, 96, 96, 3) and x.dtype == np.uint8
    assert len(boxes) == len(labels) == 30
    for b, lab in zip(boxes, labels):
        assert b.dtype == np.float32 and b.ndim == 2 and b.shape[1] == 4
        assert lab.dtype == np.int64 and lab.shape == (b.shape[0],)
        assert 1 <= b.shape[0] <= 3
        assert np.all((lab >= 0) & (lab < 6))
        assert np.all(b >= 0) and np.all(b <= 96)
        assert np.all(b[:, 2] > b[:, 0]) and np.all(b[:, 3] > b[:, 1])
        assert np.all(b == np.round(b))  # pixel-aligned corners
    counts = np.array([len(b) for b in boxes])
    assert counts.min() == 1 and counts.max() == 3


def test_detection_is_deterministic():
    a = make_detection(10, seed=21)
    b = make_detection(10, seed=21)
    c = make_detection(10, seed=22)
    assert a[0].tobytes() == b[0].tobytes()
    assert all(p.tobytes() == q.tobytes() for p, q in zip(a[1], b[1]))
    assert all(p.tobytes() == q.tobytes() for p, q in zip(a[2], b[2]))
    assert a[0].tobytes() != c[0].tobytes()


def test_detection_argument_checks():
    with pytest.raises(ValueError):
        make_detection(1, image_size=64, max_size=63)
    with pytest.raises(ValueError):
        make_detection(1, min_size=30, max_size=20)
    with pytest.raises(ValueError):
        make_detection(1, max_objects=0)


def box_problems(changed, boxes):
    """Problems of `boxes` (k, 4) w.r.t. the mask of changed pixels (H, W).

    A box set is right when (a) every changed pixel lies in some box and
    (b) each box is tight: its first/last row and column hold changed pixels.
    """
    problems = []
    inside = np.zeros_like(changed)
    for x1, y1, x2, y2 in boxes.astype(int):
        inside[y1:y2, x1:x2] = True
        region = changed[y1:y2, x1:x2]
        if region.size == 0 or not (region[0].any() and region[-1].any()
                                    and region[:, 0].any() and region[:, -1].any()):
            problems.append(f"box {(x1, y1, x2, y2)} is not tight")
    if np.any(changed & ~inside):
        problems.append(f"{int(np.sum(changed & ~inside))} changed pixels outside boxes")
    return problems


def test_boxes_are_tight_and_cover_every_drawn_pixel():
    g = shapes._generate_detection(40, seed=7, return_background=True)
    changed = np.any(g["clean"] != g["background"], axis=-1)
    for i in range(40):
        assert box_problems(changed[i], g["boxes"][i]) == [], i
    # The check really can fail: shrunk boxes miss pixels, grown ones are loose.
    b = g["boxes"][0]
    for side, delta in ((0, 1), (1, 1), (2, -1), (3, -1)):
        shrunk = b.copy()
        shrunk[0, side] += delta
        assert box_problems(changed[0], shrunk)
    for side, delta in ((0, -1), (1, -1), (2, 1), (3, 1)):
        grown = b.copy()
        grown[0, side] = np.clip(grown[0, side] + delta, 0, 128)
        if not np.array_equal(grown, b):
            assert box_problems(changed[0], grown)


def test_detection_noise_matches_clean_render():
    g = shapes._generate_detection(5, seed=9)
    x, boxes, _ = make_detection(5, seed=9)
    np.testing.assert_array_equal(x, shapes._add_noise(g["clean"], g["sigma"], g["keys"]))
    assert not np.array_equal(x, g["clean"])
    for p, q in zip(boxes, g["boxes"]):
        np.testing.assert_array_equal(p, q)


def test_detection_boxes_have_distinct_sizes_and_aspects():
    _, boxes, _ = make_detection(120, seed=4)
    b = np.concatenate(boxes)
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    assert np.mean(w / h > 1.5) > 0.1   # wide shapes
    assert np.mean(h / w > 1.5) > 0.1   # tall shapes
    assert np.mean(np.abs(np.log(w / h)) < 0.25) > 0.3  # roughly square ones
    longest = np.maximum(w, h)
    assert longest.min() < 20 and longest.max() > 45
    assert longest.max() <= 56 + 1


def test_detection_limited_overlap():
    _, boxes, _ = make_detection(60, seed=8)
    for b in boxes:
        for i in range(len(b)):
            for j in range(i):
                iw = min(b[i, 2], b[j, 2]) - max(b[i, 0], b[j, 0])
                ih = min(b[i, 3], b[j, 3]) - max(b[i, 1], b[j, 1])
                if iw > 0 and ih > 0:
                    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])  # noqa: E731
                    assert iw * ih <= 0.3 * min(area(b[i]), area(b[j]))


# ---------------------------------------------------------------- caches

@pytest.fixture
def small_splits(monkeypatch):
    """Shrink the "test" splits so the cache tests stay fast."""
    monkeypatch.setitem(CLASSIFICATION_SPLITS, "test",
                        {"n": 48, "seed": 77, "image_size": 48})
    monkeypatch.setitem(DETECTION_SPLITS, "test",
                        {"n": 12, "seed": 78, "image_size": 96, "max_objects": 3,
                         "min_size": 12, "max_size": 40})


def test_load_shapes_caches_and_matches_generator(tmp_path, monkeypatch, small_splits):
    x, y = load_shapes("test", cache_dir=tmp_path)
    spec = CLASSIFICATION_SPLITS["test"]
    ex, ey = make_classification(spec["n"], seed=spec["seed"], image_size=spec["image_size"])
    assert x.tobytes() == ex.tobytes() and y.tobytes() == ey.tobytes()
    path = tmp_path / "classification_test.npz"
    assert path.is_file() and path.stat().st_size < 200_000
    with np.load(path, allow_pickle=False) as z:  # no pickled objects
        assert all(z[k].dtype != object for k in z.files)

    def fail(spec):
        raise AssertionError("cache was not used")

    monkeypatch.setattr(shapes, "_build_classification", fail)
    x2, y2 = load_shapes("test", cache_dir=tmp_path)
    assert x2.tobytes() == x.tobytes() and y2.tobytes() == y.tobytes()
    with pytest.raises(ValueError):
        load_shapes("validation", cache_dir=tmp_path)


def test_stale_or_corrupt_cache_is_rebuilt(tmp_path, small_splits):
    x, _ = load_shapes("test", cache_dir=tmp_path)
    path = tmp_path / "classification_test.npz"
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["meta"] = arrays["meta"].copy()
    arrays["meta"][0] += 1  # pretend it was written by another format version
    arrays["clean_delta"] = np.zeros_like(arrays["clean_delta"])
    np.savez_compressed(path, **arrays)
    x2, _ = load_shapes("test", cache_dir=tmp_path)
    assert x2.tobytes() == x.tobytes()
    path.write_bytes(b"not a zip file")
    x3, _ = load_shapes("test", cache_dir=tmp_path)
    assert x3.tobytes() == x.tobytes()


def test_load_detection_caches_and_matches_generator(tmp_path, monkeypatch, small_splits):
    monkeypatch.setenv("CNNLAB_DATA", str(tmp_path))
    assert shapes.default_cache_dir() == tmp_path
    x, boxes, labels = load_detection("test")
    assert (tmp_path / "detection_test.npz").is_file()
    spec = dict(DETECTION_SPLITS["test"])
    n, seed = spec.pop("n"), spec.pop("seed")
    ex, eb, el = make_detection(n, seed=seed, **spec)
    assert x.tobytes() == ex.tobytes()
    assert len(boxes) == len(labels) == n
    for p, q in zip(boxes, eb):
        assert p.dtype == np.float32 and p.tobytes() == q.tobytes()
    for p, q in zip(labels, el):
        assert p.dtype == np.int64 and p.tobytes() == q.tobytes()


def test_committed_caches_are_up_to_date():
    folder = shapes._repo_datasets_dir()
    if folder is None or not folder.is_dir():
        pytest.skip("no datasets/shapes folder in this checkout")
    files = sorted(folder.glob("*.npz"))
    if not files:
        pytest.skip("no committed caches")
    for kind, splits in (("classification", CLASSIFICATION_SPLITS),
                         ("detection", DETECTION_SPLITS)):
        for split, spec in splits.items():
            path = folder / f"{kind}_{split}.npz"
            assert path.is_file(), path
            assert shapes._read_cache(path, shapes._meta(kind, spec)) is not None, path
    assert sum(f.stat().st_size for f in files) < 8e6
    # the small test split still renders exactly as the generator does
    x, _ = load_shapes("test", cache_dir=folder)
    spec = CLASSIFICATION_SPLITS["test"]
    ex, _ = make_classification(spec["n"], seed=spec["seed"], image_size=spec["image_size"])
    assert x.tobytes() == ex.tobytes()


def test_delta_coding_roundtrip():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (3, 5, 7, 3), dtype=np.uint8)
    np.testing.assert_array_equal(shapes._delta_decode(shapes._delta_encode(a)), a)


def test_noise_is_reproducible_and_unit_variance():
    clean = np.full((2, 64, 64, 3), 128, dtype=np.uint8)
    keys = np.array([1, 2], dtype=np.uint64)
    a = shapes._add_noise(clean, np.array([10.0, 10.0]), keys)
    np.testing.assert_array_equal(a, shapes._add_noise(clean, np.array([10.0, 10.0]), keys))
    assert not np.array_equal(a[0], a[1])
    d = a.astype(float) - 128
    assert abs(d.mean()) < 0.3 and d.std() == pytest.approx(10.0, rel=0.03)


def test_save_preview(tmp_path):
    pytest.importorskip("matplotlib")
    x, y = make_classification(6, seed=0, image_size=32)
    p = shapes.save_preview(tmp_path / "cls.png", x, labels=y)
    assert p.is_file() and p.read_bytes()[:4] == b"\x89PNG"
    xd, b, lab = make_detection(3, seed=0, image_size=64, min_size=10, max_size=30)
    p = shapes.save_preview(tmp_path / "det.png", xd, boxes=b, labels=lab)
    assert p.is_file() and p.stat().st_size > 0
