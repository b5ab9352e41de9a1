"""Train a small YOLO-style detector on the shape scenes: `cnnlab train yolo [options]`.

The detector is five 3x3 convolutions (a stride-2 one, three followed by 2x2 max pooling,
one on the grid) and a 1x1 convolution: a 128x128 image becomes an 8x8 grid with A anchors
per cell and 5 + C numbers per anchor, the layout `yolo_head` decodes. It trains on the
fixed training split plus freshly generated scenes (--extra-images), each shown under a
random flip or transpose; anchors come from k-means on the training boxes. The loss is
YOLOv2-like: squared error on the in-cell centre and the log size ratio of the anchor
responsible for each object, binary cross-entropy on every anchor's objectness,
cross-entropy on the class. Boxes are predicted on the held-out split with the
assignment's reference `yolo_eval`, drawn to a PNG, and scored by mAP@0.5.

Outputs (under --out, default ./out/yolo): yolo_detector.keras (the model), anchors.json,
predictions.png, metrics.json.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from cnnlab.data import CLASSES, DETECTION_SPLITS, NUM_CLASSES, kmeans_anchors, load_detection, make_detection
from cnnlab.data.detection import encode_batch, mean_average_precision
from cnnlab.grader.spec import sibling

IMAGE_SIZE = 128
STRIDE = 16  # a stride-2 convolution and three 2x2 poolings
GRID = IMAGE_SIZE // STRIDE
EXTRA_SEED = 5005  # extra training scenes: a seed no fixed split uses


def parse_args(argv):
    p = argparse.ArgumentParser(prog="cnnlab train yolo", description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--out", type=Path, default=Path("out/yolo"))
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (cosine decay)")
    p.add_argument("--anchors", type=int, default=5, help="number of k-means anchors A")
    p.add_argument("--width", type=int, default=16, help="filters of the first convolution")
    p.add_argument("--train-images", type=int, default=None, help="use only the first N (default all)")
    p.add_argument("--extra-images", type=int, default=1600,
                   help="also train on N freshly generated scenes (same generator settings, other seed)")
    p.add_argument("--test-images", type=int, default=None, help="use only the first N (default all)")
    p.add_argument("--score-threshold", type=float, default=0.4, help="for the picture (mAP uses 0.01)")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def box_anchors(boxes, k, seed=0):
    """k-means anchors of the training boxes, in grid cells: float array `(k, 2)`."""
    all_boxes = np.concatenate(boxes)
    wh = np.stack([all_boxes[:, 2] - all_boxes[:, 0], all_boxes[:, 3] - all_boxes[:, 1]], axis=1)
    return kmeans_anchors(wh, k, seed=seed) / STRIDE


def dihedral(image, boxes, transpose, flip_x, flip_y):
    """One of the 8 symmetries of the square, applied to an image and its boxes.

    Args:
        image: array `(H, W, 3)` with H == W.
        boxes: float array `(k, 4)`, corners `(x1, y1, x2, y2)`.
        transpose, flip_x, flip_y: bools (applied in that order).

    Returns:
        `(image, boxes)` transformed.
    """
    size = image.shape[1]
    boxes = np.array(boxes, dtype=np.float32).reshape(-1, 4)
    if transpose:
        image = image.transpose(1, 0, 2)
        boxes = boxes[:, [1, 0, 3, 2]]
    if flip_x:
        image = image[:, ::-1]
        boxes = np.stack([size - boxes[:, 2], boxes[:, 1], size - boxes[:, 0], boxes[:, 3]], axis=1)
    if flip_y:
        image = image[::-1]
        boxes = np.stack([boxes[:, 0], size - boxes[:, 3], boxes[:, 2], size - boxes[:, 1]], axis=1)
    return np.ascontiguousarray(image), boxes


def make_sequence(images, boxes, labels, anchors, batch_size, seed):
    """Batches of (images, YOLO targets), each image under a random symmetry of the square."""
    import keras

    class Scenes(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.rng = np.random.default_rng(seed)
            self.order = self.rng.permutation(len(images))

        def __len__(self):
            return math.ceil(len(images) / batch_size)

        def __getitem__(self, index):
            picked = self.order[index * batch_size:(index + 1) * batch_size]
            xs, bs = [], []
            for i in picked:
                x, b = dihedral(images[i], boxes[i], *self.rng.integers(0, 2, 3))
                xs.append(x)
                bs.append(b)
            y = encode_batch(bs, [labels[i] for i in picked], anchors, GRID, IMAGE_SIZE, NUM_CLASSES)
            return np.stack(xs).astype("float32"), y

        def on_epoch_end(self):
            self.order = self.rng.permutation(len(images))

    return Scenes()


def build_model(num_anchors, num_classes, width=16):
    """The detector: `(n, 128, 128, 3)` images in [0, 255] -> `(n, 8, 8, A, 5 + C)` raw outputs.

    A stride-2 convolution, then three 3x3 convolutions each followed by 2x2 max pooling
    (128 -> 64 -> 32 -> 16 -> 8), a 3x3 convolution on the 8x8 grid and a 1x1 convolution
    giving A * (5 + C) numbers per cell. Batch normalisation and leaky ReLU after each 3x3.
    """
    import keras
    from keras import layers

    def conv(x, filters, strides=1):
        x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        return layers.LeakyReLU(0.1)(x)

    inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3))
    x = layers.Rescaling(1 / 255.0)(inputs)
    x = conv(x, width, strides=2)
    for filters in (2 * width, 4 * width, 8 * width):
        x = layers.MaxPooling2D(2)(conv(x, filters))
    x = conv(x, 16 * width)
    x = layers.Conv2D(num_anchors * (5 + num_classes), 1)(x)
    outputs = layers.Reshape((GRID, GRID, num_anchors, 5 + num_classes))(x)
    return keras.Model(inputs, outputs, name="tiny_yolo")


def yolo_loss(y_true, y_pred, lambda_coord=5.0, lambda_noobj=1.0):
    """YOLOv2-style loss, summed over cells and anchors, averaged over images.

    Args:
        y_true: `(n, S, S, A, 5 + C)` targets from `encode_batch`.
        y_pred: `(n, S, S, A, 5 + C)` raw outputs `[t_x, t_y, t_w, t_h, t_o, t_1 .. t_C]`.
        lambda_coord: weight of the box terms.
        lambda_noobj: weight of the objectness term where there is no object.

    Returns:
        scalar loss.
    """
    from keras import ops

    obj = y_true[..., 4]
    xy = ops.sum(ops.square(ops.sigmoid(y_pred[..., 0:2]) - y_true[..., 0:2]), axis=-1)
    wh = ops.sum(ops.square(y_pred[..., 2:4] - y_true[..., 2:4]), axis=-1)
    bce = ops.binary_crossentropy(obj, y_pred[..., 4], from_logits=True)
    cls = ops.categorical_crossentropy(y_true[..., 5:], y_pred[..., 5:], from_logits=True)
    per_anchor = (lambda_coord * obj * (xy + wh) + obj * bce + lambda_noobj * (1.0 - obj) * bce
                  + obj * cls)
    return ops.sum(per_anchor) / ops.cast(ops.shape(y_true)[0], per_anchor.dtype)


def detect(model, ref, images, anchors, score_threshold, max_boxes=10, iou_threshold=0.45):
    """Run the detector and the reference post-processing on each image.

    Returns:
        Three lists of `n` arrays: boxes `(d_i, 4)` as `(x1, y1, x2, y2)` pixels, scores
        `(d_i,)`, classes `(d_i,)`.
    """
    from keras import ops

    feats = model.predict(images.astype("float32"), batch_size=50, verbose=0)
    out_boxes, out_scores, out_classes = [], [], []
    for i in range(len(images)):
        outputs = ref.yolo_head(feats[i:i + 1], anchors, NUM_CLASSES)
        scores, boxes, classes = ref.yolo_eval(outputs, (IMAGE_SIZE, IMAGE_SIZE), max_boxes,
                                               score_threshold, iou_threshold)
        boxes = np.clip(ops.convert_to_numpy(boxes), 0, IMAGE_SIZE)  # [y1, x1, y2, x2]
        out_boxes.append(boxes[:, [1, 0, 3, 2]])
        out_scores.append(ops.convert_to_numpy(scores))
        out_classes.append(ops.convert_to_numpy(classes).astype(int))
    return out_boxes, out_scores, out_classes


def save_predictions(path, images, boxes, scores, classes, true_boxes, columns=4, rows=3):
    """Predicted boxes (coloured by class, with scores) over images; ground truth dashed."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    colours = ["tab:red", "tab:blue", "tab:green", "tab:orange", "tab:purple", "tab:cyan"]
    count = min(len(images), columns * rows)
    fig = Figure(figsize=(3.0 * columns, 3.1 * rows))
    for i in range(count):
        ax = fig.add_subplot(rows, columns, i + 1)
        ax.imshow(images[i], extent=(0, IMAGE_SIZE, IMAGE_SIZE, 0), interpolation="nearest")
        ax.set_axis_off()
        for x1, y1, x2, y2 in true_boxes[i]:
            ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor="white",
                                   linestyle="--", linewidth=0.8))
        for (x1, y1, x2, y2), s, c in zip(boxes[i], scores[i], classes[i]):
            colour = colours[int(c) % len(colours)]
            ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor=colour, linewidth=1.6))
            ax.text(x1, y1, f"{CLASSES[int(c)]} {s:.2f}", fontsize=7, color="white", va="bottom",
                    bbox={"facecolor": colour, "pad": 0.8, "linewidth": 0})
    fig.suptitle("held-out scenes: predicted boxes (solid), ground truth (dashed)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return Path(path)


def main(argv=None) -> int:
    args = parse_args(argv or [])
    import keras
    from rich.console import Console

    console = Console()
    keras.utils.set_random_seed(args.seed)
    ref = sibling(__file__, "yolo.py")
    args.out.mkdir(parents=True, exist_ok=True)

    x_train, b_train, l_train = load_detection("train")
    x_test, b_test, l_test = load_detection("test")
    x_train, b_train, l_train = x_train[:args.train_images], b_train[:args.train_images], l_train[:args.train_images]
    x_test, b_test, l_test = x_test[:args.test_images], b_test[:args.test_images], l_test[:args.test_images]
    if args.extra_images:
        spec = {k: v for k, v in DETECTION_SPLITS["train"].items() if k not in ("n", "seed")}
        x_more, b_more, l_more = make_detection(args.extra_images, seed=EXTRA_SEED + args.seed, **spec)
        x_train = np.concatenate([x_train, x_more])
        b_train, l_train = list(b_train) + list(b_more), list(l_train) + list(l_more)
    anchors = box_anchors(b_train, args.anchors, seed=args.seed)
    console.print(f"{len(x_train)} training and {len(x_test)} held-out scenes, grid {GRID}x{GRID}, "
                  f"{len(anchors)} anchors (w x h, cells): "
                  + ", ".join(f"{w:.2f}x{h:.2f}" for w, h in anchors))

    data = make_sequence(x_train, b_train, l_train, anchors, args.batch_size, args.seed)
    model = build_model(len(anchors), NUM_CLASSES, args.width)
    steps = max(1, args.epochs * len(data))
    schedule = keras.optimizers.schedules.CosineDecay(0.0, steps, warmup_target=args.lr,
                                                      warmup_steps=min(len(data) * 2, steps // 10))
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=yolo_loss)
    started = time.monotonic()
    val = (x_test.astype("float32"), encode_batch(b_test, l_test, anchors, GRID, IMAGE_SIZE, NUM_CLASSES))
    model.fit(data, epochs=args.epochs, verbose=1, validation_data=val)
    train_seconds = time.monotonic() - started

    boxes, scores, classes = detect(model, ref, x_test, anchors, score_threshold=0.01, max_boxes=20)
    mAP, ap = mean_average_precision(boxes, scores, classes, b_test, l_test, NUM_CLASSES, 0.5)
    keep = [s >= args.score_threshold for s in scores]
    picture = save_predictions(args.out / "predictions.png", x_test, [b[k] for b, k in zip(boxes, keep)],
                               [s[k] for s, k in zip(scores, keep)], [c[k] for c, k in zip(classes, keep)],
                               b_test)
    model.save(args.out / "yolo_detector.keras")
    (args.out / "anchors.json").write_text(json.dumps(
        {"grid": GRID, "image_size": IMAGE_SIZE, "anchors_in_cells": anchors.tolist(),
         "classes": list(CLASSES)}, indent=2))
    metrics = {"mAP@0.5": mAP, "ap_per_class": {c: (None if np.isnan(a) else float(a)) for c, a in zip(CLASSES, ap)},
               "epochs": args.epochs, "train_images": len(x_train), "test_images": len(x_test),
               "train_seconds": round(train_seconds, 1)}
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    console.print("AP@0.5 per class: " + ", ".join(f"{c} {a:.3f}" for c, a in zip(CLASSES, ap) if not np.isnan(a)))
    console.print(f"[bold]mAP@0.5 on {len(x_test)} held-out scenes: {mAP:.3f}[/] "
                  f"(trained {args.epochs} epochs in {train_seconds:.0f} s)")
    console.print(f"saved {args.out / 'yolo_detector.keras'}, {picture}, {args.out / 'metrics.json'}")
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
