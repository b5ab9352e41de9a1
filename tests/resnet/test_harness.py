"""The harness (what the grader compares) and the structure checks of grading.py, in-process."""

import numpy as np
import pytest

from cnnlab.grader.spec import load_module

from ..conftest import ROOT

ASSIGNMENT_DIR = ROOT / "assignments" / "resnet"
ref = load_module(ROOT / "solutions" / "resnet" / "resnet.py", "resnet_reference_for_harness")
harness = load_module(ASSIGNMENT_DIR / "harness.py", "resnet_harness_for_tests")
grading = load_module(ROOT / "solutions" / "resnet" / "grading.py", "resnet_grading_for_tests")


def _inputs(seed=0, shape=(2, 7, 7, 4), f=3, filters=(2, 3, 5), shortcut=True):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    return x, harness.random_block_weights(rng, shape[3], f, list(filters), shortcut)


def shortcut_first_block(X, f, filters, s=2, training=True, initializer=None):
    """The convolutional block written in another order: shortcut first, `+`, keras.ops.relu."""
    import keras
    from keras import layers

    F1, F2, F3 = filters
    short = layers.BatchNormalization(axis=-1)(layers.Conv2D(F3, 1, strides=s)(X), training=training)
    main_layers = [layers.Conv2D(F1, 1, strides=s), layers.BatchNormalization(axis=3), layers.ReLU(),
                   layers.Conv2D(F2, f, padding="same"), layers.BatchNormalization(axis=3), layers.ReLU(),
                   layers.Conv2D(F3, 1), layers.BatchNormalization(axis=3)]
    for layer in main_layers:
        X = layer(X, training=training) if isinstance(layer, layers.BatchNormalization) else layer(X)
    return keras.ops.relu(short + X)


def test_run_block_is_deterministic():
    x, weights = _inputs()
    first = harness.run_block(ref.convolutional_block, x, weights, 3, [2, 3, 5], s=2)
    second = harness.run_block(ref.convolutional_block, x.copy(), weights, 3, [2, 3, 5], s=2)
    assert first["layers"] == second["layers"]
    for key in ("training=True", "training=False"):
        assert np.array_equal(first[key], second[key])
    assert first["weights"] is None


def test_layer_order_and_weights_do_not_depend_on_how_the_block_was_written():
    x, weights = _inputs(1)
    expected = harness.run_block(ref.convolutional_block, x, weights, 3, [2, 3, 5], s=2)
    got = harness.run_block(shortcut_first_block, x, weights, 3, [2, 3, 5], s=2)
    assert got["layers"] == expected["layers"]
    for key in ("training=True", "training=False"):
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6)
    kinds = [layer["kind"] for layer in got["layers"]]
    assert kinds[9:] == ["Conv2D", "BatchNormalization", "Add", "ReLU"]  # shortcut after the main path
    assert got["layers"][11]["inputs"] == (8, 10)


def test_training_flag_reaches_batch_normalization():
    x, weights = _inputs(2)
    result = harness.run_block(ref.convolutional_block, x, weights, 3, [2, 3, 5], s=2)
    assert not np.allclose(result["training=True"], result["training=False"])
    no_training = grading._wrong_block("no_training", pass_training=False, projection=True)
    ignored = harness.run_block(no_training, x, weights, 3, [2, 3, 5], s=2)
    assert ignored["layers"] == result["layers"]
    np.testing.assert_allclose(ignored["training=True"], result["training=False"], rtol=1e-5, atol=1e-6)


def test_load_weights_refuses_mismatched_shapes_and_loads_nothing():
    import keras

    x, weights = _inputs(3)
    X_input = keras.Input(x.shape[1:])
    model = keras.Model(X_input, ref.convolutional_block(X_input, 3, [2, 3, 5], s=2))
    before = [w.copy() for w in model.get_weights()]
    wrong = [list(layer) for layer in weights]
    wrong[-1] = wrong[-1][:2]
    assert "layer 7" in harness.load_weights(model, wrong)
    assert "8 layers with weights" in harness.load_weights(model, weights[:-1])
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert harness.load_weights(model, weights) is None
    assert np.array_equal(model.get_weights()[0], weights[0][0])


def test_block_weight_shapes_match_the_reference_block():
    import keras

    for shortcut, fn, kwargs in ((False, ref.identity_block, {}), (True, ref.convolutional_block, {"s": 2})):
        X_input = keras.Input((9, 9, 6))
        model = keras.Model(X_input, fn(X_input, 3, [4, 5, 6], **kwargs))
        assert harness.weight_shapes(model) == harness.block_weight_shapes(6, 3, [4, 5, 6], shortcut)


# --- structure comparison (grading.py) ---------------------------------------------------------

@pytest.fixture(scope="module")
def resnet50_expected():
    x = np.random.default_rng(4).standard_normal((2, 64, 64, 3)).astype(np.float32)
    return x, harness.run_model(ref.ResNet50, x, 7)


def test_truncated_layer_lists_fail(resnet50_expected):
    _, expected = resnet50_expected
    layers = expected["layers"]
    assert grading.compare_layers(layers, list(layers)) is None
    message = grading.compare_layers(layers, layers[:-3], "your model")
    assert "174 layers" in message and "177" in message and "AveragePooling2D" in message
    message = grading.compare_layers(layers, layers[:1])
    assert "stops after layer 0" in message
    extra = dict(layers[-1], kind="Dropout")
    assert "goes on with Dropout" in grading.compare_layers(layers, list(layers) + [extra])


def test_model_without_average_pooling_fails_though_its_output_shape_is_right(resnet50_expected):
    import keras
    from keras import layers

    def no_pooling(input_shape=(64, 64, 3), classes=6):
        full = ref.ResNet50(input_shape, classes)
        stage_5 = [layer for layer in full.layers if isinstance(layer, layers.Activation)][-1].output
        assert tuple(stage_5.shape) == (None, 2, 2, 2048)
        X = layers.Dense(classes, activation="softmax")(layers.Flatten()(stage_5))
        return keras.Model(full.input, X)

    x, expected = resnet50_expected
    got = harness.run_model(no_pooling, x, 7)
    assert got["output_shape"] == expected["output_shape"]
    message = grading.check_model(None, expected, got)
    assert "layer 174 differs" in message and "AveragePooling2D" in message
    assert grading.check_model(None, expected, harness.run_model(ref.ResNet50, x, 7)) is None


def test_model_missing_its_last_layer_is_told_what_should_follow(resnet50_expected):
    import keras

    def no_dense(input_shape=(64, 64, 3), classes=6):
        full = ref.ResNet50(input_shape, classes)
        return keras.Model(full.input, full.layers[-2].output)  # ends at Flatten

    x, expected = resnet50_expected
    message = grading.check_model(None, expected, harness.run_model(no_dense, x, 7))
    assert "176 layers" in message and "stops after layer 175, Flatten" in message
    assert "starting with Dense(units=6, activation='softmax')" in message


def test_wrong_axis_is_diagnosed_by_name():
    x, weights = _inputs(5)
    expected = harness.run_block(ref.convolutional_block, x, weights, 3, [2, 3, 5], s=2)
    got = dict(expected, layers=[dict(layer) for layer in expected["layers"]])
    got["layers"][2]["axis"] = 2
    message = grading.check_block(None, expected, got)
    assert "layer 2" in message and "axis 2" in message and "axis=3" in message


def test_numbers_are_compared_in_both_modes():
    x, weights = _inputs(6)
    expected = harness.run_block(ref.convolutional_block, x, weights, 3, [2, 3, 5], s=2)
    assert grading.check_block(None, expected, expected) is None
    for key in ("training=True", "training=False"):
        got = dict(expected)
        got[key] = expected[key] * (1 + 1e-3) + 1e-3
        assert key in grading.check_block(None, expected, got)


# --- public tests ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def public_tests():
    import sys

    sys.path.insert(0, str(ASSIGNMENT_DIR))  # public_tests.py does `from harness import ...`
    try:
        yield load_module(ASSIGNMENT_DIR / "public_tests.py", "resnet_public_tests_under_test")
    finally:
        sys.path.remove(str(ASSIGNMENT_DIR))


def test_public_tests_pass_on_the_reference(public_tests, capsys):
    public_tests.test_identity_block(ref.identity_block)
    public_tests.test_convolutional_block(ref.convolutional_block)
    assert "all public tests passed" in capsys.readouterr().out


def test_public_tests_catch_a_missing_training_argument(public_tests):
    no_training = grading._wrong_block("no_training", pass_training=False, projection=True)
    with pytest.raises(AssertionError, match="training=training"):
        public_tests.test_convolutional_block(no_training)
    no_shortcut_bn = grading._wrong_block("no_shortcut_bn", shortcut_bn=False, projection=True)
    with pytest.raises(AssertionError, match="should be"):
        public_tests.test_convolutional_block(no_shortcut_bn)
    relu_first = grading._wrong_block("relu_first", relu_before_add=True, relu_after_add=False)
    with pytest.raises(AssertionError):
        public_tests.test_identity_block(relu_first)
