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
    ### BEGIN SOLUTION
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=0)
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    return float(np.sum(a_slice_prev * W) + np.asarray(b).item())
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    stride, pad = hparameters["stride"], hparameters["pad"]
    f = W.shape[0]
    A_pad = zero_pad(A_prev, pad)
    # windows: (m, n_H_full, n_W_full, n_C_prev, f, f); keep every stride-th window.
    windows = np.lib.stride_tricks.sliding_window_view(A_pad, (f, f), axis=(1, 2))
    windows = windows[:, ::stride, ::stride]
    Z = np.einsum("mhwcij,ijcn->mhwn", windows, W) + b
    cache = (A_prev, W, b, hparameters)
    return Z, cache
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    f, stride = hparameters["f"], hparameters["stride"]
    windows = np.lib.stride_tricks.sliding_window_view(A_prev, (f, f), axis=(1, 2))
    windows = windows[:, ::stride, ::stride]
    if mode == "max":
        A = windows.max(axis=(-2, -1))
    elif mode == "average":
        A = windows.mean(axis=(-2, -1))
    else:
        raise ValueError(f"mode must be 'max' or 'average', got {mode!r}")
    cache = (A_prev, hparameters)
    return A, cache
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    A_prev, W, b, hparameters = cache
    stride, pad = hparameters["stride"], hparameters["pad"]
    f = W.shape[0]
    m, n_H, n_W, n_C = dZ.shape
    A_pad = zero_pad(A_prev, pad)
    dA_pad = np.zeros_like(A_pad, dtype=np.result_type(A_pad, dZ, W))
    dW = np.zeros(W.shape, dtype=dA_pad.dtype)
    # One pass per filter offset (i, j): f*f vectorized steps instead of m*n_H*n_W*n_C.
    h_end, w_end = (n_H - 1) * stride + 1, (n_W - 1) * stride + 1
    for i in range(f):
        for j in range(f):
            # A_pad values that met W[i, j] at each output position: (m, n_H, n_W, n_C_prev).
            patch = A_pad[:, i:i + h_end:stride, j:j + w_end:stride, :]
            dW[i, j] = np.einsum("mhwc,mhwn->cn", patch, dZ)
            dA_pad[:, i:i + h_end:stride, j:j + w_end:stride, :] += np.einsum(
                "mhwn,cn->mhwc", dZ, W[i, j])
    db = dZ.sum(axis=(0, 1, 2)).reshape(1, 1, 1, n_C)
    # Crop with explicit end indices: `[pad:-pad]` would be empty when pad == 0.
    n_H_prev, n_W_prev = A_prev.shape[1], A_prev.shape[2]
    dA_prev = dA_pad[:, pad:pad + n_H_prev, pad:pad + n_W_prev, :]
    return dA_prev, dW, db
    ### END SOLUTION


def create_mask_from_window(x):
    """Mask of the maximum of a window: True where `x` equals its max.

    Args:
        x: array of shape `(f, f)`.

    Returns:
        mask: bool array of shape `(f, f)`.
    """
    ### BEGIN SOLUTION
    return x == np.max(x)
    ### END SOLUTION


def distribute_value(dz, shape):
    """Spread a gradient evenly over a window (average pooling's backward step).

    Args:
        dz: a scalar, the gradient of one pooled output.
        shape: tuple `(n_H, n_W)`, the window's shape.

    Returns:
        a: array of shape `(n_H, n_W)` whose entries all equal `dz / (n_H * n_W)`.
    """
    ### BEGIN SOLUTION
    n_H, n_W = shape
    return np.full((n_H, n_W), dz / (n_H * n_W))
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    A_prev, hparameters = cache
    f, stride = hparameters["f"], hparameters["stride"]
    m, n_H, n_W, n_C = dA.shape
    dA_prev = np.zeros(A_prev.shape, dtype=np.result_type(A_prev, dA))
    for h in range(n_H):
        for w in range(n_W):
            hs, ws = h * stride, w * stride
            window = A_prev[:, hs:hs + f, ws:ws + f, :]  # (m, f, f, n_C)
            grad = dA[:, h:h + 1, w:w + 1, :]  # (m, 1, 1, n_C)
            if mode == "max":
                mask = window == window.max(axis=(1, 2), keepdims=True)
                dA_prev[:, hs:hs + f, ws:ws + f, :] += mask * grad
            elif mode == "average":
                dA_prev[:, hs:hs + f, ws:ws + f, :] += grad / (f * f)
            else:
                raise ValueError(f"mode must be 'max' or 'average', got {mode!r}")
    return dA_prev
    ### END SOLUTION
