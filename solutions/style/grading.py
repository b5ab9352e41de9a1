"""Hidden tests of the `style` assignment: cases, points and known mistakes.

Activations are random non-negative arrays (like ReLU outputs) of shape
`(1, n_H, n_W, n_C)` with n_H != n_W in most cases, one channel, one pixel, and sizes drawn
from the seed. Every array reaches the student's function as a float32 backend tensor
(`harness.harness_tensors`). The style-cost cases use lists of activations shaped like a
VGG pyramid, the content layer last, and `style_layers` lists of several lengths and
weights (also weights that do not add up to 1).
"""

import numpy as np
from keras import ops

from cnnlab.grader.spec import Assignment, Case, GradedFunction, Mistake, sibling

ref = sibling(__file__, "style.py")

RTOL, ATOL = 1e-4, 1e-7


def _act(rng, n_H, n_W, n_C):
    """ReLU-like activations of one image: shape (1, n_H, n_W, n_C), float32."""
    return np.maximum(rng.standard_normal((1, n_H, n_W, n_C)) + 0.3, 0).astype(np.float32)


def _pair(rng, n_H, n_W, n_C):
    return _act(rng, n_H, n_W, n_C), _act(rng, n_H, n_W, n_C)


def _sizes(a):
    _, n_H, n_W, n_C = tuple(a.shape)
    return n_H, n_W, n_C


# --- compute_content_cost -------------------------------------------------------------------

def content_cost_cases(rng):
    shape = (int(rng.integers(2, 12)), int(rng.integers(2, 12)), int(rng.integers(1, 40)))
    return [
        Case("4 x 4 x 3 activations", _pair(rng, 4, 4, 3)),
        Case("non-square 7 x 5 x 8", _pair(rng, 7, 5, 8)),
        Case("one channel, 6 x 9 x 1", _pair(rng, 6, 9, 1)),
        Case("one pixel, 1 x 1 x 16", _pair(rng, 1, 1, 16)),
        Case("VGG-like 14 x 10 x 64", _pair(rng, 14, 10, 64)),
        Case("identical images: cost 0", (lambda a: (a, a.copy()))(_act(rng, 3, 5, 4))),
        Case(f"random size {shape[0]} x {shape[1]} x {shape[2]}", _pair(rng, *shape)),
    ]


def content_mean(a_C, a_G):
    return ops.mean(ops.square(a_C - a_G))


def content_unnormalized(a_C, a_G):
    return ops.sum(ops.square(a_C - a_G))


def content_no_square(a_C, a_G):
    n_H, n_W, n_C = _sizes(a_G)
    return ops.sum(ops.abs(a_C - a_G)) / (4 * n_H * n_W * n_C)


def content_norm(a_C, a_G):
    n_H, n_W, n_C = _sizes(a_G)
    return ops.sqrt(ops.sum(ops.square(a_C - a_G))) / (4 * n_H * n_W * n_C)


def content_no_channels(a_C, a_G):
    n_H, n_W, n_C = _sizes(a_G)
    return ops.sum(ops.square(a_C - a_G)) / (4 * n_H * n_W)


CONTENT_FORMULA = "J_content = sum((a_C - a_G) ** 2) / (4 * n_H * n_W * n_C)"


# --- gram_matrix ----------------------------------------------------------------------------

def gram_cases(rng):
    def A(n_C, n_HW):
        return (rng.standard_normal((n_C, n_HW))).astype(np.float32)

    return [
        Case("3 channels x 2 pixels", (A(3, 2),)),
        Case("4 channels x 10 pixels", (A(4, 10),)),
        Case("one channel", (A(1, 7),)),
        Case("one pixel, 5 channels", (A(5, 1),)),
        Case("64 channels x 48 pixels", (A(64, 48),)),
        Case("random size", (A(int(rng.integers(2, 30)), int(rng.integers(31, 90))),)),
    ]


def gram_transposed(A):
    return ops.matmul(ops.transpose(A), A)


def gram_elementwise(A):
    return A * A


# --- compute_layer_style_cost ---------------------------------------------------------------

def layer_style_cases(rng):
    shape = (int(rng.integers(2, 10)), int(rng.integers(2, 10)), int(rng.integers(2, 24)))
    return [
        Case("4 x 4 x 3 activations", _pair(rng, 4, 4, 3)),
        Case("non-square 5 x 3 x 4", _pair(rng, 5, 3, 4)),
        Case("8 x 6 x 16", _pair(rng, 8, 6, 16)),
        Case("2 x 9 x 5", _pair(rng, 2, 9, 5)),
        Case("one channel, 3 x 7 x 1", _pair(rng, 3, 7, 1)),
        Case(f"random size {shape[0]} x {shape[1]} x {shape[2]}", _pair(rng, *shape)),
    ]


def _layer_cost(a_S, a_G, unroll, norm, square=True):
    n_H, n_W, n_C = _sizes(a_G)
    GS, GG = (ref.gram_matrix(unroll(a, n_H, n_W, n_C)) for a in (a_S, a_G))
    diff = ops.square(GS - GG) if square else ops.abs(GS - GG)
    return ops.sum(diff) / norm(n_H, n_W, n_C)


def _good_unroll(a, n_H, n_W, n_C):
    return ops.transpose(ops.reshape(a, (n_H * n_W, n_C)))


def _good_norm(n_H, n_W, n_C):
    return 4 * n_C**2 * (n_H * n_W) ** 2


def layer_direct_reshape(a_S, a_G):
    return _layer_cost(a_S, a_G, lambda a, h, w, c: ops.reshape(a, (c, h * w)), _good_norm)


def layer_no_transpose(a_S, a_G):
    return _layer_cost(a_S, a_G, lambda a, h, w, c: ops.reshape(a, (h * w, c)), _good_norm)


def layer_norm_not_squared(a_S, a_G):
    return _layer_cost(a_S, a_G, _good_unroll, lambda h, w, c: 4 * c * h * w)


def layer_norm_no_4(a_S, a_G):
    return _layer_cost(a_S, a_G, _good_unroll, lambda h, w, c: c**2 * (h * w) ** 2)


def layer_norm_squared_4(a_S, a_G):
    return _layer_cost(a_S, a_G, _good_unroll, lambda h, w, c: (4 * c * h * w) ** 2)


def layer_mean(a_S, a_G):
    return _layer_cost(a_S, a_G, _good_unroll, lambda h, w, c: c**2)


def layer_no_square(a_S, a_G):
    return _layer_cost(a_S, a_G, _good_unroll, _good_norm, square=False)


STYLE_FORMULA = "J_style_layer = sum((G_S - G_G) ** 2) / (4 * n_C**2 * (n_H * n_W)**2)"


# --- compute_style_cost ---------------------------------------------------------------------

def _outputs(rng, shapes):
    """Style and generated activation lists: one per shape; the last is the content layer."""
    style = [_act(rng, *s) for s in shapes]
    generated = [_act(rng, *s) for s in shapes]
    return style, generated


def style_cost_cases(rng):
    vgg5 = [(16, 12, 2), (8, 6, 4), (4, 3, 8), (2, 2, 8), (1, 1, 16), (2, 2, 8)]
    names5 = [name for name, _ in ref.STYLE_LAYERS]
    k = int(rng.integers(2, 6))
    weights = rng.dirichlet(np.ones(k))
    shapes = [(int(rng.integers(2, 9)), int(rng.integers(2, 9)), int(rng.integers(2, 12))) for _ in range(k + 1)]
    return [
        Case("five layers, weights 0.2 each (STYLE_LAYERS)", (*_outputs(rng, vgg5), list(ref.STYLE_LAYERS))),
        Case("three layers, weights 0.5, 0.3, 0.2",
             (*_outputs(rng, [(9, 7, 3), (5, 4, 6), (3, 2, 12), (3, 2, 12)]),
              [("block1_conv1", 0.5), ("block2_conv1", 0.3), ("block3_conv1", 0.2)])),
        Case("one style layer, weight 1",
             (*_outputs(rng, [(6, 6, 4), (3, 3, 8)]), [("block1_conv1", 1.0)])),
        Case("weights that do not add up to 1, given by keyword",
             _outputs(rng, [(7, 5, 3), (4, 3, 5), (2, 2, 7)]),
             {"style_layers": [("block1_conv1", 2.0), ("block3_conv1", 0.25)]}),
        Case(f"{k} random layers, random weights",
             (*_outputs(rng, shapes), [(names5[i], float(w)) for i, w in enumerate(weights)])),
    ]


def _layers(args, kwargs):
    style_outputs, generated_outputs = args[0], args[1]
    style_layers = args[2] if len(args) > 2 else kwargs.get("style_layers", ref.STYLE_LAYERS)
    return style_outputs, generated_outputs, style_layers


def style_unweighted(*args, **kwargs):
    S, G, layers = _layers(args, kwargs)
    return sum(ref.compute_layer_style_cost(S[i], G[i]) for i in range(len(layers)))


def style_mean_of_layers(*args, **kwargs):
    S, G, layers = _layers(args, kwargs)
    return ref.compute_style_cost(S, G, layers) / len(layers)


def style_skipped_first(*args, **kwargs):
    """Paired layer i with outputs[i + 1] (e.g. dropped the first entry instead of the last)."""
    S, G, layers = _layers(args, kwargs)
    return sum(w * ref.compute_layer_style_cost(S[i + 1], G[i + 1]) for i, (_, w) in enumerate(layers))


def style_content_layer_too(*args, **kwargs):
    """Also added the content layer (the last entry), with the last weight."""
    S, G, layers = _layers(args, kwargs)
    return ref.compute_style_cost(S, G, layers) + layers[-1][1] * ref.compute_layer_style_cost(S[-1], G[-1])


# --- total_cost -----------------------------------------------------------------------------

def total_cost_cases(rng):
    """Costs arrive as 0-d float32 tensors, as compute_content_cost / compute_style_cost return them."""
    def J(lo, hi):
        return np.array(rng.uniform(lo, hi), np.float32)

    Jc, Js = J(0.5, 20), J(0.5, 20)
    return [
        Case("default alpha = 10, beta = 40", (Jc, Js)),
        Case("alpha = 1, beta = 100 by keyword", (Jc, Js), {"alpha": 1, "beta": 100}),
        Case("alpha and beta given by position", (J(1, 3), J(1, 3), 0.5, 2.0)),
        Case("zero style cost", (J(1, 9), np.array(0.0, np.float32))),
        Case("random costs and weights", (J(0, 1e3), J(0, 1e-2)),
             {"alpha": float(rng.uniform(1, 20)), "beta": float(rng.uniform(1e2, 1e4))}),
    ]


def total_swapped(J_content, J_style, alpha=10, beta=40):
    return beta * J_content + alpha * J_style


def total_unweighted(J_content, J_style, alpha=10, beta=40):
    return J_content + J_style


def total_fixed_weights(J_content, J_style, alpha=10, beta=40):
    return 10 * J_content + 40 * J_style


ASSIGNMENT = Assignment(
    name="style",
    title="Neural style transfer: content cost, Gram matrices, style cost",
    module="style",
    needs_tensorflow=True,
    timeout=20.0,
    error_hints=[
        (r"can't multiply sequence|unsupported operand type\(s\) for \*.*(str|tuple)|"
         r"Could not convert string|sequence with mixed types",
         "each entry of style_layers is a pair (layer_name, weight): multiply by the weight, "
         "the second item"),
        (r"Input to reshape is a tensor with|Cannot reshape|cannot reshape",
         "reshape to (n_H * n_W, n_C): n_H, n_W, n_C come from the activations' shape "
         "(ops.shape(a_G) or a_G.shape), batch axis first"),
        (r"object has no attribute '(numpy|get_shape|as_list)'",
         "use keras.ops (ops.sum, ops.square, ops.reshape, ...): they work on tensors and NumPy arrays"),
    ],
    functions=[
        GradedFunction("compute_content_cost", 15, ref.compute_content_cost, content_cost_cases,
                       harness="harness_tensors", rtol=RTOL, atol=ATOL,
                       mistakes=[
                           Mistake("wrong normalisation: a mean divides by n_H * n_W * n_C only; "
                                   + CONTENT_FORMULA, content_mean),
                           Mistake("you forgot to normalise: " + CONTENT_FORMULA, content_unnormalized),
                           Mistake("wrong normalisation constant, n_C is missing: " + CONTENT_FORMULA,
                                   content_no_channels),
                           Mistake("square the differences before summing: " + CONTENT_FORMULA,
                                   content_no_square),
                           Mistake("the cost uses the squared distance, no square root: " + CONTENT_FORMULA,
                                   content_norm),
                       ]),
        GradedFunction("gram_matrix", 15, ref.gram_matrix, gram_cases, harness="harness_tensors",
                       rtol=RTOL, atol=1e-5,
                       mistakes=[
                           Mistake("you computed A^T A, of shape (n_H*n_W, n_H*n_W): the Gram matrix "
                                   "is A A^T, of shape (n_C, n_C): ops.matmul(A, ops.transpose(A))",
                                   gram_transposed),
                           Mistake("A * A multiplies element by element: use the matrix product "
                                   "ops.matmul(A, ops.transpose(A))", gram_elementwise),
                       ]),
        GradedFunction("compute_layer_style_cost", 30, ref.compute_layer_style_cost, layer_style_cases,
                       harness="harness_tensors", rtol=RTOL, atol=ATOL,
                       mistakes=[
                           Mistake("reshaping (1, n_H, n_W, n_C) straight to (n_C, n_H * n_W) mixes "
                                   "pixels and channels: reshape to (n_H * n_W, n_C) first, then "
                                   "transpose", layer_direct_reshape),
                           Mistake("gram_matrix wants (n_C, n_H * n_W): after reshaping to "
                                   "(n_H * n_W, n_C), transpose", layer_no_transpose),
                           Mistake("wrong normalisation: square n_C and n_H * n_W; " + STYLE_FORMULA,
                                   layer_norm_not_squared),
                           Mistake("wrong normalisation, the 4 is missing: " + STYLE_FORMULA, layer_norm_no_4),
                           Mistake("wrong normalisation, only n_C and n_H * n_W are squared, not the 4: "
                                   + STYLE_FORMULA, layer_norm_squared_4),
                           Mistake("wrong normalisation: a mean over the Gram matrix divides by n_C**2 "
                                   "only; " + STYLE_FORMULA, layer_mean),
                           Mistake("square the differences of the Gram matrices: " + STYLE_FORMULA,
                                   layer_no_square),
                       ]),
        GradedFunction("compute_style_cost", 25, ref.compute_style_cost, style_cost_cases,
                       harness="harness_tensors", rtol=RTOL, atol=ATOL,
                       mistakes=[
                           Mistake("multiply each layer's cost by its weight (the second item of each "
                                   "(layer_name, weight) pair) before adding", style_unweighted),
                           Mistake("add up the weighted layer costs; do not divide by the number of "
                                   "layers", style_mean_of_layers),
                           Mistake("style layer i is outputs[i]: the outputs list ENDS with the content "
                                   "layer, so drop the last entry, not the first", style_skipped_first),
                           Mistake("the last entry of the outputs is the content layer: leave it out of "
                                   "the style cost (use only the first len(style_layers) entries)",
                                   style_content_layer_too),
                       ]),
        GradedFunction("total_cost", 15, ref.total_cost, total_cost_cases, harness="harness_tensors",
                       rtol=RTOL, atol=ATOL,
                       mistakes=[
                           Mistake("alpha weighs the content cost and beta the style cost: "
                                   "alpha * J_content + beta * J_style", total_swapped),
                           Mistake("you forgot the weights: alpha * J_content + beta * J_style",
                                   total_unweighted),
                           Mistake("use the alpha and beta arguments, not the numbers 10 and 40",
                                   total_fixed_weights),
                       ]),
    ],
)
