"""Pictures shipped with installed packages, and the procedural styles."""

import numpy as np
import pytest

from cnnlab.data import images


def test_matplotlib_picture_loads_in_unit_range():
    photo = images.load_image("grace_hopper")
    assert photo.dtype == np.float32 and photo.shape == (600, 512, 3)
    assert 0.0 <= photo.min() and photo.max() <= 1.0 and photo.std() > 0.1


@pytest.mark.parametrize("name", images.available_images())
def test_every_available_picture_resizes_to_a_square(name):
    picture = images.load_image(name, size=48)
    assert picture.shape == (48, 48, 3) and picture.dtype == np.float32
    assert 0.0 <= picture.min() and picture.max() <= 1.0 and picture.std() > 0.02


def test_procedural_styles_are_deterministic_and_seeded():
    np.testing.assert_array_equal(images.mosaic(64, seed=1), images.mosaic(64, seed=1))
    assert not np.array_equal(images.mosaic(64, seed=1), images.mosaic(64, seed=2))
    w = images.waves(64, seed=0)
    assert w.shape == (64, 64, 3) and np.array_equal(w, images.waves(64, seed=0))


def test_skimage_pictures_are_listed_only_when_installed():
    names = images.available_images()
    assert "grace_hopper" in names and "mosaic" in names and "waves" in names
    assert ("chelsea" in names) == images._has_skimage()


def test_unknown_name_lists_the_available_ones():
    with pytest.raises(ValueError, match="grace_hopper"):
        images.load_image("mona_lisa")
