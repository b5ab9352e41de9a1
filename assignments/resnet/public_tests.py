"""Public tests for the `resnet` assignment.

Run them in the notebook (`test_identity_block(identity_block)`) or from a shell with
`cnnlab check resnet resnet.py`. They check the layer list, the output shapes and a few
outputs that can be worked out by hand; the hidden tests used for grading compare your
blocks with the reference on random weights and inputs, in training and inference mode.
"""

import numpy as np

from harness import layer_summary, run_block, run_model

EPS = 1e-3  # BatchNormalization's default epsilon


def _kinds(result):
    return [layer["kind"] for layer in result["layers"]]


def _bn(c, gamma=1.0, beta=0.0, mean=0.0, var=1.0):
    """BatchNormalization weights for c channels: [gamma, beta, moving_mean, moving_variance]."""
    return [np.full(c, v, dtype=np.float32) for v in (gamma, beta, mean, var)]


def _conv(k, c_in, c_out, value=0.0, bias=0.0):
    return [np.full((k, k, c_in, c_out), value, dtype=np.float32), np.full(c_out, bias, dtype=np.float32)]


def _assert_close(got, expected, what, rtol=1e-4, atol=1e-5):
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, f"{what}: expected shape {expected.shape}, got {got.shape}"
    err = np.abs(got.astype(np.float64) - expected)
    bad = err > atol + rtol * np.abs(expected)
    assert not bad.any(), (f"{what}: {int(bad.sum())} of {bad.size} values differ from the worked "
                           f"example (max abs error {err.max():.3g})")


def _assert_kinds(result, expected, name):
    kinds = _kinds(result)
    assert kinds == expected, (
        f"{name}: the layers, in reading order (main path, shortcut, Add, ReLU), should be\n"
        f"  {expected}\nbut are\n  {kinds}")


def test_identity_block(target):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 5, 3)).astype(np.float32)

    # 1. Zero convolutions: the main path outputs BN(0) = beta = 0, so the block is ReLU(x).
    zeros = [_conv(1, 3, 2), _bn(2), _conv(3, 2, 2), _bn(2), _conv(1, 2, 3), _bn(3)]
    result = run_block(target, x, zeros, 3, [2, 2, 3])
    _assert_kinds(result, ["Input", "Conv2D", "BatchNormalization", "ReLU", "Conv2D",
                           "BatchNormalization", "ReLU", "Conv2D", "BatchNormalization", "Add",
                           "ReLU"], "identity_block")
    assert result["weights"] is None, f"the weights did not fit the layers: {result['weights']}"
    _assert_close(result["training=False"], np.maximum(x, 0),
                  "with all-zero convolutions the block must return ReLU(X) (is the shortcut added?)")
    convs = [layer for layer in result["layers"] if layer["kind"] == "Conv2D"]
    assert [c["kernel_size"] for c in convs] == [(1, 1), (3, 3), (1, 1)], \
        "the three convolutions must be 1x1, fxf, 1x1"
    assert [c["padding"] for c in convs] == ["valid", "same", "valid"], \
        "padding must be 'valid', 'same', 'valid'"

    # 2. One channel everywhere, f=1: every layer maps a number to a number; worked by hand.
    x1 = rng.standard_normal((2, 3, 3, 1)).astype(np.float32)
    w = [_conv(1, 1, 1, 2.0, 0.5), _bn(1, 1.5, 0.1, 0.2, 4.0), _conv(1, 1, 1, -1.0, 1.0),
         _bn(1, 0.5, -0.2, 0.3, 0.25), _conv(1, 1, 1, 3.0, 0.0), _bn(1, 2.0, 0.3, -1.0, 9.0)]
    result = run_block(target, x1, w, 1, [1, 1, 1])

    def bn(z, gamma, beta, mean, var):
        return gamma * (z - mean) / np.sqrt(var + EPS) + beta

    a = np.maximum(bn(2 * x1 + 0.5, 1.5, 0.1, 0.2, 4.0), 0)
    a = np.maximum(bn(-a + 1.0, 0.5, -0.2, 0.3, 0.25), 0)
    a = bn(3 * a, 2.0, 0.3, -1.0, 9.0)
    _assert_close(result["training=False"], np.maximum(a + x1, 0),
                  "training=False (moving averages), one channel, f=1")
    assert not np.allclose(result["training=True"], result["training=False"]), (
        "training=True and training=False gave the same output: pass training=training to "
        "every BatchNormalization call")
    print("\033[92midentity_block: all public tests passed\033[0m")


def test_convolutional_block(target):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 7, 7, 3)).astype(np.float32)

    # Zero main path; the shortcut's 1x1 conv copies the 3 channels (identity matrix), its BN
    # has mean 0 and variance 1: the block returns ReLU(x[:, ::s, ::s] / sqrt(1 + eps)).
    shortcut_kernel = np.eye(3, dtype=np.float32).reshape(1, 1, 3, 3)
    weights = [_conv(1, 3, 2), _bn(2), _conv(3, 2, 4), _bn(4), _conv(1, 4, 3), _bn(3),
               [shortcut_kernel, np.zeros(3, np.float32)], _bn(3)]
    result = run_block(target, x, weights, 3, [2, 4, 3], s=2)
    _assert_kinds(result, ["Input", "Conv2D", "BatchNormalization", "ReLU", "Conv2D",
                           "BatchNormalization", "ReLU", "Conv2D", "BatchNormalization",
                           "Conv2D", "BatchNormalization", "Add", "ReLU"], "convolutional_block")
    assert result["weights"] is None, f"the weights did not fit the layers: {result['weights']}"
    convs = [layer for layer in result["layers"] if layer["kind"] == "Conv2D"]
    assert [c["strides"] for c in convs] == [(2, 2), (1, 1), (1, 1), (2, 2)], (
        "strides (main path x3, then shortcut) should be s, 1, 1 and s; got "
        f"{[c['strides'] for c in convs]}")
    assert result["layers"][-1]["output_shape"] == (None, 4, 4, 3), (
        f"a 7x7 input with s=2 should give a 4x4 output, got {result['layers'][-1]['output_shape']}")
    _assert_close(result["training=False"], np.maximum(x[:, ::2, ::2, :] / np.sqrt(1 + EPS), 0),
                  "zero main path: the output is ReLU(BN(shortcut conv(X)))")
    assert not np.allclose(result["training=True"], result["training=False"]), (
        "training=True and training=False gave the same output: pass training=training to "
        "every BatchNormalization call")
    print("\033[92mconvolutional_block: all public tests passed\033[0m")


def test_ResNet50(target):
    model = target(input_shape=(64, 64, 3), classes=6)
    layers = layer_summary(model)
    counts = {}
    for layer in layers:
        counts[layer["kind"]] = counts.get(layer["kind"], 0) + 1
    expected = {"Input": 1, "ZeroPadding2D": 1, "Conv2D": 53, "BatchNormalization": 53,
                "ReLU": 49, "MaxPooling2D": 1, "Add": 16, "AveragePooling2D": 1, "Flatten": 1,
                "Dense": 1}
    assert counts == expected, f"layer counts by kind should be {expected}, got {counts}"
    assert len(layers) == 177, f"ResNet50 has 177 layers (Input included), yours has {len(layers)}"
    shapes = {i: layers[i]["output_shape"] for i in (5, 37, 79, 141, 173, 176)}
    want = {5: (None, 15, 15, 64), 37: (None, 15, 15, 256), 79: (None, 8, 8, 512),
            141: (None, 4, 4, 1024), 173: (None, 2, 2, 2048), 176: (None, 6)}
    for i, shape in want.items():
        assert shapes[i] == shape, (f"layer {i} ({layers[i]['kind']}) should output {shape}, "
                                    f"got {shapes[i]}")
    assert layers[-1]["activation"] == "softmax", "the last layer is a Dense layer with softmax"
    assert model.count_params() == 23_600_006, \
        f"ResNet50 for 6 classes has 23,600,006 parameters, yours has {model.count_params():,}"
    x = np.random.default_rng(2).standard_normal((2, 64, 64, 3)).astype(np.float32)
    probs = run_model(target, x, 0)["inference"]
    _assert_close(probs.sum(axis=1), np.ones(2), "the class probabilities of each image must sum to 1")
    print("\033[92mResNet50: all public tests passed\033[0m")
