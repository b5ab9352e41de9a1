"""How the grader calls `verify` and `who_is_it`: with a small encoder built from given weights.

The hidden tests send plain arrays (a photo, a database of encodings, the encoder's
weights); `build_encoder` turns the weights into a Keras model, the same one every time,
and the harness calls your function with it. You can use `build_encoder` yourself to try
your functions on an encoder that is small and fast (not a trained one).
"""

import contextlib
import io

import keras
import numpy as np


def build_encoder(weights, input_shape):
    """A tiny, deterministic encoder: conv 3x3 stride 2 + tanh, global average pool, dense.

    Args:
        weights: list of 4 arrays `[kernel (3, 3, n_C, F), bias (F,), dense (F, d), bias (d,)]`.
        input_shape: tuple `(n_H, n_W, n_C)` of one photo.

    Returns:
        a `keras.Model` mapping `(batch, n_H, n_W, n_C)` to `(batch, d)` (not normalized).
    """
    kernel, _, dense, _ = weights
    inputs = keras.Input(shape=tuple(int(s) for s in input_shape))
    x = keras.layers.Conv2D(int(kernel.shape[-1]), 3, strides=2, padding="same",
                            activation="tanh", name="conv")(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = keras.layers.Dense(int(dense.shape[-1]), name="embed")(x)
    model = keras.Model(inputs, outputs, name="tiny_encoder")
    model.set_weights([np.asarray(w, dtype="float32") for w in weights])
    return model


def random_encoder_weights(rng, n_C=3, filters=16, d=32):
    """Random weights for `build_encoder`, scaled so that encodings differ between photos."""
    return [rng.normal(0, 0.3, (3, 3, n_C, filters)).astype("float32"),
            rng.normal(0, 0.1, (filters,)).astype("float32"),
            rng.normal(0, 1.0, (filters, d)).astype("float32"),
            rng.normal(0, 0.1, (d,)).astype("float32")]


def harness_verify(fn, image, identity, database, encoder_weights):
    """`fn(image, identity, database, model)` with the encoder built from `encoder_weights`."""
    model = build_encoder(encoder_weights, np.shape(image))
    with contextlib.redirect_stdout(io.StringIO()):  # the welcome messages are not graded
        return fn(image, identity, database, model)


def harness_who_is_it(fn, image, database, encoder_weights):
    """`fn(image, database, model)` with the encoder built from `encoder_weights`."""
    model = build_encoder(encoder_weights, np.shape(image))
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(image, database, model)
