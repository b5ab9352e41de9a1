"""Grading the `resnet` assignment end to end: reference, template, known mistakes.

All submissions are graded in ONE batch (the reference's expected outputs are computed once,
and each submission gets one child process that imports TensorFlow), so the whole file takes
about a minute. Each wrong submission below is written the way a student would write it,
independently of the wrong implementations in solutions/resnet/grading.py.
"""

import pytest

from cnnlab.grader import registry
from cnnlab.grader.grade import grade_paths

from ..conftest import ROOT

REFERENCE = (ROOT / "solutions" / "resnet" / "resnet.py").read_text()
TEMPLATE = (ROOT / "assignments" / "resnet" / "resnet.py").read_text()
NOT_DONE = """

def ResNet50(input_shape=(64, 64, 3), classes=6, training=None, initializer=glorot_uniform):
    raise NotImplementedError()
"""

# --- identity blocks -----------------------------------------------------------------------

ID_RELU_BEFORE_ADD = """

def identity_block(X, f, filters, training=True, initializer=random_uniform):
    F1, F2, F3 = filters
    X_shortcut = X
    X = layers.Conv2D(F1, 1, padding="valid")(X)
    X = layers.BatchNormalization(axis=3)(X, training=training)
    X = layers.Activation("relu")(X)
    X = layers.Conv2D(F2, f, padding="same")(X)
    X = layers.BatchNormalization(axis=3)(X, training=training)
    X = layers.Activation("relu")(X)
    X = layers.Conv2D(F3, 1, padding="valid")(X)
    X = layers.BatchNormalization(axis=3)(X, training=training)
    X = layers.Activation("relu")(X)
    X = layers.Add()([X, X_shortcut])
    return X
"""

ID_BN_AXIS_1 = """

def identity_block(X, f, filters, training=True, initializer=random_uniform):
    F1, F2, F3 = filters
    X_shortcut = X
    X = layers.Conv2D(F1, 1, padding="valid")(X)
    X = layers.BatchNormalization(axis=1)(X, training=training)
    X = layers.Activation("relu")(X)
    X = layers.Conv2D(F2, f, padding="same")(X)
    X = layers.BatchNormalization(axis=1)(X, training=training)
    X = layers.Activation("relu")(X)
    X = layers.Conv2D(F3, 1, padding="valid")(X)
    X = layers.BatchNormalization(axis=1)(X, training=training)
    X = layers.Add()([X, X_shortcut])
    return layers.Activation("relu")(X)
"""

ID_NO_TRAINING = """

def identity_block(X, f, filters, training=True, initializer=random_uniform):
    F1, F2, F3 = filters
    X_shortcut = X
    X = layers.Conv2D(F1, 1, padding="valid")(X)
    X = layers.BatchNormalization(axis=3)(X)
    X = layers.Activation("relu")(X)
    X = layers.Conv2D(F2, f, padding="same")(X)
    X = layers.BatchNormalization(axis=3)(X)
    X = layers.Activation("relu")(X)
    X = layers.Conv2D(F3, 1, padding="valid")(X)
    X = layers.BatchNormalization(axis=3)(X)
    X = layers.Add()([X, X_shortcut])
    return layers.Activation("relu")(X)
"""

# Correct, in another style: ops instead of layers, shortcut added on the left, axis=-1,
# layers built first and applied later.
ID_OTHER_STYLE = """

def identity_block(X, f, filters, training=True, initializer=random_uniform):
    F1, F2, F3 = filters
    convs = [layers.Conv2D(F3, 1), layers.Conv2D(F2, (f, f), padding="same"), layers.Conv2D(F1, 1)]
    norms = [layers.BatchNormalization(axis=-1) for _ in range(3)]
    Y = X
    for conv, norm, last in zip(convs[::-1], norms, (False, False, True)):
        Y = norm(conv(Y), training=training)
        if not last:
            Y = layers.ReLU()(Y)
    return keras.ops.relu(X + Y)
"""

# --- convolutional blocks --------------------------------------------------------------------

def _conv_block(main_stride=("s", 1), shortcut_bn=True, pass_training=True, axis=3,
                relu_before_add=False, relu_after_add=True):
    first, middle = main_stride
    bn = (f"layers.BatchNormalization(axis={axis})(X, training=training)" if pass_training
          else f"layers.BatchNormalization(axis={axis})(X)")
    lines = [
        "def convolutional_block(X, f, filters, s=2, training=True, initializer=glorot_uniform):",
        "    F1, F2, F3 = filters",
        "    X_shortcut = X",
        f"    X = layers.Conv2D(F1, (1, 1), strides=({first}, {first}), padding='valid')(X)",
        f"    X = {bn}",
        "    X = layers.Activation('relu')(X)",
        f"    X = layers.Conv2D(F2, (f, f), strides=({middle}, {middle}), padding='same')(X)",
        f"    X = {bn}",
        "    X = layers.Activation('relu')(X)",
        "    X = layers.Conv2D(F3, (1, 1), padding='valid')(X)",
        f"    X = {bn}",
        "    X_shortcut = layers.Conv2D(F3, (1, 1), strides=(s, s), padding='valid')(X_shortcut)",
    ]
    if shortcut_bn:
        lines.append("    X_shortcut = " + bn.replace("(X", "(X_shortcut"))
    if relu_before_add:
        lines.append("    X = layers.Activation('relu')(X)")
    lines.append("    X = layers.Add()([X, X_shortcut])")
    if relu_after_add:
        lines.append("    X = layers.Activation('relu')(X)")
    lines.append("    return X")
    return "\n\n" + "\n".join(lines) + "\n"


CONV_NO_SHORTCUT_BN = _conv_block(shortcut_bn=False)
CONV_STRIDE_ON_MIDDLE = _conv_block(main_stride=(1, "s"))
CONV_RELU_ADD_RELU = _conv_block(relu_before_add=True)
CONV_NO_TRAINING = _conv_block(pass_training=False)
CONV_BN_AXIS_1 = _conv_block(axis=1)

# Correct, in another style: shortcut first, Add([shortcut, main]).
CONV_OTHER_STYLE = """

def convolutional_block(X, f, filters, s=2, training=True, initializer=glorot_uniform):
    F1, F2, F3 = filters
    shortcut = layers.Conv2D(F3, 1, strides=s)(X)
    shortcut = layers.BatchNormalization(axis=3)(shortcut, training=training)
    X = layers.Conv2D(F1, 1, strides=s)(X)
    X = layers.ReLU()(layers.BatchNormalization(axis=3)(X, training=training))
    X = layers.Conv2D(F2, f, padding="same")(X)
    X = layers.ReLU()(layers.BatchNormalization(axis=3)(X, training=training))
    X = layers.BatchNormalization(axis=3)(layers.Conv2D(F3, 1)(X), training=training)
    return layers.ReLU()(layers.Add()([shortcut, X]))
"""

# --- a ResNet50 without its last stage (the head is kept, so the output shape is right) -------

RESNET_NO_STAGE_5 = """

def ResNet50(input_shape=(64, 64, 3), classes=6, training=None, initializer=glorot_uniform):
    X_input = layers.Input(input_shape)
    X = layers.ZeroPadding2D((3, 3))(X_input)
    X = layers.Conv2D(64, (7, 7), strides=(2, 2))(X)
    X = layers.BatchNormalization(axis=3)(X, training=training)
    X = layers.Activation("relu")(X)
    X = layers.MaxPooling2D((3, 3), strides=(2, 2))(X)
    for filters, s, n in [([64, 64, 256], 1, 2), ([128, 128, 512], 2, 3), ([256, 256, 1024], 2, 5)]:
        X = convolutional_block(X, 3, filters, s=s, training=training)
        for _ in range(n):
            X = identity_block(X, 3, filters, training=training)
    X = layers.AveragePooling2D((2, 2))(X)
    X = layers.Flatten()(X)
    X = layers.Dense(classes, activation="softmax")(X)
    return keras.Model(X_input, X)
"""

SUBMISSIONS = {
    "reference": REFERENCE,
    "template": TEMPLATE,
    "a_relu_then_add__no_shortcut_bn": REFERENCE + ID_RELU_BEFORE_ADD + CONV_NO_SHORTCUT_BN + NOT_DONE,
    "b_axis_1__stride_on_middle": REFERENCE + ID_BN_AXIS_1 + CONV_STRIDE_ON_MIDDLE + NOT_DONE,
    "c_no_training__relu_add_relu": REFERENCE + ID_NO_TRAINING + CONV_RELU_ADD_RELU + NOT_DONE,
    "d_other_style__no_training": REFERENCE + ID_OTHER_STYLE + CONV_NO_TRAINING + NOT_DONE,
    "e_axis_1": REFERENCE + CONV_BN_AXIS_1 + NOT_DONE,
    "f_other_style__no_stage_5": REFERENCE + ID_OTHER_STYLE + CONV_OTHER_STYLE + RESNET_NO_STAGE_5,
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("resnet_submissions")
    paths = []
    for name, source in SUBMISSIONS.items():
        path = folder / f"{name}.py"
        path.write_text(source)
        paths.append(path)
    graded = grade_paths(registry.load("resnet"), paths, seed=0)
    return {r.submission: r for r in graded}


def _function(result, name):
    return next(f for f in result.functions if f.name == name)


def test_reference_scores_full_marks(results):
    result = results["reference"]
    failures = [(f.name, t.name, t.message) for f in result.functions for t in f.tests if not t.passed]
    assert not failures
    assert result.score == result.max_score == 100
    assert [len(f.tests) for f in result.functions] == [5, 5, 2]


def test_template_scores_zero_without_crashing(results):
    result = results["template"]
    assert result.score == 0
    assert not result.notes  # it imports fine
    assert all("not implemented" in t.message for f in result.functions for t in f.tests)


def test_other_styles_score_full_marks(results):
    """Layers built in another order, ops instead of layers, Add inputs swapped: same grade."""
    assert _function(results["d_other_style__no_training"], "identity_block").score == 30
    result = results["f_other_style__no_stage_5"]
    assert _function(result, "identity_block").score == 30
    assert _function(result, "convolutional_block").score == 30


RELU = "BEFORE the final ReLU"
AXIS = "BatchNormalization(axis=3)"
TRAINING = "training=training"
STRIDE = "FIRST 1x1 convolution"
SHORTCUT_BN = "FOLLOWED by"


@pytest.mark.parametrize("submission, function, hint, all_cases", [
    ("a_relu_then_add__no_shortcut_bn", "identity_block", RELU, True),
    ("a_relu_then_add__no_shortcut_bn", "convolutional_block", SHORTCUT_BN, True),
    ("b_axis_1__stride_on_middle", "identity_block", AXIS, True),
    ("b_axis_1__stride_on_middle", "convolutional_block", STRIDE, False),  # s=1 is fine
    ("c_no_training__relu_add_relu", "identity_block", TRAINING, True),
    ("c_no_training__relu_add_relu", "convolutional_block", RELU, True),
    ("d_other_style__no_training", "convolutional_block", TRAINING, True),
    ("e_axis_1", "convolutional_block", AXIS, True),
])
def test_known_mistake_loses_points_with_its_hint(results, submission, function, hint, all_cases):
    result = results[submission]
    graded = _function(result, function)
    failed = [t for t in graded.tests if not t.passed]
    assert failed, f"{submission}: {function} should lose points"
    if all_cases:
        assert graded.score == 0
    else:
        assert 0 < graded.score < graded.max_score
    for test in failed:
        assert hint in test.hint, (test.name, test.message, test.hint)
    # Only that function loses points: the other block was written correctly.
    other = "convolutional_block" if function == "identity_block" else "identity_block"
    if submission == "e_axis_1":
        assert _function(result, other).score == 30


def test_stride_mistake_message_names_the_layer(results):
    graded = _function(results["b_axis_1__stride_on_middle"], "convolutional_block")
    failed = [t for t in graded.tests if not t.passed]
    assert all("layer 1 differs" in t.message and "strides" in t.message for t in failed)
    passed = [t for t in graded.tests if t.passed]
    assert [t.name for t in passed] == ["s=1: channels change, size kept"]


def test_axis_message_explains_channels_last(results):
    graded = _function(results["b_axis_1__stride_on_middle"], "identity_block")
    assert all("axis 1" in t.message and "channels-last" in t.message for t in graded.tests)


def test_training_mistake_fails_on_batch_statistics(results):
    graded = _function(results["c_no_training__relu_add_relu"], "identity_block")
    assert all("training=True" in t.message for t in graded.tests)


def test_resnet_without_stage_5_fails_on_structure(results):
    graded = _function(results["f_other_style__no_stage_5"], "ResNet50")
    assert graded.score == 0
    for test in graded.tests:
        assert "layer 142 differs" in test.message, test.message
