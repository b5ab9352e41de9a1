"""Face verification and recognition with embeddings trained by the triplet loss.

An encoder network maps a face photo to a short vector, its *encoding* or *embedding*, of
unit length. Photos of the same person should land close together and photos of
different people far apart, so that one reference photo per person is enough:

* verification ("is this the person they claim to be?") compares one distance with a
  threshold;
* recognition ("who is this?") looks for the nearest encoding in a database.

Shapes: a batch of encodings is `(m, d)`; a photo is `(n_H, n_W, n_C)` with values in
`[0, 255]`; `database` maps each person's name to their encoding of shape `(1, d)`.

Use `keras.ops` (`ops.sum`, `ops.square`, `ops.maximum`, `ops.norm`, ...): your code then
runs on any Keras backend. Fill in each function where it says `# YOUR CODE HERE`, then run
the public tests:
    cnnlab check face face.py
"""

import numpy as np
from keras import ops

THRESHOLD = 0.7  # two encodings closer than this (L2 distance) show the same person


def triplet_loss(y_true, y_pred, alpha=0.2):
    """Triplet loss of a batch of (anchor, positive, negative) encodings.

    For each triplet i the anchor A and the positive P show the same person and the
    negative N someone else. The loss wants `||A - P||^2 + alpha <= ||A - N||^2`:

        loss = sum_i max(||A_i - P_i||^2 - ||A_i - N_i||^2 + alpha, 0)

    Args:
        y_true: unused (Keras losses take labels first; the triplets carry their own).
        y_pred: tuple or list `(anchor, positive, negative)` of three arrays of shape
            `(m, d)`: m triplets of d-dimensional encodings.
        alpha: float, the margin.

    Returns:
        loss: a scalar (shape `()`), the sum over the m triplets. Squared distances are
            sums over the encoding axis (the last one), one per triplet: shape `(m,)`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def img_to_encoding(image, model):
    """The unit-length encoding of one photo (given: you do not write this one).

    Args:
        image: array of shape `(n_H, n_W, n_C)`, pixel values in `[0, 255]`.
        model: a Keras model mapping a batch `(1, n_H, n_W, n_C)` of photos scaled to
            `[0, 1]` to encodings `(1, d)`.

    Returns:
        encoding: tensor of shape `(1, d)` with L2 norm 1.
    """
    x = ops.convert_to_tensor(np.asarray(image, dtype="float32")[None] / 255.0)
    embedding = model(x, training=False)
    return embedding / ops.norm(embedding)


def verify(image, identity, database, model):
    """Is the person in `image` the one they claim to be?

    Args:
        image: array of shape `(n_H, n_W, n_C)`, the photo taken at the door.
        identity: str, the name the person claims.
        database: dict, name -> encoding of shape `(1, d)`.
        model: the encoder, to use through `img_to_encoding(image, model)`.

    Returns:
        dist: float, the L2 distance (not squared) between the photo's encoding and
            `database[identity]`.
        door_open: bool, `dist < THRESHOLD` (0.7).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def who_is_it(image, database, model):
    """Find the person in the database whose encoding is closest to the photo's.

    Args:
        image: array of shape `(n_H, n_W, n_C)`.
        database: dict, name -> encoding of shape `(1, d)`, at least one entry.
        model: the encoder, to use through `img_to_encoding(image, model)`.

    Returns:
        min_dist: float, the smallest L2 distance (not squared) to a database encoding.
        identity: str, the name with that smallest distance. It is returned even when
            `min_dist > THRESHOLD`; then the person is probably not in the database, and
            the function says so with a print.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
