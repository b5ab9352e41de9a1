"""Run a residual block or a whole model on given weights, and describe its layers.

The grader calls these functions on your code in a separate process, and on the reference
solution in its own process, then compares the two results. You can call them yourself:

    from harness import run_block, random_block_weights
    weights = random_block_weights(np.random.default_rng(0), 4, 3, [2, 3, 4])
    result = run_block(identity_block, x, weights, 3, [2, 3, 4])

What is compared:

* the **layers**: the whole list, in a fixed reading order (below), with each layer's
  type, settings (filters, kernel size, strides, padding, activation, normalised axis, ...),
  output shape, number of parameters and the layers it takes its inputs from;
* the **numbers**: the block is built twice, with `training=True` and with
  `training=False` passed through to your function, the SAME numpy weights are loaded into
  both builds, and both are run on the same input batch.

Reading order of the layers. Every layer is listed after all the layers it reads from; the
list is built by walking back from the output, and when a layer has several inputs (an
`Add`), the branch with the LONGER chain of layers behind it is listed first (on a tie, the
first input given). So a residual block is always listed as "main path, then the shortcut's
layers, then the Add and the final ReLU", whatever order you created the layers in and
whichever order you gave the Add its inputs.
The weights are loaded in that same order, layer by layer (a Conv2D takes `[kernel, bias]`,
a BatchNormalization `[gamma, beta, moving_mean, moving_variance]`), so two blocks with the
same layer list always get the same weights. When your layer list differs from the
reference's, the grader reports that difference (the weights may not even fit your layers).

`layers.Activation("relu")`, `layers.ReLU()` and `keras.ops.relu` all count as a "ReLU";
`layers.Add()` and `+` both count as an "Add", whatever the order of their inputs;
`axis=-1` and `axis=3` are the same axis.
"""

import numpy as np


# --- describing a model's layers --------------------------------------------------------------

def _node_of(tensor):
    """The graph node (one call of a layer or operation) that produced a symbolic tensor."""
    history = getattr(tensor, "_keras_history", None)
    if history is None or history.operation is None:
        raise TypeError(f"expected a tensor made by Keras layers, got {type(tensor).__name__}")
    return history.operation._inbound_nodes[history.node_index]


def _ordered_nodes(outputs):
    """Every node that leads to `outputs`, in the reading order described in the module doc.

    Args:
        outputs: list of symbolic tensors, the model's outputs.

    Returns:
        list of `keras` graph nodes; each node comes after all the nodes it takes inputs from.
    """
    chain = {}  # id(node) -> length of the longest chain of nodes ending at it

    def chain_length(node):
        stack = [node]
        while stack:
            n = stack[-1]
            if id(n) in chain:
                stack.pop()
                continue
            parents = [_node_of(t) for t in n.input_tensors]
            missing = [p for p in parents if id(p) not in chain]
            if missing:
                stack.extend(missing)
            else:
                chain[id(n)] = 1 + max((chain[id(p)] for p in parents), default=0)
                stack.pop()
        return chain[id(node)]

    order, seen = [], set()

    def visit(node):  # iterative post-order DFS (ResNet50 is ~180 layers deep)
        stack = [(node, False)]
        while stack:
            n, expanded = stack.pop()
            if id(n) in seen:
                continue
            if expanded:
                seen.add(id(n))
                order.append(n)
                continue
            stack.append((n, True))
            parents = [_node_of(t) for t in n.input_tensors]
            ranked = sorted(range(len(parents)), key=lambda i: (-chain_length(parents[i]), i))
            for i in reversed(ranked):  # the stack pops the longest chain first
                stack.append((parents[i], False))

    for tensor in outputs:
        visit(_node_of(tensor))
    return order


def _activation_name(fn):
    return getattr(fn, "__name__", type(fn).__name__)


def _pair(value):
    return tuple(int(v) for v in value) if isinstance(value, (tuple, list)) else (int(value),) * 2


_SYMMETRIC = ("Add", "Multiply", "Maximum", "Minimum", "Average")


def _describe(node, index_of):
    """One layer (one graph node) as a dict of plain values."""
    op = node.operation
    kind = type(op).__name__
    out = node.outputs[0]
    shape = tuple(None if d is None else int(d) for d in out.shape)
    entry = {"kind": kind}
    if kind == "InputLayer":
        entry["kind"] = "Input"
    elif kind in ("Conv2D", "Conv1D", "Conv3D", "SeparableConv2D", "DepthwiseConv2D"):
        entry.update(filters=int(getattr(op, "filters", 0) or 0), kernel_size=_pair(op.kernel_size),
                     strides=_pair(op.strides), padding=str(op.padding),
                     activation=_activation_name(op.activation))
    elif kind == "BatchNormalization":
        entry["axis"] = int(op.axis) % len(shape)
    elif kind == "Activation":
        name = _activation_name(op.activation)
        entry = {"kind": "ReLU"} if name == "relu" else {"kind": "Activation", "activation": name}
    elif kind == "ReLU":
        if op.max_value is not None or float(op.negative_slope) != 0 or float(op.threshold) != 0:
            entry["activation"] = (f"relu(max_value={op.max_value}, negative_slope="
                                   f"{float(op.negative_slope):g}, threshold={float(op.threshold):g})")
    elif kind == "Relu":  # keras.ops.relu on a symbolic tensor
        entry["kind"] = "ReLU"
    elif kind in ("MaxPooling2D", "AveragePooling2D"):
        entry.update(pool_size=_pair(op.pool_size), strides=_pair(op.strides), padding=str(op.padding))
    elif kind == "ZeroPadding2D":
        entry["padding"] = tuple(_pair(p) for p in op.padding)
    elif kind == "Dense":
        entry.update(units=int(op.units), activation=_activation_name(op.activation))
    weights = getattr(op, "weights", None) or []
    entry["output_shape"] = shape
    entry["params"] = int(sum(int(np.prod(w.shape)) for w in weights))
    inputs = [index_of[id(_node_of(t))] for t in node.input_tensors]
    if entry["kind"] in _SYMMETRIC:  # Add()([a, b]) is Add()([b, a])
        inputs.sort()
    entry["inputs"] = tuple(inputs)
    return entry


def layer_summary(model):
    """The whole list of layers of a functional model, in the module's reading order.

    Args:
        model: a functional `keras.Model`.

    Returns:
        list of dicts, one per layer call, each with at least `kind`, `output_shape`
        (tuple, batch axis None), `params` (int) and `inputs` (tuple of the list indices of
        the layers it reads), plus the kind's settings (`filters`, `kernel_size`, `strides`,
        `padding`, `activation`, `axis`, `pool_size`, `units`).
    """
    nodes = _ordered_nodes(list(model.outputs))
    index_of = {id(n): i for i, n in enumerate(nodes)}
    return [_describe(n, index_of) for n in nodes]


def describe_layer(entry):
    """A one-line, human-readable form of a `layer_summary` entry."""
    skip = ("kind", "output_shape", "params", "inputs")
    settings = ", ".join(f"{k}={v!r}" for k, v in entry.items() if k not in skip)
    inputs = entry["inputs"]
    source = (f" of layer {inputs[0]}" if len(inputs) == 1
              else f" of layers {', '.join(map(str, inputs))}" if inputs else "")
    return (f"{entry['kind']}({settings}){source} -> output {entry['output_shape']}, "
            f"{entry['params']} parameters")


def _weighted_layers(model):
    """The layers that own weights, in the reading order (each layer once)."""
    out, seen = [], set()
    for node in _ordered_nodes(list(model.outputs)):
        op = node.operation
        if getattr(op, "weights", None) and id(op) not in seen:
            seen.add(id(op))
            out.append(op)
    return out


def weight_shapes(model):
    """Shapes of the weights `load_weights` expects, layer by layer in the reading order.

    Returns:
        list (one item per layer that has weights) of lists of shape tuples.
    """
    return [[tuple(int(d) for d in w.shape) for w in layer.weights] for layer in _weighted_layers(model)]


def load_weights(model, weights):
    """Set every layer's weights from `weights`, given layer by layer in the reading order.

    Args:
        model: a functional `keras.Model`.
        weights: list (one item per layer that has weights) of lists of numpy arrays, e.g.
            `[[kernel, bias], [gamma, beta, moving_mean, moving_variance], ...]`.

    Returns:
        None when every array was loaded; otherwise a message saying why none were.
    """
    targets = _weighted_layers(model)
    if len(targets) != len(weights):
        return f"the model has {len(targets)} layers with weights, the test has {len(weights)}"
    for i, (layer, given) in enumerate(zip(targets, weights)):
        have = [tuple(int(d) for d in w.shape) for w in layer.weights]
        want = [tuple(np.shape(a)) for a in given]
        if have != want:
            return f"layer {i} with weights ({type(layer).__name__}) has shapes {have}, the test {want}"
    for layer, given in zip(targets, weights):
        layer.set_weights([np.asarray(a, dtype="float32") for a in given])
    return None


# --- weights for the tests --------------------------------------------------------------------

def block_weight_shapes(n_C_prev, f, filters, shortcut):
    """Weight shapes of a reference identity block (`shortcut=False`) or convolutional block.

    Args:
        n_C_prev: int, channels of the block's input.
        f: int, the middle convolution's window size.
        filters: `[F1, F2, F3]`.
        shortcut: bool, True for the convolutional block (a Conv2D + BatchNormalization on
            the shortcut).

    Returns:
        list of lists of shape tuples, in the reading order: main path (conv, BN) x 3, then
        the shortcut's conv and BN.
    """
    F1, F2, F3 = filters

    def conv(k, c_in, c_out):
        return [(k, k, c_in, c_out), (c_out,)]

    def bn(c):
        return [(c,)] * 4

    shapes = [conv(1, n_C_prev, F1), bn(F1), conv(f, F1, F2), bn(F2), conv(1, F2, F3), bn(F3)]
    if shortcut:
        shapes += [conv(1, n_C_prev, F3), bn(F3)]
    return shapes


def random_weights(rng, shapes, gamma=(0.5, 1.5)):
    """Random float32 weights of the given shapes, with values that suit each kind of layer.

    A 4-d shape is a convolution kernel (He-like scale), a 2-d shape a Dense kernel, and the
    1-d shapes of a layer with 4 of them are BatchNormalization's gamma, beta, moving mean and
    moving variance (positive); other 1-d shapes are biases.

    Args:
        rng: `numpy.random.Generator`.
        shapes: list of lists of shape tuples (see `block_weight_shapes`, `weight_shapes`).
        gamma: (low, high), the range of BatchNormalization's scale. Deep models need it
            below 1, or their activations grow block after block.

    Returns:
        list of lists of float32 arrays with those shapes.
    """
    out = []
    for layer in shapes:
        if len(layer) == 4 and all(len(s) == 1 for s in layer):
            (c,) = layer[0]
            arrays = [rng.uniform(*gamma, c), rng.normal(0.0, 0.3, c),
                      rng.normal(0.0, 0.3, c), rng.uniform(0.5, 2.0, c)]
        else:
            arrays = []
            for shape in layer:
                if len(shape) >= 2:
                    fan_in = int(np.prod(shape[:-1]))
                    arrays.append(rng.normal(0.0, np.sqrt(2.0 / fan_in), shape))
                else:
                    arrays.append(rng.normal(0.0, 0.1, shape))
        out.append([np.asarray(a, dtype=np.float32) for a in arrays])
    return out


def random_block_weights(rng, n_C_prev, f, filters, shortcut=False):
    """`random_weights(rng, block_weight_shapes(...))`: weights for one block."""
    return random_weights(rng, block_weight_shapes(n_C_prev, f, filters, shortcut))


# --- what the grader calls --------------------------------------------------------------------

def _to_numpy(value):
    import keras

    return np.asarray(keras.ops.convert_to_numpy(value))


def _build_block(fn, input_shape, args, kwargs, training):
    import keras

    X_input = keras.Input(shape=input_shape)
    X = fn(X_input, *args, training=training, **kwargs)
    if X is None:
        raise TypeError(f"{fn.__name__} returned None: return the block's output tensor X")
    if not keras.ops.is_tensor(X) and not hasattr(X, "_keras_history"):
        raise TypeError(f"{fn.__name__} must return the output tensor X of the block, "
                        f"got {type(X).__name__}")
    return keras.Model(X_input, X)


def run_block(fn, x, weights, *args, **kwargs):
    """Build `fn` into a model twice (training=True and False), load `weights`, run it on `x`.

    Args:
        fn: a block function, `fn(X, *args, training=..., **kwargs) -> X`, e.g.
            `identity_block` (args `f, filters`) or `convolutional_block` (also `s=...`).
        x: float32 array of shape `(m, n_H, n_W, n_C)`, the input batch.
        weights: list of lists of arrays, in the reading order (see `block_weight_shapes`).
        *args, **kwargs: passed on to `fn` after the input tensor.

    Returns:
        dict with
            "layers": `layer_summary` of the block (built with training=True);
            "weights": None when the weights were loaded, else why they were not;
            "training=True": array `(m, n_H, n_W, F3)`, the output with `training=True`
                passed to the block (batch statistics), or None when the weights were not
                loaded;
            "training=False": the same with `training=False` (moving averages).
    """
    x = np.asarray(x, dtype=np.float32)
    result = {}
    for training in (True, False):
        model = _build_block(fn, x.shape[1:], args, kwargs, training)
        if training:
            result["layers"] = layer_summary(model)
        problem = load_weights(model, weights)
        result["weights"] = problem
        # No `training` argument at call time: the value given to the block decides.
        result[f"training={training}"] = None if problem else _to_numpy(model(x))
    return result


def run_model(fn, x, seed, **kwargs):
    """Build a whole model with `fn(**kwargs)`, describe it, and run it on random weights.

    The weights are drawn with `numpy.random.default_rng(seed)` for the model's own weight
    shapes in the reading order, so two models with the same layer list get the same weights.

    Args:
        fn: a model builder such as `ResNet50`, returning a `keras.Model`.
        x: float32 array of shape `(m, n_H, n_W, n_C)`, matching `kwargs["input_shape"]`.
        seed: int, seed of the weights.
        **kwargs: passed to `fn` (e.g. `input_shape=(64, 64, 3), classes=6`).

    Returns:
        dict with
            "layers": `layer_summary(model)`;
            "params": int, the model's total number of parameters;
            "output_shape": tuple, e.g. `(None, classes)`;
            "inference": array `(m, classes)`, `model(x, training=False)`;
            "training": array `(m, classes)`, `model(x, training=True)` (batch statistics).
    """
    import keras

    model = fn(**kwargs)
    if not isinstance(model, keras.Model):
        raise TypeError(f"{fn.__name__} must return a keras.Model, got {type(model).__name__}")
    x = np.asarray(x, dtype=np.float32)
    weights = random_weights(np.random.default_rng(seed), weight_shapes(model), gamma=(0.3, 0.8))
    problem = load_weights(model, weights)
    if problem:  # cannot happen: the shapes come from the model itself
        raise RuntimeError(problem)
    return {
        "layers": layer_summary(model),
        "params": int(model.count_params()),
        "output_shape": tuple(None if d is None else int(d) for d in model.outputs[0].shape),
        "inference": _to_numpy(model(x, training=False)),
        "training": _to_numpy(model(x, training=True)),
    }
