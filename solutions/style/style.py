"""Neural style transfer: the content cost, Gram matrices and the style cost.

A convolutional network trained on images (VGG19 here) turns a picture into activations
at every layer. Style transfer draws a *generated* image G whose activations resemble:

* those of a *content* image C at one deeper layer (same objects, same layout), and
* the *correlations between channels* (Gram matrices) of a *style* image S at several
  layers (same colours, strokes and textures, wherever they appear).

Activations of one image at one layer have shape `(1, n_H, n_W, n_C)`. The model used in
the notebook returns a list of them: one per style layer, in the order of `STYLE_LAYERS`,
and then the content layer as the LAST entry. `STYLE_LAYERS` lists `(layer_name, weight)`
pairs.

Use `keras.ops` (`ops.sum`, `ops.square`, `ops.reshape`, `ops.transpose`, `ops.matmul`,
`ops.shape`, ...): your code then runs on any Keras backend, with tensors or NumPy arrays.
Fill in each function where it says `# YOUR CODE HERE`, then run the public tests:
    cnnlab check style style.py
"""

from keras import ops

# (layer name, weight) of each style layer; the weights add up to 1.
STYLE_LAYERS = [
    ("block1_conv1", 0.2),
    ("block2_conv1", 0.2),
    ("block3_conv1", 0.2),
    ("block4_conv1", 0.2),
    ("block5_conv1", 0.2),
]
CONTENT_LAYER = "block4_conv2"


def compute_content_cost(a_C, a_G):
    """How far the generated image's content is from the content image's, at one layer.

        J_content = sum((a_C - a_G) ** 2) / (4 * n_H * n_W * n_C)

    Args:
        a_C: activations of the content image, shape `(1, n_H, n_W, n_C)`.
        a_G: activations of the generated image at the same layer, same shape.

    Returns:
        J_content: a scalar (shape `()`).
    """
    ### BEGIN SOLUTION
    _, n_H, n_W, n_C = ops.shape(a_G)
    J_content = ops.sum(ops.square(a_C - a_G)) / (4 * n_H * n_W * n_C)
    return J_content
    ### END SOLUTION


def gram_matrix(A):
    """The Gram matrix of the rows of A: every dot product of two channels.

    Args:
        A: matrix of shape `(n_C, n_H * n_W)`, one row per channel.

    Returns:
        GA: matrix of shape `(n_C, n_C)`, `GA = A @ A^T`.
    """
    ### BEGIN SOLUTION
    GA = ops.matmul(A, ops.transpose(A))
    return GA
    ### END SOLUTION


def compute_layer_style_cost(a_S, a_G):
    """How far the generated image's style is from the style image's, at one layer.

    Unroll each activation to a matrix of shape `(n_C, n_H * n_W)`: reshape it to
    `(n_H * n_W, n_C)` first (each row a pixel, each column a channel), then transpose.
    Then compare the two Gram matrices:

        J_style_layer = sum((G_S - G_G) ** 2) / (4 * n_C**2 * (n_H * n_W)**2)

    Args:
        a_S: activations of the style image, shape `(1, n_H, n_W, n_C)`.
        a_G: activations of the generated image at the same layer, same shape.

    Returns:
        J_style_layer: a scalar (shape `()`).
    """
    ### BEGIN SOLUTION
    _, n_H, n_W, n_C = ops.shape(a_G)
    a_S = ops.transpose(ops.reshape(a_S, (n_H * n_W, n_C)))
    a_G = ops.transpose(ops.reshape(a_G, (n_H * n_W, n_C)))
    GS = gram_matrix(a_S)
    GG = gram_matrix(a_G)
    J_style_layer = ops.sum(ops.square(GS - GG)) / (4 * n_C**2 * (n_H * n_W) ** 2)
    return J_style_layer
    ### END SOLUTION


def compute_style_cost(style_outputs, generated_outputs, style_layers=STYLE_LAYERS):
    """The style cost over several layers: a weighted sum of `compute_layer_style_cost`.

        J_style = sum_i weight_i * J_style_layer(style_outputs[i], generated_outputs[i])

    It calls your `compute_layer_style_cost`: make that one pass its tests first.

    Args:
        style_outputs: list of the style image's activations, one `(1, n_H, n_W, n_C)`
            array per layer of `style_layers` in the same order, then the content layer's
            activations as the last entry (not used here).
        generated_outputs: the generated image's activations, the same layout.
        style_layers: list of `(layer_name, weight)` pairs, e.g. `STYLE_LAYERS`; entry i
            gives the weight of `style_outputs[i]`.

    Returns:
        J_style: a scalar (shape `()`).
    """
    ### BEGIN SOLUTION
    J_style = 0.0
    for i, (_, weight) in enumerate(style_layers):
        J_style += weight * compute_layer_style_cost(style_outputs[i], generated_outputs[i])
    return J_style
    ### END SOLUTION


def total_cost(J_content, J_style, alpha=10, beta=40):
    """The cost that style transfer minimises: `alpha * J_content + beta * J_style`.

    Args:
        J_content: scalar, the content cost.
        J_style: scalar, the style cost.
        alpha: float, weight of the content cost.
        beta: float, weight of the style cost.

    Returns:
        J: a scalar.
    """
    ### BEGIN SOLUTION
    J = alpha * J_content + beta * J_style
    return J
    ### END SOLUTION
