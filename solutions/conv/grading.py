"""Hidden tests of the `conv` assignment: cases, points and known mistakes.

Each `*_cases(rng)` returns random cases drawn from `rng` plus fixed edge cases (stride > 1,
pad 0, non-square inputs, batch 1, one channel, f = 1, both pooling modes). Expected outputs
come from the reference in `conv.py` at grading time.
"""

import math

import numpy as np

from cnnlab.grader.spec import Assignment, Case, GradedFunction, Mistake, sibling

ref = sibling(__file__, "conv.py")


def _x(rng, *shape):
    return rng.standard_normal(shape)


def _conv_inputs(rng, m, n_H, n_W, n_C_prev, f, n_C):
    return _x(rng, m, n_H, n_W, n_C_prev), _x(rng, f, f, n_C_prev, n_C), _x(rng, 1, 1, 1, n_C)


# --- zero_pad -------------------------------------------------------------------------------

def zero_pad_cases(rng):
    return [
        Case("random batch, pad 2", (_x(rng, 4, 3, 3, 2), 2)),
        Case("non-square images, pad 1", (_x(rng, 2, 5, 3, 3), 1)),
        Case("pad 0 changes nothing", (_x(rng, 3, 4, 4, 2), 0)),
        Case("batch 1, one channel, pad 3", (_x(rng, 1, 2, 6, 1), 3)),
    ]


def pad_all_axes(X, pad):
    return np.pad(X, pad)


# --- conv_single_step -----------------------------------------------------------------------

def conv_single_step_cases(rng):
    cases = []
    for f, c in [(3, 4), (2, 1), (5, 3), (1, 8)]:
        cases.append(Case(f"f={f}, {c} channels", (_x(rng, f, f, c), _x(rng, f, f, c), _x(rng, 1, 1, 1))))
    return cases


def single_step_no_bias(a_slice_prev, W, b):
    return float(np.sum(a_slice_prev * W))


# --- conv_forward ---------------------------------------------------------------------------

def conv_forward_cases(rng):
    def case(name, m, n_H, n_W, n_C_prev, f, n_C, stride, pad):
        A, W, b = _conv_inputs(rng, m, n_H, n_W, n_C_prev, f, n_C)
        return Case(name, (A, W, b, {"stride": stride, "pad": pad}))

    return [
        case("random, stride 1, pad 1", 2, 5, 5, 3, 3, 4, 1, 1),
        case("stride 2, pad 0 (floor matters)", 2, 7, 7, 2, 2, 3, 2, 0),
        case("non-square input, stride 3, pad 2", 3, 9, 6, 2, 3, 2, 3, 2),
        case("f = 1 (a 1x1 convolution)", 2, 4, 3, 5, 1, 3, 1, 0),
        case("batch 1, one channel in and out", 1, 6, 6, 1, 3, 1, 1, 0),
        case(f"random sizes, stride {int(rng.integers(1, 3))}", int(rng.integers(1, 4)),
             int(rng.integers(6, 11)), int(rng.integers(6, 11)), int(rng.integers(1, 4)),
             int(rng.choice([2, 3])), int(rng.integers(1, 5)), int(rng.integers(1, 3)),
             int(rng.integers(0, 3))),
    ]


def conv_forward_no_bias(A_prev, W, b, hparameters):
    Z, cache = ref.conv_forward(A_prev, W, np.zeros_like(b), hparameters)
    return Z, (A_prev, W, b, hparameters)


def conv_forward_no_stride(A_prev, W, b, hparameters):
    """Windows start at (h, w) instead of (h * stride, w * stride); shape still right."""
    s, p, f = hparameters["stride"], hparameters["pad"], W.shape[0]
    n_H = (A_prev.shape[1] - f + 2 * p) // s + 1
    n_W = (A_prev.shape[2] - f + 2 * p) // s + 1
    Z, _ = ref.conv_forward(A_prev, W, b, {"stride": 1, "pad": p})
    return Z[:, :n_H, :n_W], (A_prev, W, b, hparameters)


def conv_forward_ceil(A_prev, W, b, hparameters):
    s, p, f = hparameters["stride"], hparameters["pad"], W.shape[0]
    n_H = math.ceil((A_prev.shape[1] - f + 2 * p) / s) + 1
    n_W = math.ceil((A_prev.shape[2] - f + 2 * p) / s) + 1
    return np.zeros((A_prev.shape[0], n_H, n_W, W.shape[3])), None


def conv_forward_no_pad(A_prev, W, b, hparameters):
    Z, _ = ref.conv_forward(A_prev, W, b, {"stride": hparameters["stride"], "pad": 0})
    return Z, (A_prev, W, b, hparameters)


# --- pool_forward ---------------------------------------------------------------------------

def pool_forward_cases(rng):
    cases = []
    for mode in ("max", "average"):
        cases += [
            Case(f"{mode}, f=2, stride 2", (_x(rng, 2, 4, 4, 3), {"f": 2, "stride": 2}), {"mode": mode}),
            Case(f"{mode}, overlapping windows (f=3, stride 1)", (_x(rng, 2, 5, 5, 2), {"f": 3, "stride": 1}),
                 {"mode": mode}),
            Case(f"{mode}, non-square, stride 2 (floor matters)", (_x(rng, 1, 7, 6, 1), {"f": 2, "stride": 2}),
                 {"mode": mode}),
            Case(f"{mode}, f=1, stride 3", (_x(rng, 3, 7, 7, 2), {"f": 1, "stride": 3}), {"mode": mode}),
        ]
    return cases


def pool_average_as_max(A_prev, hparameters, mode="max"):
    return ref.pool_forward(A_prev, hparameters, mode="max")


def pool_forward_no_stride(A_prev, hparameters, mode="max"):
    f, s = hparameters["f"], hparameters["stride"]
    n_H = (A_prev.shape[1] - f) // s + 1
    n_W = (A_prev.shape[2] - f) // s + 1
    A, _ = ref.pool_forward(A_prev, {"f": f, "stride": 1}, mode=mode)
    return A[:, :n_H, :n_W], (A_prev, hparameters)


def pool_forward_ceil(A_prev, hparameters, mode="max"):
    f, s = hparameters["f"], hparameters["stride"]
    n_H = math.ceil((A_prev.shape[1] - f) / s) + 1
    n_W = math.ceil((A_prev.shape[2] - f) / s) + 1
    return np.zeros((A_prev.shape[0], n_H, n_W, A_prev.shape[3])), None


# --- conv_backward (bonus) --------------------------------------------------------------------

def conv_backward_cases(rng):
    def case(name, m, n_H, n_W, n_C_prev, f, n_C, stride, pad):
        A, W, b = _conv_inputs(rng, m, n_H, n_W, n_C_prev, f, n_C)
        hp = {"stride": stride, "pad": pad}
        Z, cache = ref.conv_forward(A, W, b, hp)
        return Case(name, (rng.standard_normal(Z.shape), cache))

    return [
        case("stride 1, pad 1", 2, 5, 5, 3, 3, 2, 1, 1),
        case("pad 0", 2, 5, 4, 2, 3, 3, 1, 0),
        case("stride 2, pad 2, non-square", 1, 6, 8, 2, 3, 2, 2, 2),
        case("f = 1, pad 0, stride 2", 3, 5, 5, 3, 1, 2, 2, 0),
    ]


def conv_backward_bad_crop(dZ, cache):
    dA_prev, dW, db = ref.conv_backward(dZ, cache)
    pad = cache[3]["pad"]
    A_pad = ref.zero_pad(dA_prev, pad)
    return A_pad[:, pad:-pad, pad:-pad, :], dW, db


def conv_backward_no_stride(dZ, cache):
    A_prev, W, b, hp = cache
    return ref.conv_backward(dZ, (A_prev, W, b, {"stride": 1, "pad": hp["pad"]}))


# --- pool_backward (bonus) --------------------------------------------------------------------

def pool_backward_cases(rng):
    cases = []
    for mode in ("max", "average"):
        for name, shape, hp in [("f=2, stride 2", (2, 4, 4, 3), {"f": 2, "stride": 2}),
                                ("overlapping windows (f=3, stride 1)", (1, 5, 5, 2), {"f": 3, "stride": 1}),
                                ("non-square, stride 2", (2, 7, 6, 1), {"f": 3, "stride": 2})]:
            A = rng.standard_normal(shape)
            out, cache = ref.pool_forward(A, hp, mode=mode)
            cases.append(Case(f"{mode}, {name}", (rng.standard_normal(out.shape), cache), {"mode": mode}))
    return cases


def pool_backward_average_as_max(dA, cache, mode="max"):
    return ref.pool_backward(dA, cache, mode="max")


def pool_backward_overwrite(dA, cache, mode="max"):
    """Writes (=) instead of accumulating (+=) where windows overlap."""
    A_prev, hp = cache
    f, s = hp["f"], hp["stride"]
    out = np.zeros_like(A_prev)
    for h in range(dA.shape[1]):
        for w in range(dA.shape[2]):
            one = np.zeros_like(dA)
            one[:, h, w, :] = dA[:, h, w, :]
            contribution = ref.pool_backward(one, cache, mode=mode)
            region = (slice(None), slice(h * s, h * s + f), slice(w * s, w * s + f), slice(None))
            out[region] = contribution[region]
    return out


PAD_HINT = "only H and W are padded: use ((0, 0), (pad, pad), (pad, pad), (0, 0)) with np.pad"

ASSIGNMENT = Assignment(
    name="conv",
    title="Convolution and pooling in NumPy",
    module="conv",
    error_hints=[(r"only 0-dimensional arrays can be converted",
                  "NumPy >= 2.4 refuses float(b) when b has shape (1, 1, 1): use b.item()")],
    functions=[
        GradedFunction("zero_pad", 10, ref.zero_pad, zero_pad_cases,
                       mistakes=[Mistake("you padded the batch and channel axes too; " + PAD_HINT,
                                         pad_all_axes)]),
        GradedFunction("conv_single_step", 10, ref.conv_single_step, conv_single_step_cases,
                       mistakes=[Mistake("you forgot to add the bias b", single_step_no_bias)]),
        GradedFunction("conv_forward", 40, ref.conv_forward, conv_forward_cases, returns=("Z", "cache"),
                       mistakes=[
                           Mistake("you forgot the bias b", conv_forward_no_bias),
                           Mistake("you forgot the stride: window (h, w) starts at row h * stride, "
                                   "column w * stride", conv_forward_no_stride),
                           Mistake("you rounded the output size up: n_H = floor((n_H_prev - f + 2 * pad)"
                                   " / stride) + 1 (use //)", conv_forward_ceil, match="shape"),
                           Mistake("you forgot to pad A_prev with zero_pad before convolving",
                                   conv_forward_no_pad, match="shape"),
                       ]),
        GradedFunction("pool_forward", 40, ref.pool_forward, pool_forward_cases, returns=("A", "cache"),
                       mistakes=[
                           Mistake("mode='average' returned max pooling: check how you use `mode`",
                                   pool_average_as_max),
                           Mistake("you forgot the stride: window (h, w) starts at row h * stride, "
                                   "column w * stride", pool_forward_no_stride),
                           Mistake("you rounded the output size up: n_H = floor((n_H_prev - f) / stride)"
                                   " + 1 (use //)", pool_forward_ceil, match="shape"),
                       ]),
        GradedFunction("conv_backward", 10, ref.conv_backward, conv_backward_cases, bonus=True,
                       returns=("dA_prev", "dW", "db"),
                       mistakes=[
                           Mistake("with pad = 0, slicing [pad:-pad] is empty: crop with "
                                   "[pad:pad + n_H_prev] instead", conv_backward_bad_crop, match="shape"),
                           Mistake("you forgot the stride when mapping an output position back to "
                                   "its input window", conv_backward_no_stride),
                       ]),
        GradedFunction("pool_backward", 10, ref.pool_backward, pool_backward_cases, bonus=True,
                       mistakes=[
                           Mistake("mode='average' routed gradients like max pooling",
                                   pool_backward_average_as_max),
                           Mistake("overlapping windows must add up their gradients (+=), not overwrite",
                                   pool_backward_overwrite),
                       ]),
    ],
)
