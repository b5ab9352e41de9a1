import numpy as np
import pytest

from cnnlab.grader import wire


def roundtrip(value, tmp_path):
    arrays = {}
    tree = wire.encode(value, arrays)
    wire.save_arrays(tmp_path / "x.npz", arrays)
    return wire.decode(tree, wire.load_arrays(tmp_path / "x.npz"))


def test_roundtrip_keeps_structure(tmp_path):
    value = (np.arange(6.0).reshape(2, 3), {"stride": 2, "pad": 0}, [None, "max", 1.5, True])
    back = roundtrip(value, tmp_path)
    assert isinstance(back, tuple) and isinstance(back[2], list)
    np.testing.assert_array_equal(back[0], value[0])
    assert back[1] == {"stride": 2, "pad": 0} and back[2] == [None, "max", 1.5, True]


def test_numpy_subclass_arrives_as_plain_ndarray(tmp_path):
    class Sneaky(np.ndarray):
        def __eq__(self, other):
            return True

    back = roundtrip(np.zeros(3).view(Sneaky), tmp_path)
    assert type(back) is np.ndarray


def test_non_numeric_values_are_refused():
    with pytest.raises(wire.WireError):
        wire.encode(np.array([object()]), {})
    with pytest.raises(wire.WireError):
        wire.encode(object(), {})


def test_pickled_npz_is_refused(tmp_path):
    np.save(tmp_path / "evil.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    import zipfile
    with zipfile.ZipFile(tmp_path / "evil.npz", "w") as z:
        z.write(tmp_path / "evil.npy", "evil.npy")
    with pytest.raises(ValueError):
        wire.load_arrays(tmp_path / "evil.npz")


def test_deep_nesting_is_refused():
    value = []
    for _ in range(50):
        value = [value]
    with pytest.raises(wire.WireError):
        wire.encode(value, {})
