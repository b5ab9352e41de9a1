"""Residual networks in Keras: the identity block, the convolutional block and ResNet50.

Everything is channels-last: a batch of activations is a tensor of shape
`(m, n_H, n_W, n_C)` -- batch, height, width, channels -- so BatchNormalization normalises
axis 3, the channels.

You build the layers with the Keras functional API: each function receives a symbolic
tensor `X` (a `keras.KerasTensor`, the output of earlier layers), applies layers to it and
returns the new symbolic tensor. Nothing is computed until a `keras.Model` is built from an
`Input` to an output and called on data.

Fill in each function where it says `# YOUR CODE HERE`, then run the public tests:
    cnnlab check resnet resnet.py
"""

import keras
from keras import layers
from keras.initializers import glorot_uniform, random_uniform


def identity_block(X, f, filters, training=True, initializer=random_uniform):
    """The identity block: three convolutions on the main path, the input as the shortcut.

    Main path (every convolution has a bias and no activation of its own):

        Conv2D(F1, 1x1, stride 1, "valid") -> BatchNormalization(axis=3) -> ReLU
        Conv2D(F2, fxf, stride 1, "same")  -> BatchNormalization(axis=3) -> ReLU
        Conv2D(F3, 1x1, stride 1, "valid") -> BatchNormalization(axis=3)

    then `Add()([main path, X])` and a final ReLU. The Add needs both tensors to have the
    same shape, so the block only works when `X` already has `F3` channels.

    Args:
        X: symbolic tensor of shape `(m, n_H, n_W, F3)`, the block's input.
        f: int, height and width of the middle convolution's window.
        filters: list of 3 ints `[F1, F2, F3]`, the number of filters of the three
            convolutions of the main path.
        training: bool or None, passed to every BatchNormalization call as
            `training=training`: True normalises with the statistics of the current batch,
            False with the moving averages learnt during training, None lets Keras decide
            (batch statistics inside `fit`, moving averages in `predict` and `evaluate`).
        initializer: a Keras initializer class (or any callable `seed -> initializer`);
            each convolution uses `kernel_initializer=initializer(seed=0)`.

    Returns:
        X: symbolic tensor of shape `(m, n_H, n_W, F3)`, the block's output.
    """
    F1, F2, F3 = filters
    X_shortcut = X
    # YOUR CODE HERE
    raise NotImplementedError()
    return X


def convolutional_block(X, f, filters, s=2, training=True, initializer=glorot_uniform):
    """The convolutional block: like the identity block, with a convolution on the shortcut.

    Main path:

        Conv2D(F1, 1x1, stride s, "valid") -> BatchNormalization(axis=3) -> ReLU
        Conv2D(F2, fxf, stride 1, "same")  -> BatchNormalization(axis=3) -> ReLU
        Conv2D(F3, 1x1, stride 1, "valid") -> BatchNormalization(axis=3)

    Shortcut path (a "projection" of the input to the main path's output shape):

        Conv2D(F3, 1x1, stride s, "valid") -> BatchNormalization(axis=3)

    then `Add()([main path, shortcut])` and a final ReLU. The block changes the number of
    channels to F3 and, with `s > 1`, shrinks the height and width.

    Args:
        X: symbolic tensor of shape `(m, n_H_prev, n_W_prev, n_C_prev)`, the block's input.
        f: int, height and width of the middle convolution's window.
        filters: list of 3 ints `[F1, F2, F3]`, the number of filters of the three
            convolutions of the main path (the shortcut's convolution has F3).
        s: int, the stride of the first convolution of the main path and of the shortcut's
            convolution.
        training: bool or None, passed to every BatchNormalization call (see
            `identity_block`).
        initializer: a Keras initializer class (or any callable `seed -> initializer`);
            each convolution uses `kernel_initializer=initializer(seed=0)`.

    Returns:
        X: symbolic tensor of shape `(m, n_H, n_W, F3)` with
            `n_H = floor((n_H_prev - 1) / s) + 1` (a 1x1 "valid" convolution of stride s),
            and the same formula for `n_W`.
    """
    F1, F2, F3 = filters
    X_shortcut = X
    # YOUR CODE HERE
    raise NotImplementedError()
    return X


def ResNet50(input_shape=(64, 64, 3), classes=6, training=None, initializer=glorot_uniform):
    """ResNet50: a stem, four stages of residual blocks, and a softmax classifier.

        ZeroPadding2D(3) -> Conv2D(64, 7x7, stride 2) -> BatchNormalization(axis=3) -> ReLU
            -> MaxPooling2D(3x3, stride 2)
        stage 2: convolutional_block(f=3, [64, 64, 256], s=1)    + 2 identity blocks
        stage 3: convolutional_block(f=3, [128, 128, 512], s=2)  + 3 identity blocks
        stage 4: convolutional_block(f=3, [256, 256, 1024], s=2) + 5 identity blocks
        stage 5: convolutional_block(f=3, [512, 512, 2048], s=2) + 2 identity blocks
        AveragePooling2D(2x2) -> Flatten -> Dense(classes, softmax)

    Every identity block of a stage uses f=3 and the same filters as the stage's
    convolutional block. The stem's convolution and the Dense layer use
    `kernel_initializer=initializer(seed=0)`.

    Args:
        input_shape: tuple `(n_H, n_W, n_C)`, the shape of one image (at least 64x64 so
            that stage 5 still has a 2x2 map for the average pooling).
        classes: int, the number of classes.
        training: bool or None, passed to every BatchNormalization call. Keep None: Keras
            then uses batch statistics in `fit` and the moving averages in `predict` and
            `evaluate`.
        initializer: a Keras initializer class, passed on to every block.

    Returns:
        model: a `keras.Model` from a `(None, n_H, n_W, n_C)` input to a `(None, classes)`
            output of class probabilities.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
    return model
