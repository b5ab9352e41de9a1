"""Hidden tests of the `resnet` assignment: cases, points, structure checks and known mistakes.

Blocks are graded through `harness.run_block`: the student's block and the reference block
are each built into a model (once with `training=True`, once with `training=False`), the
SAME numpy weights (drawn here, per case) are loaded into both, and both run on the same
input batch. A case passes when the whole layer list matches the reference's (types,
settings, output shapes, parameter counts, wiring) and both outputs match to rtol 1e-4.

ResNet50 is graded through `harness.run_model`: the whole layer list (177 layers), the
total parameter count, the output shape, and a forward pass with weights drawn from a seed
for the model's own weight shapes, in inference and in training mode.

Known mistakes are wrong blocks written below with the same layers; when a student's result
matches one of them exactly (layers and numbers), the student gets its hint.
"""

import functools

import numpy as np

from cnnlab.grader import registry
from cnnlab.grader.compare import compare
from cnnlab.grader.spec import Assignment, Case, GradedFunction, Mistake, load_module, sibling


@functools.cache
def _reference_module():
    return sibling(__file__, "resnet.py")


def _reference(name):
    """The reference function `name`, imported on first use: importing Keras takes seconds,
    and `cnnlab list` loads this file without grading anything."""

    def call(*args, **kwargs):
        return getattr(_reference_module(), name)(*args, **kwargs)

    call.__name__ = name
    return call


harness = load_module(registry.assignments_dir() / "resnet" / "harness.py", "cnnlab_resnet_harness_cases")

RTOL, ATOL = 1e-4, 1e-5
ORDER_NOTE = ("layers are counted from the Input (layer 0) in reading order: main path, then the "
              "shortcut's layers, then the Add and the final ReLU (see harness.py)")
MODEL_ORDER_NOTE = ("layers are counted from the Input (layer 0) in reading order: the stem, then "
                    "block after block its main path, shortcut, Add and ReLU, then the head "
                    "(see harness.py)")


# --- cases ------------------------------------------------------------------------------------

def _x(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def _block_case(rng, name, m, n_H, n_W, n_C_prev, f, filters, s=None):
    """A block case: input batch, weights for the reference block's layers, f, filters (, s)."""
    x = _x(rng, m, n_H, n_W, n_C_prev)
    weights = harness.random_block_weights(rng, n_C_prev, f, filters, shortcut=s is not None)
    kwargs = {} if s is None else {"s": s}
    return Case(name, (x, weights, f, list(filters)), kwargs)


def identity_block_cases(rng):
    F1, F2 = (int(v) for v in rng.integers(2, 7, size=2))
    F3 = int(rng.integers(3, 9))
    return [
        _block_case(rng, "3x3 window, batch of 3", 3, 6, 6, 4, 3, [2, 3, 4]),
        _block_case(rng, "non-square input (5x8), even window f=2", 2, 5, 8, 3, 2, [4, 2, 3]),
        _block_case(rng, "f=1: every convolution is 1x1", 2, 4, 4, 5, 1, [3, 3, 5]),
        _block_case(rng, "batch of 1 (batch statistics over one image)", 1, 7, 7, 6, 3, [2, 4, 6]),
        _block_case(rng, f"random filters [{F1}, {F2}, {F3}], f=5", int(rng.integers(2, 4)),
                    int(rng.integers(5, 9)), int(rng.integers(5, 9)), F3, 5, [F1, F2, F3]),
    ]


def convolutional_block_cases(rng):
    F1, F2, F3 = (int(v) for v in rng.integers(2, 7, size=3))
    return [
        _block_case(rng, "s=2, 3x3 window, 8x8 input", 3, 8, 8, 3, 3, [2, 3, 5], s=2),
        _block_case(rng, "s=2 on an odd 7x7 input (7 -> 4)", 2, 7, 7, 4, 3, [3, 2, 6], s=2),
        _block_case(rng, "s=1: channels change, size kept", 2, 5, 5, 3, 3, [2, 2, 4], s=1),
        _block_case(rng, "s=3 on a non-square 9x7 input, f=2", 2, 9, 7, 2, 2, [3, 3, 3], s=3),
        _block_case(rng, f"random filters [{F1}, {F2}, {F3}], s=2, f=1", int(rng.integers(2, 4)),
                    int(rng.integers(6, 10)), int(rng.integers(6, 10)), int(rng.integers(2, 6)),
                    1, [F1, F2, F3], s=2),
    ]


def resnet50_cases(rng):
    return [
        Case("ResNet50() with its default arguments (64x64x3 images, 6 classes)",
             (_x(rng, 2, 64, 64, 3), int(rng.integers(2**31)))),
        Case("input_shape=(96, 80, 1), classes=3",
             (_x(rng, 2, 96, 80, 1), int(rng.integers(2**31))),
             {"input_shape": (96, 80, 1), "classes": 3}),
    ]


# --- comparisons ------------------------------------------------------------------------------

def _describe(entry):
    try:
        return harness.describe_layer(entry)
    except (KeyError, TypeError):
        return repr(entry)


def compare_layers(expected, got, what="your block"):
    """None when the two layer lists are identical, else a message about the first difference.

    Args:
        expected: list of dicts, the reference's `harness.layer_summary`.
        got: the student's list.
        what: how to call the student's model in the message.
    """
    if not isinstance(got, (list, tuple)) or not all(isinstance(e, dict) for e in got):
        return f"{what}: could not read its layer list"
    for i, g in enumerate(got):  # a BatchNormalization on the wrong axis, whatever else differs
        if g.get("kind") == "BatchNormalization" and isinstance(g.get("output_shape"), tuple) \
                and g.get("axis") != len(g["output_shape"]) - 1:
            return (f"{what}: layer {i} is a BatchNormalization over axis {g.get('axis')}; the "
                    f"tensors are channels-last, so the channels are axis "
                    f"{len(g['output_shape']) - 1}: use BatchNormalization(axis=3)")
    for i, (e, g) in enumerate(zip(expected, got)):
        if e != g:
            fields = [k for k in e if e.get(k) != g.get(k)] + [k for k in g if k not in e]
            return (f"{what}: layer {i} differs from the specification ({', '.join(fields)}):\n"
                    f"  expected {_describe(e)}\n  got      {_describe(g)}\n"
                    f"({ORDER_NOTE if what == 'your block' else MODEL_ORDER_NOTE})")
    if len(got) < len(expected):
        missing = len(expected) - len(got)
        last = _describe(got[-1]) if got else "nothing"
        return (f"{what} has {len(got)} layers, the specification {len(expected)}: it stops after "
                f"layer {len(got) - 1}, {last}; {missing} more layer(s) should follow, starting "
                f"with {_describe(expected[len(got)])}")
    if len(got) > len(expected):
        return (f"{what} has {len(got)} layers, the specification {len(expected)}: after the last "
                f"expected layer it goes on with {_describe(got[len(expected)])}")
    return None


def _compare_outputs(expected, got, keys):
    for key, meaning in keys:
        message = compare(expected[key], got.get(key), RTOL, ATOL, path=f"the output with {key}")
        if message:
            return f"{message} ({meaning})"
    return None


BLOCK_OUTPUTS = [("training=True", "BatchNormalization uses the statistics of the batch"),
                 ("training=False", "BatchNormalization uses its moving mean and variance")]


def check_block(case, expected, got):
    if not isinstance(got, dict) or "layers" not in got:
        return "the block could not be run (no layer list came back)"
    message = compare_layers(expected["layers"], got["layers"])
    if message:
        return message
    if got.get("weights"):
        return f"the test weights could not be loaded: {got['weights']}"
    return _compare_outputs(expected, got, BLOCK_OUTPUTS)


def check_model(case, expected, got):
    if not isinstance(got, dict) or "layers" not in got:
        return "the model could not be run (no layer list came back)"
    message = compare_layers(expected["layers"], got["layers"], "your model")
    if message:
        return message
    if got.get("output_shape") != expected["output_shape"]:
        return (f"the model's output has shape {got.get('output_shape')}, expected "
                f"{expected['output_shape']} (one probability per class)")
    if got.get("params") != expected["params"]:
        return f"the model has {got.get('params')} parameters, expected {expected['params']}"
    return _compare_outputs(expected, got, [
        ("inference", "model(x, training=False), on weights drawn for the test"),
        ("training", "model(x, training=True), on weights drawn for the test")])


# --- known mistakes ---------------------------------------------------------------------------

def _wrong_block(name, *, axis=3, pass_training=True, relu_before_add=False, relu_after_add=True,
                 stride_on_middle=False, shortcut_bn=True, projection=False):
    """A block with one known mistake; `projection=True` makes a convolutional block."""

    def block(X, f, filters, s=2, training=True, initializer=None):
        from keras import layers

        F1, F2, F3 = filters
        stride = s if projection else 1

        def bn(t):
            norm = layers.BatchNormalization(axis=axis)
            return norm(t, training=training) if pass_training else norm(t)

        shortcut = X
        X = layers.Conv2D(F1, 1, strides=1 if stride_on_middle else stride, padding="valid")(X)
        X = layers.Activation("relu")(bn(X))
        X = layers.Conv2D(F2, f, strides=stride if stride_on_middle else 1, padding="same")(X)
        X = layers.Activation("relu")(bn(X))
        X = bn(layers.Conv2D(F3, 1, padding="valid")(X))
        if projection:
            shortcut = layers.Conv2D(F3, 1, strides=stride, padding="valid")(shortcut)
            if shortcut_bn:
                shortcut = bn(shortcut)
        if relu_before_add:
            X = layers.Activation("relu")(X)
        X = layers.Add()([X, shortcut])
        return layers.Activation("relu")(X) if relu_after_add else X

    block.__name__ = name
    return block


RELU_HINT = ("the shortcut must be added BEFORE the final ReLU: the last BatchNormalization's "
             "output goes straight into Add()([X, X_shortcut]), and the ReLU comes after the Add")
AXIS_HINT = ("BatchNormalization must normalise the channels: for channels-last tensors "
             "(m, n_H, n_W, n_C) that is BatchNormalization(axis=3); axis=1 is the height")
TRAINING_HINT = ("pass the block's `training` argument to every BatchNormalization call: "
                 "BatchNormalization(axis=3)(X, training=training); without it, training=True "
                 "does not switch the layer to batch statistics")
STRIDE_HINT = ("the stride s goes on the FIRST 1x1 convolution of the main path (and on the "
               "shortcut's 1x1 convolution), not on the fxf convolution")
SHORTCUT_BN_HINT = ("the shortcut path is a 1x1 convolution (F3 filters, stride s) FOLLOWED by "
                    "BatchNormalization(axis=3), before the Add")


def _block_mistakes(projection):
    kind = "conv" if projection else "identity"
    mistakes = [
        Mistake(RELU_HINT, _wrong_block(f"{kind}_relu_then_add", relu_before_add=True,
                                        relu_after_add=False, projection=projection)),
        Mistake(RELU_HINT, _wrong_block(f"{kind}_relu_add_relu", relu_before_add=True,
                                        projection=projection)),
        Mistake(AXIS_HINT, _wrong_block(f"{kind}_bn_axis_1", axis=1, projection=projection)),
        Mistake(TRAINING_HINT, _wrong_block(f"{kind}_training_not_passed", pass_training=False,
                                            projection=projection)),
    ]
    if projection:
        mistakes += [
            Mistake(STRIDE_HINT, _wrong_block("conv_stride_on_middle", stride_on_middle=True,
                                              projection=True)),
            Mistake(SHORTCUT_BN_HINT, _wrong_block("conv_no_shortcut_bn", shortcut_bn=False,
                                                   projection=True)),
        ]
    return mistakes


ASSIGNMENT = Assignment(
    name="resnet",
    title="Residual networks in Keras: identity and convolutional blocks, ResNet50",
    module="resnet",
    needs_tensorflow=True,
    timeout=120.0,
    error_hints=[
        (r"Inputs have incompatible shapes|Cannot broadcast shape",
         "the Add needs the main path and the shortcut to have the same shape: the main path "
         "must end with F3 channels, and in convolutional_block the shortcut's 1x1 convolution "
         "needs F3 filters and the same stride s as the main path's first convolution"),
        (r"unexpected keyword argument '(training|initializer|s)'",
         "keep the function's signature as given: the grader calls it with keyword arguments "
         "such as training=..."),
        (r"Computed output size would be zero or negative",
         "a layer received a map too small for its window: check the strides of the stem and "
         "of each stage (a 64x64 input should reach stage 5 as a 2x2 map)"),
    ],
    functions=[
        GradedFunction("identity_block", 30, _reference("identity_block"), identity_block_cases,
                       harness="run_block", check=check_block, rtol=RTOL, atol=ATOL,
                       mistakes=_block_mistakes(projection=False)),
        GradedFunction("convolutional_block", 30, _reference("convolutional_block"),
                       convolutional_block_cases,
                       harness="run_block", check=check_block, rtol=RTOL, atol=ATOL,
                       mistakes=_block_mistakes(projection=True)),
        GradedFunction("ResNet50", 40, _reference("ResNet50"), resnet50_cases, harness="run_model",
                       check=check_model, rtol=RTOL, atol=ATOL),
    ],
)
