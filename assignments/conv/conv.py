"""Convolution and pooling layers in NumPy: forward and backward passes.

Every array is channels-last: activations are `(m, n_H, n_W, n_C)` -- batch, height,
width, channels -- and filters are `(f, f, n_C_prev, n_C)`.

Fill in each function where it says `# YOUR CODE HERE`, then run the public tests:
    cnnlab check conv conv.py
"""

import numpy as np


def zero_pad(X, pad):
    """Pad every image of a batch with zeros around its height and width.

    Args:
        X: array of shape `(m, n_H, n_W, n_C)`, a batch of m images.
        pad: int, how many rows/columns of zeros to add on each side of H and W.

    Returns:
        X_pad: array of shape `(m, n_H + 2 * pad, n_W + 2 * pad, n_C)`. The batch and
            channel axes are never padded.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def conv_single_step(a_slice_prev, W, b):
    """Apply one filter to one window of the previous layer's activations.

    Args:
        a_slice_prev: array of shape `(f, f, n_C_prev)`, the window.
        W: array of shape `(f, f, n_C_prev)`, the filter's weights.
        b: array of shape `(1, 1, 1)`, the filter's bias.

    Returns:
        Z: a scalar (Python float or NumPy float): `sum(a_slice_prev * W) + b`. Turn `b` into
            a number with `b.item()`: NumPy >= 2.4 refuses `float(b)` for shape `(1, 1, 1)`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def conv_forward(A_prev, W, b, hparameters):
    """Forward pass of a convolution layer.

    Args:
        A_prev: array of shape `(m, n_H_prev, n_W_prev, n_C_prev)`, the previous layer's
            activations.
        W: array of shape `(f, f, n_C_prev, n_C)`, one `(f, f, n_C_prev)` filter per output
            channel.
        b: array of shape `(1, 1, 1, n_C)`, one bias per output channel.
        hparameters: dict with keys `"stride"` (int s) and `"pad"` (int p).

    Returns:
        Z: array of shape `(m, n_H, n_W, n_C)` with
            `n_H = floor((n_H_prev - f + 2 * p) / s) + 1` and the same formula for `n_W`.
        cache: tuple `(A_prev, W, b, hparameters)`, kept for `conv_backward`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def pool_forward(A_prev, hparameters, mode="max"):
    """Forward pass of a pooling layer (no padding).

    Args:
        A_prev: array of shape `(m, n_H_prev, n_W_prev, n_C)`.
        hparameters: dict with keys `"f"` (window size) and `"stride"`.
        mode: `"max"` or `"average"`.

    Returns:
        A: array of shape `(m, n_H, n_W, n_C)` with `n_H = floor((n_H_prev - f) / s) + 1`
            (same for `n_W`); pooling never mixes channels.
        cache: tuple `(A_prev, hparameters)`, kept for `pool_backward`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def conv_backward(dZ, cache):
    """Backward pass of a convolution layer (bonus).

    Args:
        dZ: array of shape `(m, n_H, n_W, n_C)`, gradient of the cost with respect to the
            output `Z` of `conv_forward`.
        cache: the `(A_prev, W, b, hparameters)` tuple returned by `conv_forward`.

    Returns:
        dA_prev: array of shape `(m, n_H_prev, n_W_prev, n_C_prev)`, gradient with respect
            to `A_prev`.
        dW: array of shape `(f, f, n_C_prev, n_C)`, gradient with respect to `W`.
        db: array of shape `(1, 1, 1, n_C)`, gradient with respect to `b`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def create_mask_from_window(x):
    """Mask of the maximum of a window: True where `x` equals its max.

    Args:
        x: array of shape `(f, f)`.

    Returns:
        mask: bool array of shape `(f, f)`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def distribute_value(dz, shape):
    """Spread a gradient evenly over a window (average pooling's backward step).

    Args:
        dz: a scalar, the gradient of one pooled output.
        shape: tuple `(n_H, n_W)`, the window's shape.

    Returns:
        a: array of shape `(n_H, n_W)` whose entries all equal `dz / (n_H * n_W)`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def pool_backward(dA, cache, mode="max"):
    """Backward pass of a pooling layer (bonus).

    Args:
        dA: array of shape `(m, n_H, n_W, n_C)`, gradient with respect to the pooled output.
        cache: the `(A_prev, hparameters)` tuple returned by `pool_forward`.
        mode: `"max"` or `"average"`.

    Returns:
        dA_prev: array of shape `(m, n_H_prev, n_W_prev, n_C)`. Max pooling routes each
            gradient to the position of its window's maximum; average pooling spreads it
            evenly over the window. Overlapping windows (stride < f) add up.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
