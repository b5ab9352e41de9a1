"""Neural style transfer with VGG19 features: `cnnlab train style [options]`.

A generated image G starts as the content image plus noise and is optimised with Adam to
lower `total_cost(J_content, J_style)`, computed with the assignment's reference
functions on VGG19 activations: the style layers of `STYLE_LAYERS`, then the content
layer last. Pictures come from installed packages (see `cnnlab.data.images`); nothing is
downloaded.

VGG19 weights: ImageNet weights are used when Keras has them in its cache
(`$KERAS_HOME/models/` or `~/.keras/models/`); otherwise VGG19 with fixed random weights
stands in, and the output says so: the optimisation is real but the result is not
artistic. `--weights PATH` loads a weights file directly.

Outputs (under --out, default ./out/style): style_transfer.png (content | style | result,
and the costs per step), result.png, costs.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from cnnlab.data.images import available_images, load_image
from cnnlab.grader import registry
from cnnlab.grader.spec import load_module, sibling


def parse_args(argv):
    p = argparse.ArgumentParser(prog="cnnlab train style", description=__doc__.split("\n\n")[0])
    p.add_argument("--content", default="grace_hopper", help=f"one of: {', '.join(available_images())}")
    p.add_argument("--style", default="mosaic", help="same choices as --content")
    p.add_argument("--size", type=int, default=96, help="side of the square images in pixels")
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--lr", type=float, default=0.02, help="Adam learning rate (pixels in [0, 1])")
    p.add_argument("--alpha", type=float, default=10.0, help="weight of the content cost")
    p.add_argument("--beta", type=float, default=40.0, help="weight of the style cost")
    p.add_argument("--noise", type=float, default=0.1, help="uniform noise added to the start image")
    p.add_argument("--weights", default="auto",
                   help='"auto" (cached ImageNet weights, else random), "imagenet", "random" or a file')
    p.add_argument("--content-layer", default=None, help="default: the reference's CONTENT_LAYER")
    p.add_argument("--out", type=Path, default=Path("out/style"))
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def value_and_grad(cost_fn, variable):
    """`cost_fn(variable) -> (cost, aux)`; returns `((cost, aux), d cost / d variable)`.

    The one backend-specific part of the demo.
    """
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            cost, aux = cost_fn(variable)
        return (cost, aux), tape.gradient(cost, variable)
    raise NotImplementedError(f"the style demo computes gradients with TensorFlow only; "
                              f"run it with KERAS_BACKEND=tensorflow (now {backend!r})")


def transfer(ref, extractor, preprocess, content, style, steps, lr=0.02, alpha=10.0, beta=40.0,
             noise=0.1, seed=0, log_every=10, log=print):
    """Optimise a generated image; returns (image (H, W, 3) in [0, 1], list of per-step costs).

    Args:
        ref: the module with `compute_content_cost`, `compute_style_cost`, `total_cost`,
            `STYLE_LAYERS`.
        extractor: model, images `(1, H, W, 3)` -> [style activations..., content activations].
        preprocess: function from images in [0, 1] to the extractor's inputs.
        content, style: float arrays `(H, W, 3)` in [0, 1].
    """
    import keras
    from keras import ops

    a_C = extractor(preprocess(ops.convert_to_tensor(content[None])))
    a_S = extractor(preprocess(ops.convert_to_tensor(style[None])))
    rng = np.random.default_rng(seed)
    start = np.clip(content + rng.uniform(-noise, noise, content.shape), 0, 1).astype("float32")
    generated = keras.Variable(start[None], name="generated")
    optimizer = keras.optimizers.Adam(lr)

    def cost_fn(g):
        a_G = extractor(preprocess(g))
        J_content = ref.compute_content_cost(a_C[-1], a_G[-1])
        J_style = ref.compute_style_cost(a_S, a_G, ref.STYLE_LAYERS)
        return ref.total_cost(J_content, J_style, alpha=alpha, beta=beta), (J_content, J_style)

    history = []
    for step in range(1, steps + 1):
        (J, (J_content, J_style)), grad = value_and_grad(cost_fn, generated)
        optimizer.apply_gradients([(grad, generated)])
        generated.assign(ops.clip(generated, 0.0, 1.0))
        history.append({"step": step, "J": float(J), "J_content": float(J_content), "J_style": float(J_style)})
        if log and (step % log_every == 0 or step in (1, steps)):
            log(f"step {step:4d}/{steps}  J {float(J):.5g}  J_content {float(J_content):.5g}  "
                f"J_style {float(J_style):.5g}")
    return np.asarray(ops.convert_to_numpy(generated))[0], history


def save_panels(path, content, style, result, history, title):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 3.6))
    for i, (image, name) in enumerate([(content, "content"), (style, "style"), (result, "result")]):
        ax = fig.add_subplot(1, 4, i + 1)
        ax.imshow(np.clip(image, 0, 1))
        ax.set_title(name)
        ax.set_axis_off()
    ax = fig.add_subplot(1, 4, 4)
    steps = [h["step"] for h in history]
    for key in ("J", "J_content", "J_style"):
        ax.plot(steps, [h[key] for h in history], label=key)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_title("costs")
    ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None) -> int:
    args = parse_args(argv)
    import keras
    from matplotlib.image import imsave

    keras.utils.set_random_seed(args.seed)
    ref = sibling(__file__, "style.py")
    vgg = load_module(registry.assignments_dir() / "style" / "vgg.py", "cnnlab_style_vgg")
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    content, style = load_image(args.content, args.size), load_image(args.style, args.size)
    model, description = vgg.load_vgg19(args.weights, seed=args.seed)
    pretrained = "RANDOM" not in description
    print(("" if pretrained else "WARNING: ") + description)
    layers = [name for name, _ in ref.STYLE_LAYERS] + [args.content_layer or ref.CONTENT_LAYER]
    extractor = vgg.feature_extractor(model, layers)
    print(f"content {args.content!r}, style {args.style!r}, {args.size}x{args.size} pixels, {args.steps} steps, "
          f"alpha {args.alpha:g}, beta {args.beta:g}; style layers {layers[:-1]}, content layer {layers[-1]}")

    result, history = transfer(ref, extractor, vgg.preprocess, content, style, args.steps, args.lr,
                               args.alpha, args.beta, args.noise, args.seed)
    seconds = time.monotonic() - started
    title = (f"{args.content} in the style of {args.style}: {args.steps} steps, "
             + ("ImageNet VGG19" if pretrained else "VGG19 with RANDOM weights (no ImageNet weights "
                "cached): not artistic"))
    save_panels(args.out / "style_transfer.png", content, style, result, history, title)
    imsave(args.out / "result.png", np.clip(result, 0, 1))
    (args.out / "costs.json").write_text(json.dumps({"weights": description, "history": history,
                                                     "seconds": round(seconds, 1)}, indent=1))
    first, last = history[0]["J"], history[-1]["J"]
    print(f"total cost {first:.5g} -> {last:.5g} in {seconds:.0f} s; wrote {args.out / 'style_transfer.png'}, "
          f"{args.out / 'result.png'}, {args.out / 'costs.json'}")
    if not pretrained:
        print("NOTE: the result above comes from a VGG19 with random weights (offline fallback); with "
              "ImageNet weights in the Keras cache it would carry the style's strokes and textures.")
    return 0
