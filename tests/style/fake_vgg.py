"""A stand-in for Keras's cached VGG19 ImageNet weights file, generated at test time."""

import h5py
import numpy as np

# VGG19 without its top, as in Keras's weight file: (block, convolutions, filters).
BLOCKS = [(1, 2, 64), (2, 2, 128), (3, 4, 256), (4, 4, 512), (5, 4, 512)]


def write_fake_imagenet_file(path, averaging=False):
    """A file in the legacy Keras HDF5 layout of `vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5`.

    Each convolution k gets a constant kernel 0.001 * k and bias k (with `averaging`, the
    kernel 1 / fan_in and bias 0, which keeps activations finite through all 16 layers).
    Datasets are written with a fill value only, so the 80 MB of weights take a few kB on
    disk. Returns {layer name: (kernel value, bias value)}.
    """
    layer_names, k, channels = [], 0, 3
    values = {}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.2.4"
        f.attrs["backend"] = b"tensorflow"
        for block, convs, filters in BLOCKS:
            for i in range(1, convs + 1):
                k += 1
                name = f"block{block}_conv{i}"
                group = f.create_group(name)
                kernel, bias = f"{name}/kernel:0", f"{name}/bias:0"
                kernel_value = 1.0 / (9 * channels) if averaging else 0.001 * k
                bias_value = 0.0 if averaging else float(k)
                group.create_dataset(kernel, shape=(3, 3, channels, filters), dtype="f4", fillvalue=kernel_value)
                group.create_dataset(bias, shape=(filters,), dtype="f4", fillvalue=bias_value)
                group.attrs["weight_names"] = [kernel.encode(), bias.encode()]
                layer_names.append(name)
                values[name] = (kernel_value, bias_value)
                channels = filters
            pool = f"block{block}_pool"
            f.create_group(pool).attrs["weight_names"] = np.array([], dtype="S1")
            layer_names.append(pool)
        f.attrs["layer_names"] = [n.encode() for n in ["input_1"] + layer_names]
        f.create_group("input_1").attrs["weight_names"] = np.array([], dtype="S1")
    return values
