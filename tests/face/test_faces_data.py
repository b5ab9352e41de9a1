"""The procedurally drawn faces: shapes, determinism, identities and splits."""

import numpy as np
import pytest

from cnnlab.data import faces


def test_make_faces_shapes_and_grouping():
    images, labels = faces.make_faces(5, 3, seed=1, image_size=32)
    assert images.shape == (15, 32, 32, 3) and images.dtype == np.uint8
    assert labels.dtype == np.int64 and labels.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]
    assert images.std() > 20  # not blank


def test_same_seed_same_pixels_other_seed_other_pixels():
    a, _ = faces.make_faces(4, 2, seed=7)
    b, _ = faces.make_faces(4, 2, seed=7)
    c, _ = faces.make_faces(4, 2, seed=8)
    np.testing.assert_array_equal(a, b)
    assert np.mean(a != c) > 0.5


def test_without_jitter_a_face_is_the_same_in_every_photo():
    """With jitter 0 only the background changes: the middle of the face is identical for a
    person, and differs between people."""
    images, labels = faces.make_faces(6, 3, seed=3, image_size=40, jitter=0.0)
    centre = images[:, 14:26, 14:26].astype(int)
    for person in range(6):
        photos = centre[labels == person]
        assert all(np.array_equal(photos[0], p) for p in photos[1:])
    firsts = centre[::3]
    assert all(not np.array_equal(firsts[i], firsts[j]) for i in range(6) for j in range(i + 1, 6))


def test_photos_of_a_person_vary_with_jitter():
    images, labels = faces.make_faces(3, 4, seed=3, image_size=40, jitter=1.0)
    centre = images[:, 14:26, 14:26].astype(int)
    assert not np.array_equal(centre[0], centre[1])


def test_identity_parameters_are_in_range():
    people = faces.make_identities(200, np.random.default_rng(0))
    assert people["face_w"].shape == (200,) and people["skin"].shape == (200, 3)
    assert np.all((people["eye_r"] > 0.05) & (people["eye_r"] < 0.15))
    assert 0 < people["glasses"].mean() < 0.5 and people["bald"].dtype == bool


def test_fixed_splits_are_read_only_and_hold_different_people():
    train, train_labels = faces.load_faces("train")
    test, test_labels = faces.load_faces("test")
    spec = faces.FACE_SPLITS
    assert train.shape == (spec["train"]["identities"] * spec["train"]["per_identity"], 40, 40, 3)
    assert len(np.unique(test_labels)) == spec["test"]["identities"]
    assert not train.flags.writeable and not test_labels.flags.writeable
    assert spec["train"]["seed"] != spec["test"]["seed"]
    # No test photo appears in the training split.
    train_keys = {img.tobytes() for img in train[:: spec["train"]["per_identity"]]}
    assert not any(img.tobytes() in train_keys for img in test)
    with pytest.raises(ValueError):
        faces.load_faces("validation")


def test_save_face_grid_writes_a_png(tmp_path):
    images, labels = faces.make_faces(3, 4, seed=0)
    path = faces.save_face_grid(tmp_path / "grid.png", images, labels, people=3, per_person=4)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
