"""Compare a student's output with the expected one and say what differs, in student terms."""

from __future__ import annotations

import numpy as np


def _label(path: str) -> str:
    return path or "the returned value"


def _is_number(x) -> bool:
    return isinstance(x, (bool, int, float, np.number)) or (isinstance(x, np.ndarray) and x.ndim == 0)


def compare(expected, got, rtol=1e-5, atol=1e-6, path="", reveal=False) -> str | None:
    """None when `got` matches `expected`; otherwise one message naming the first difference.

    Expected numbers appear in the message only with `reveal=True` (hidden tests keep them).
    """
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return (f"{_label(path)}: expected a tuple of {len(expected)} values, "
                    f"got {type(got).__name__}")
        if len(got) != len(expected):
            return f"{_label(path)}: expected {len(expected)} values, got {len(got)}"
        for i, (e, g) in enumerate(zip(expected, got)):
            message = compare(e, g, rtol, atol, f"{path}[{i}]", reveal)
            if message:
                return message
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{_label(path)}: expected a dict, got {type(got).__name__}"
        if set(got) != set(expected):
            return f"{_label(path)}: expected keys {sorted(map(str, expected))}, got {sorted(map(str, got))}"
        for k in expected:
            message = compare(expected[k], got[k], rtol, atol, f"{path}[{k!r}]", reveal)
            if message:
                return message
        return None
    if isinstance(expected, str) or expected is None:
        return None if got == expected else f"{_label(path)}: wrong value {got!r}"
    if _is_number(expected) and not isinstance(expected, np.ndarray):
        if isinstance(got, np.ndarray) and got.ndim > 0:
            return (f"{_label(path)}: expected a scalar, got an array of shape {got.shape} "
                    "(turn a one-element array into a number with float(x) or x.item())")
        if not _is_number(got):
            return f"{_label(path)}: expected a number, got {type(got).__name__}"
        return _compare_values(np.asarray(expected, float), np.asarray(got), rtol, atol, path, reveal)
    expected = np.asarray(expected)
    if not isinstance(got, np.ndarray) and not _is_number(got):
        return f"{_label(path)}: expected an array of shape {expected.shape}, got {type(got).__name__}"
    got = np.asarray(got)
    if got.shape != expected.shape:
        return f"{_label(path)}: wrong shape: expected {expected.shape}, got {got.shape}"
    if expected.dtype == bool and got.dtype != bool:
        return f"{_label(path)}: expected a boolean array, got dtype {got.dtype}"
    return _compare_values(expected, got, rtol, atol, path, reveal)


def _compare_values(expected: np.ndarray, got: np.ndarray, rtol, atol, path, reveal) -> str | None:
    if expected.size == 0:
        return None
    if got.dtype.kind == "c" and expected.dtype.kind != "c":
        return f"{_label(path)}: expected real numbers, got complex dtype {got.dtype}"
    e = expected.astype(np.float64)
    g = got.astype(np.float64)
    if np.isnan(g).any() and not np.isnan(e).any():
        where = tuple(int(i) for i in np.argwhere(np.isnan(g))[0])
        return f"{_label(path)}: contains NaN (first at index {where})"
    close = np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return None
    err = np.where(close, 0.0, np.abs(g - e))
    err = np.nan_to_num(err, nan=np.inf)
    flat = int(np.argmax(err))
    where = np.unravel_index(flat, e.shape) if e.ndim else ()
    n_bad = int((~close).sum())
    at = f" at index {tuple(int(i) for i in where)}" if e.ndim else ""
    detail = (f"expected {float(e.flat[flat]):.6g}, got {float(g.flat[flat]):.6g}" if reveal
              else f"you returned {float(g.flat[flat]):.6g} there")
    return (f"{_label(path)}: values differ: {n_bad} of {e.size} entries wrong, "
            f"max abs error {float(err.flat[flat]):.4g}{at} ({detail})")


def first_shape(value):
    """Shape of the first array in a (possibly nested) output, for shape-only mistakes."""
    if isinstance(value, (tuple, list)):
        return first_shape(value[0]) if value else None
    return np.shape(value) if isinstance(value, np.ndarray) else None
