"""The reference itself: blocks against a NumPy re-implementation, ResNet50's size and shapes."""

import numpy as np
import pytest

from cnnlab.grader.spec import load_module

from ..conftest import ROOT

ref = load_module(ROOT / "solutions" / "resnet" / "resnet.py", "resnet_reference_under_test")
harness = load_module(ROOT / "assignments" / "resnet" / "harness.py", "resnet_harness_under_test")
EPS = 1e-3  # keras.layers.BatchNormalization's default epsilon


def conv(x, kernel, bias, stride, padding):
    """2-d convolution, channels-last, TensorFlow's "same"/"valid" conventions, in float64."""
    f = kernel.shape[0]
    n_H, n_W = x.shape[1:3]
    if padding == "same":
        out_H, out_W = -(-n_H // stride), -(-n_W // stride)
        pad_H = max((out_H - 1) * stride + f - n_H, 0)
        pad_W = max((out_W - 1) * stride + f - n_W, 0)
        x = np.pad(x, ((0, 0), (pad_H // 2, pad_H - pad_H // 2), (pad_W // 2, pad_W - pad_W // 2), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(x, (f, f), axis=(1, 2))[:, ::stride, ::stride]
    return np.einsum("mhwcij,ijcn->mhwn", windows, kernel) + bias


def batch_norm(z, gamma, beta, mean, var, training):
    if training:  # batch statistics over batch, height and width (biased variance)
        mean, var = z.mean(axis=(0, 1, 2)), z.var(axis=(0, 1, 2))
    return gamma * (z - mean) / np.sqrt(var + EPS) + beta


def numpy_block(x, weights, f, s, training, shortcut):
    w = [[np.asarray(a, np.float64) for a in layer] for layer in weights]
    relu = lambda z: np.maximum(z, 0)  # noqa: E731
    a = relu(batch_norm(conv(x, *w[0], s, "valid"), *w[1], training))
    a = relu(batch_norm(conv(a, *w[2], 1, "same"), *w[3], training))
    a = batch_norm(conv(a, *w[4], 1, "valid"), *w[5], training)
    short = batch_norm(conv(x, *w[6], s, "valid"), *w[7], training) if shortcut else x
    return relu(a + short)


@pytest.mark.parametrize("shape, f, filters", [((3, 6, 6, 4), 3, [2, 3, 4]), ((2, 5, 8, 3), 2, [4, 2, 3]),
                                               ((1, 4, 4, 5), 5, [3, 3, 5])])
def test_identity_block_matches_numpy(shape, f, filters):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    weights = harness.random_block_weights(rng, shape[3], f, filters)
    result = harness.run_block(ref.identity_block, x, weights, f, filters)
    for training in (True, False):
        np.testing.assert_allclose(result[f"training={training}"],
                                   numpy_block(x.astype(np.float64), weights, f, 1, training, False),
                                   rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape, f, filters, s", [
    ((3, 8, 8, 3), 3, [2, 3, 5], 2), ((2, 7, 7, 4), 3, [3, 2, 6], 2),
    ((2, 9, 7, 2), 2, [3, 3, 3], 3), ((2, 5, 5, 3), 1, [2, 2, 4], 1)])
def test_convolutional_block_matches_numpy(shape, f, filters, s):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(np.float32)
    weights = harness.random_block_weights(rng, shape[3], f, filters, shortcut=True)
    result = harness.run_block(ref.convolutional_block, x, weights, f, filters, s=s)
    for training in (True, False):
        np.testing.assert_allclose(result[f"training={training}"],
                                   numpy_block(x.astype(np.float64), weights, f, s, training, True),
                                   rtol=1e-4, atol=1e-4)


def resnet50_params(n_C, classes):
    """ResNet50's parameter count from its definition: conv kernels + biases, BN has 4 per channel."""
    def conv_bn(k, c_in, c_out):
        return k * k * c_in * c_out + c_out + 4 * c_out

    total = conv_bn(7, n_C, 64)
    c = 64
    for (F1, F2, F3), n_identity in [((64, 64, 256), 2), ((128, 128, 512), 3),
                                     ((256, 256, 1024), 5), ((512, 512, 2048), 2)]:
        main = lambda c_in: conv_bn(1, c_in, F1) + conv_bn(3, F1, F2) + conv_bn(1, F2, F3)  # noqa: E731
        total += main(c) + conv_bn(1, c, F3) + n_identity * main(F3)
        c = F3
    return total + 2048 * classes + classes


@pytest.mark.parametrize("input_shape, classes", [((64, 64, 3), 6), ((96, 80, 1), 3)])
def test_resnet50_size_and_shapes(input_shape, classes):
    model = ref.ResNet50(input_shape=input_shape, classes=classes)
    assert model.count_params() == resnet50_params(input_shape[2], classes)
    assert tuple(model.outputs[0].shape) == (None, classes)
    layers = harness.layer_summary(model)
    kinds = [layer["kind"] for layer in layers]
    assert len(kinds) == 177 and kinds.count("Conv2D") == 53 and kinds.count("Add") == 16
    x = np.random.default_rng(2).random((2, *input_shape), dtype=np.float32)
    probabilities = np.asarray(model(x, training=False))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
