"""VGG19 loading: cached ImageNet weights by path (with a generated stand-in file), the
offline fallback to seeded random weights, and the feature extractor's layout."""

import numpy as np
import pytest

from cnnlab.grader.spec import load_module

from ..conftest import ROOT
from .fake_vgg import write_fake_imagenet_file

vgg = load_module(ROOT / "assignments" / "style" / "vgg.py", "style_vgg_under_test")

def test_cached_imagenet_weights_are_found_and_loaded_by_path(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert vgg.cached_weights_path() is None
    (tmp_path / "models").mkdir()
    values = write_fake_imagenet_file(tmp_path / "models" / vgg.WEIGHTS_FILE)
    assert vgg.cached_weights_path() == tmp_path / "models" / vgg.WEIGHTS_FILE

    model, description = vgg.load_vgg19("auto")
    assert "ImageNet" in description and vgg.WEIGHTS_FILE in description and "RANDOM" not in description
    assert model.trainable is False
    for name in ("block1_conv1", "block3_conv4", "block5_conv4"):
        kernel, bias = model.get_layer(name).get_weights()
        np.testing.assert_allclose(kernel, values[name][0], rtol=1e-6)
        np.testing.assert_allclose(bias, values[name][1])
    # "imagenet" uses the cached file too, and never downloads when it is there.
    _, description = vgg.load_vgg19("imagenet")
    assert vgg.WEIGHTS_FILE in description


def test_a_weights_file_given_by_path(tmp_path):
    path = tmp_path / "my_vgg19_notop.h5"
    values = write_fake_imagenet_file(path)
    model, description = vgg.load_vgg19(str(path))
    assert str(path) in description
    np.testing.assert_allclose(model.get_layer("block2_conv2").get_weights()[1], values["block2_conv2"][1])
    with pytest.raises(FileNotFoundError):
        vgg.load_vgg19(str(tmp_path / "missing.h5"))


def test_offline_fallback_is_random_seeded_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # an empty cache
    model, description = vgg.load_vgg19("auto", seed=3)
    assert "RANDOM" in description and "not artistic" in description
    again, _ = vgg.load_vgg19("random", seed=3)
    other, _ = vgg.load_vgg19("random", seed=4)
    k1 = model.get_layer("block3_conv2").get_weights()[0]
    np.testing.assert_array_equal(k1, again.get_layer("block3_conv2").get_weights()[0])
    assert not np.array_equal(k1, other.get_layer("block3_conv2").get_weights()[0])
    # He-normal: standard deviation sqrt(2 / fan_in), zero biases.
    assert k1.std() == pytest.approx(np.sqrt(2.0 / (3 * 3 * 256)), rel=0.05)
    assert not model.get_layer("block3_conv2").get_weights()[1].any()


def test_feature_extractor_returns_style_layers_then_content_layer(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    model, _ = vgg.load_vgg19("random")
    names = ["block1_conv1", "block3_conv1", "block4_conv2"]
    outputs = vgg.feature_extractor(model, names)(vgg.preprocess(np.full((1, 32, 32, 3), 0.5, np.float32)))
    assert [tuple(o.shape) for o in outputs] == [(1, 32, 32, 64), (1, 8, 8, 256), (1, 4, 4, 512)]


def test_preprocess_is_caffe_style_bgr_minus_imagenet_means():
    x = np.zeros((1, 2, 2, 3), np.float32)
    x[..., 0] = 1.0  # pure red
    out = np.asarray(vgg.preprocess(x))
    np.testing.assert_allclose(out[0, 0, 0], [-103.939, -116.779, 255.0 - 123.68], rtol=1e-5)
