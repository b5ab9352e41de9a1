"""VGG19 as a feature extractor for style transfer, without downloading anything.

Keras downloads ImageNet weights on first use of `keras.applications.VGG19(weights=
"imagenet")` and keeps them in its cache, `$KERAS_HOME/models/` (`~/.keras/models/` by
default). `load_vgg19` looks for that cached file and loads it by path, so it never goes
online. To fill the cache, run once on a machine with internet:

    import keras; keras.applications.VGG19(include_top=False, weights="imagenet")

or copy `vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5` into that folder.

Without the file, `load_vgg19(weights="auto")` falls back to VGG19 with random weights
(He-normal, drawn from a fixed seed). Random convolutions still respond to colours, edges
and textures, so the costs and the optimisation work the same way, but the results are
not artistic: there are no learned features. The returned description says which weights
were loaded; print it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

WEIGHTS_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"


def keras_home() -> Path:
    """Keras's cache folder: `$KERAS_HOME`, else `~/.keras` (`/tmp/.keras` if `~` is read-only)."""
    if os.environ.get("KERAS_HOME"):
        return Path(os.environ["KERAS_HOME"])
    home = Path(os.path.expanduser("~"))
    return (home if os.access(home, os.W_OK) else Path("/tmp")) / ".keras"


def cached_weights_path() -> Path | None:
    """The cached ImageNet weights of VGG19 without its top, or None when absent."""
    path = keras_home() / "models" / WEIGHTS_FILE
    return path if path.is_file() else None


def random_vgg_weights(model, seed=0):
    """Set every convolution of `model` to He-normal kernels and zero biases (numpy, seeded).

    The same seed gives the same weights on every Keras backend, and ReLU activations keep
    roughly the same scale from layer to layer.
    """
    import keras

    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            kernel, bias = layer.get_weights()
            fan_in = int(np.prod(kernel.shape[:-1]))
            layer.set_weights([rng.normal(0, np.sqrt(2.0 / fan_in), kernel.shape).astype("float32"),
                               np.zeros_like(bias)])


def load_vgg19(weights="auto", seed=0, input_shape=(None, None, 3)):
    """VGG19 without its classifier, frozen.

    Args:
        weights: "auto" (the cached ImageNet file if there is one, else random), "imagenet"
            (the cached file, else let Keras download it: needs internet), "random", or the
            path of a weights file in the Keras `.h5` format.
        seed: int, seed of the random weights.
        input_shape: tuple `(H, W, 3)`; None sizes accept any image size.

    Returns:
        (model, description): the `keras.Model`, and a sentence saying which weights it has.
    """
    import keras

    cached = cached_weights_path()
    if weights == "auto":
        weights = str(cached) if cached else "random"
    elif weights == "imagenet" and cached:
        weights = str(cached)
    if weights == "random":
        model = keras.applications.VGG19(include_top=False, weights=None, input_shape=input_shape)
        random_vgg_weights(model, seed)
        description = (f"VGG19 with RANDOM weights (seed {seed}): no ImageNet weights in "
                       f"{keras_home() / 'models'}. The costs and the optimisation are real, but "
                       "the features are not learned, so the result is not artistic.")
    elif weights == "imagenet":
        model = keras.applications.VGG19(include_top=False, weights="imagenet", input_shape=input_shape)
        description = "VGG19 with ImageNet weights (downloaded by Keras)"
    else:
        if not Path(weights).is_file():
            raise FileNotFoundError(f"no weights file {weights}")
        model = keras.applications.VGG19(include_top=False, weights=str(weights), input_shape=input_shape)
        description = f"VGG19 with ImageNet weights from {weights}"
    model.trainable = False
    return model, description


def feature_extractor(vgg, layer_names):
    """A model mapping images to the list of activations of `layer_names`, in that order.

    With `layer_names = [name for name, _ in STYLE_LAYERS] + [CONTENT_LAYER]`, its outputs
    follow the assignment's convention: the style layers, then the content layer last.
    """
    import keras

    outputs = [vgg.get_layer(name).output for name in layer_names]
    return keras.Model(vgg.input, outputs, name="vgg_features")


def preprocess(images):
    """Images in [0, 1] `(batch, H, W, 3)` -> VGG inputs (BGR, ImageNet means subtracted)."""
    import keras

    return keras.applications.vgg19.preprocess_input(images * 255.0)
