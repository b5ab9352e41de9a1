"""The one data format between the grader and a student's child process: JSON + `.npz`.

Values cross as a JSON tree whose array leaves point into an `.npz` file written and read
with `allow_pickle=False`. Nothing is ever unpickled and nothing the child sends is called:
the parent only gets plain numbers, strings, lists, dicts and numeric arrays back.

Tree nodes:
    {"t": "none"} | {"t": "bool", "v": b} | {"t": "int", "v": i} | {"t": "float", "v": x}
    {"t": "str", "v": s} | {"t": "array", "k": npz_key} | {"t": "tuple"|"list", "v": [node...]}
    {"t": "dict", "v": [[key, node], ...]}  (keys are str or int)
"""

from __future__ import annotations

import math
import zipfile

import numpy as np

MAX_DEPTH = 16
MAX_NODES = 10_000
ALLOWED_KINDS = "biufc"  # bool, int, uint, float, complex: never object/str/void arrays


class WireError(ValueError):
    """A value that cannot cross the process boundary (or arrived malformed)."""


def to_numpy(value):
    """Best effort conversion of a framework tensor (TF, JAX, PyTorch, NumPy) to an ndarray."""
    if isinstance(value, np.ndarray):
        return value
    numpy_method = getattr(value, "numpy", None)  # tf.Tensor, torch.Tensor
    if callable(numpy_method):
        detach = getattr(value, "detach", None)  # torch: requires_grad tensors refuse .numpy()
        if callable(detach):
            value = detach().cpu()
        return np.asarray(value.numpy())
    return np.asarray(value)


def encode(value, arrays: dict, prefix: str = "a", _depth: int = 0, _count=None) -> dict:
    """Turn `value` into a JSON tree, storing arrays in `arrays` under fresh keys."""
    _count = _count if _count is not None else [0]
    _count[0] += 1
    if _depth > MAX_DEPTH or _count[0] > MAX_NODES:
        raise WireError("the returned value is nested too deeply or has too many parts")
    if value is None:
        return {"t": "none"}
    if isinstance(value, (bool, np.bool_)):
        return {"t": "bool", "v": bool(value)}
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return {"t": "int", "v": int(value)}
    if isinstance(value, (float, np.floating)):
        x = float(value)
        return {"t": "float", "v": x if math.isfinite(x) else repr(x)}
    if isinstance(value, str):
        return {"t": "str", "v": value[:10_000]}
    if isinstance(value, (tuple, list)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        return {"t": kind, "v": [encode(v, arrays, prefix, _depth + 1, _count) for v in value]}
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            if not isinstance(k, (str, int)):
                raise WireError(f"dict keys must be str or int, got {type(k).__name__}")
            items.append([k, encode(v, arrays, prefix, _depth + 1, _count)])
        return {"t": "dict", "v": items}
    array = to_numpy(value)
    if array.dtype.kind not in ALLOWED_KINDS:
        raise WireError(f"a value of type {type(value).__name__} is not numeric "
                        f"(NumPy sees dtype {array.dtype})")
    # A fresh base-class array: subclasses and views of foreign memory stay in the child.
    array = np.array(array, copy=True, subok=False)
    key = f"{prefix}{len(arrays)}"
    arrays[key] = array
    return {"t": "array", "k": key}


def decode(tree, arrays, _depth: int = 0):
    """Inverse of `encode`; raises WireError on anything malformed."""
    if _depth > MAX_DEPTH or not isinstance(tree, dict):
        raise WireError("malformed value")
    t, v = tree.get("t"), tree.get("v")
    if t == "none":
        return None
    if t == "bool":
        return bool(v)
    if t == "int":
        return int(v)
    if t == "float":
        return float(v)
    if t == "str":
        return str(v)
    if t in ("tuple", "list"):
        items = [decode(x, arrays, _depth + 1) for x in v]
        return tuple(items) if t == "tuple" else items
    if t == "dict":
        return {k: decode(x, arrays, _depth + 1) for k, x in v}
    if t == "array":
        key = tree.get("k")
        if key not in arrays:
            raise WireError(f"missing array {key!r}")
        return arrays[key]
    raise WireError(f"unknown node type {t!r}")


def save_arrays(path, arrays: dict) -> None:
    np.savez(path, **arrays)


def load_arrays(path, max_bytes: int = 2 << 30) -> dict:
    """Read an `.npz` without pickles; refuse archives that would inflate past `max_bytes`."""
    with zipfile.ZipFile(path) as archive:
        if sum(info.file_size for info in archive.infolist()) > max_bytes:
            raise WireError("the returned arrays are too large")
    with np.load(path, allow_pickle=False) as data:
        out = {k: data[k] for k in data.files}
    for k, a in out.items():
        if a.dtype.kind not in ALLOWED_KINDS:
            raise WireError(f"array {k!r} has non-numeric dtype {a.dtype}")
    return out
