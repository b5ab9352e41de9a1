"""Public tests for the `style` assignment.

Run them in the notebook (`test_gram_matrix(gram_matrix)`) or from a shell with
`cnnlab check style style.py`. They use small worked examples given as tensors (as a
model returns them); the hidden tests used for grading try more shapes and weights.
"""

import numpy as np

from harness import as_tensors


def _number(x, what):
    arr = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
    assert arr.shape == (), f"{what}: expected a scalar (shape ()), got shape {arr.shape}"
    return float(arr)


def _close(got, expected, what, tol=1e-5):
    assert abs(got - expected) <= tol * max(1.0, abs(expected)), \
        f"{what}: expected {expected:.6g}, got {got:.6g}"


def _activations():
    """Two 2 x 3 x 2 activations: channel 0 and channel 1 of every pixel written out."""
    a = np.zeros((1, 2, 3, 2), np.float32)
    a[0, :, :, 0] = [[1, 2, 3], [4, 5, 6]]
    a[0, :, :, 1] = [[1, 0, 1], [0, 1, 0]]
    b = np.zeros((1, 2, 3, 2), np.float32)
    b[0, :, :, 0] = [[2, 1, 1], [1, 1, 1]]
    b[0, :, :, 1] = [[0, 0, 0], [0, 0, 2]]
    return a, b


def test_compute_content_cost(target):
    a_C, a_G = _activations()
    # Squared differences: channel 0 gives 1+1+4+9+16+25 = 56, channel 1 gives 1+0+1+0+1+4 = 7.
    J = _number(target(*as_tensors((a_C, a_G))), "J_content")
    if abs(J - 63 / 12) < 1e-5:
        raise AssertionError("compute_content_cost: that is a mean; divide the sum by 4 * n_H * n_W * n_C")
    _close(J, 63 / (4 * 2 * 3 * 2), "J_content = 63 / (4 * 2 * 3 * 2)")
    _close(_number(target(*as_tensors((a_C, a_C.copy()))), "J_content"), 0.0, "J_content of equal activations")
    print("\033[92mcompute_content_cost: all public tests passed\033[0m")


def test_gram_matrix(target):
    A = np.array([[1, 2, 0], [0, 1, -1]], np.float32)  # 2 channels, 3 pixels
    G = np.asarray(target(*as_tensors((A,))))
    assert G.shape == (2, 2), (f"gram_matrix: expected shape (n_C, n_C) = (2, 2), got {G.shape}; "
                               "the Gram matrix is A A^T")
    np.testing.assert_allclose(G, [[5, 2], [2, 2]], atol=1e-5, err_msg="gram_matrix: A A^T")
    print("\033[92mgram_matrix: all public tests passed\033[0m")


def test_compute_layer_style_cost(target):
    a_S, a_G = _activations()
    # Unrolled (n_C, n_H * n_W): rows are channels, pixels in row-major order.
    S = np.array([[1, 2, 3, 4, 5, 6], [1, 0, 1, 0, 1, 0]], np.float32)
    G = np.array([[2, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 2]], np.float32)
    diff = S @ S.T - G @ G.T  # [[91 - 9, 9 - 2], [9 - 2, 3 - 4]]
    expected = float(np.sum(diff ** 2) / (4 * 2**2 * 6**2))
    J = _number(target(*as_tensors((a_S, a_G))), "J_style_layer")
    wrong_S, wrong_G = a_S.reshape(2, 6), a_G.reshape(2, 6)
    direct = float(np.sum((wrong_S @ wrong_S.T - wrong_G @ wrong_G.T) ** 2) / (4 * 2**2 * 6**2))
    if abs(J - direct) < 1e-6 * max(1, direct):
        raise AssertionError("compute_layer_style_cost: you reshaped straight to (n_C, n_H * n_W), which "
                             "mixes pixels and channels; reshape to (n_H * n_W, n_C), then transpose")
    pixels = float(np.sum((S.T @ S - G.T @ G) ** 2) / (4 * 2**2 * 6**2))
    if abs(J - pixels) < 1e-6 * max(1, pixels):
        raise AssertionError("compute_layer_style_cost: your Gram matrices are (n_H * n_W, n_H * n_W); "
                             "after reshaping to (n_H * n_W, n_C), transpose to (n_C, n_H * n_W)")
    _close(J, expected, "J_style_layer")
    print("\033[92mcompute_layer_style_cost: all public tests passed\033[0m")


def test_compute_style_cost(target):
    rng = np.random.default_rng(5)
    shapes = [(4, 4, 2), (2, 2, 3), (2, 2, 3)]  # two style layers, then the content layer
    S = [rng.random((1, *s)).astype(np.float32) for s in shapes]
    G = [rng.random((1, *s)).astype(np.float32) for s in shapes]
    layers = [("block1_conv1", 0.75), ("block2_conv1", 0.25)]

    def layer_cost(a, b):
        _, h, w, c = a.shape
        A, B = a.reshape(h * w, c).T, b.reshape(h * w, c).T
        return float(np.sum((A @ A.T - B @ B.T) ** 2) / (4 * c**2 * (h * w) ** 2))

    expected = 0.75 * layer_cost(S[0], G[0]) + 0.25 * layer_cost(S[1], G[1])
    J = _number(target(*as_tensors((S, G, layers))), "J_style")
    if abs(J - (layer_cost(S[1], G[1]) * 0.75 + layer_cost(S[2], G[2]) * 0.25)) < 1e-7:
        raise AssertionError("compute_style_cost: the content layer is the LAST output: style layer i is "
                             "outputs[i]")
    _close(J, expected, "J_style = 0.75 * J_layer1 + 0.25 * J_layer2 (check compute_layer_style_cost first)",
           tol=1e-4)
    print("\033[92mcompute_style_cost: all public tests passed\033[0m")


def test_total_cost(target):
    J_content, J_style = as_tensors((np.array(2.0, np.float32), np.array(3.0, np.float32)))
    _close(_number(target(J_content, J_style), "J"), 10 * 2.0 + 40 * 3.0,
           "total_cost(2, 3) with alpha=10, beta=40")
    _close(_number(target(J_content, J_style, alpha=1, beta=2), "J"), 8.0, "total_cost(2, 3, alpha=1, beta=2)")
    print("\033[92mtotal_cost: all public tests passed\033[0m")
