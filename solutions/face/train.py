"""Train a face encoder with the triplet loss: `cnnlab train face [options]`.

Data: procedurally drawn faces (`cnnlab.data.faces`), 400 training people and 100 test
people, 10 photos each; the test people are never seen in training. 40 of the training
people are kept apart as a validation set, used only to pick the distance threshold.

Model: five 3x3 convolutions (16, 32, 32, 64, 64 filters, each with batch norm and ReLU;
2x2 max pooling after the 1st and 3rd) and global average pooling, then a dense layer to
d = 64 numbers and L2 normalization (random flips and shifts augment the photos).
Inputs are photos scaled to [0, 1], as `img_to_encoding` feeds them.

Training: each batch holds P people x K photos. The loss is the assignment's reference
`triplet_loss` on triplets mined online in the batch: every (anchor, positive) pair of
the same person gets a negative chosen from the other people by its current distance:
"semi-hard" (the default) takes the nearest negative that is still farther than the
positive, or the farthest negative when none is; "hard" takes the nearest negative.

Evaluation on the test people: ROC AUC over every pair of photos (same person vs
different people), verification accuracy (balanced: the mean of the true-accept and
true-reject rates) at the validation threshold and at the assignment's 0.7, and one-shot
identification: with one photo of each test person in a database, how often the nearest
encoding (`who_is_it`) names the right person. The same numbers are given for the
untrained network and for raw pixels, for comparison.

Outputs (under --out, default ./out/face): encoder.keras, roc.png (ROC curves and the
distance histograms), faces.png (sample photos), metrics.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from cnnlab.data.faces import FACE_SPLITS, load_faces, make_faces, save_face_grid
from cnnlab.grader.spec import sibling

ASSIGNMENT_THRESHOLD = 0.7


def parse_args(argv):
    p = argparse.ArgumentParser(prog="cnnlab train face", description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=25)
    p.add_argument("--out", type=Path, default=Path("out/face"))
    p.add_argument("--people", type=int, default=16, help="people per batch (P)")
    p.add_argument("--photos", type=int, default=4, help="photos per person in a batch (K)")
    p.add_argument("--dim", type=int, default=64, help="encoding size d")
    p.add_argument("--width", type=int, default=16, help="filters of the first convolution")
    p.add_argument("--alpha", type=float, default=0.2, help="triplet margin")
    p.add_argument("--mining", choices=("semi-hard", "hard"), default="semi-hard")
    p.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (cosine decay)")
    p.add_argument("--val-people", type=int, default=40, help="training people kept for the threshold")
    p.add_argument("--train-people", type=int, default=None,
                   help="draw a new training set of N people (default: the fixed split)")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


# --------------------------------------------------------------------------
# Batches of P people x K photos, and the loss on triplets mined inside them
# --------------------------------------------------------------------------

def pk_batches(labels, people, photos, rng):
    """Index batches where each person present contributes exactly `photos` photos.

    Every person's photos are shuffled and cut into groups of `photos` (a remainder is
    dropped this epoch); the groups are shuffled and packed `people` to a batch.

    Args:
        labels: int array of shape `(N,)`.
        people: int P, groups per batch.
        photos: int K, photos per group.
        rng: `numpy.random.Generator`.

    Returns:
        int array of shape `(n_batches, P * K)` of indices into `labels`; photos of a group
        are consecutive.
    """
    groups = []
    for person in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == person))
        groups += [idx[i:i + photos] for i in range(0, len(idx) - photos + 1, photos)]
    order = rng.permutation(len(groups))
    n_batches = len(groups) // people
    if n_batches == 0:
        raise ValueError(f"not enough people for a batch of {people} x {photos} photos")
    return np.stack([np.concatenate([groups[g] for g in order[b * people:(b + 1) * people]])
                     for b in range(n_batches)])


def positive_pairs(people, photos):
    """All ordered (anchor, positive) index pairs inside each group of a P x K batch.

    Returns:
        two int arrays of shape `(P * K * (K - 1),)`.
    """
    a, p = [], []
    for g in range(people):
        for i in range(photos):
            for j in range(photos):
                if i != j:
                    a.append(g * photos + i)
                    p.append(g * photos + j)
    return np.array(a, np.int32), np.array(p, np.int32)


def pairwise_sq_distances(embeddings):
    """Squared L2 distances between the rows of `embeddings` `(B, d)`: shape `(B, B)`."""
    from keras import ops

    sq = ops.sum(ops.square(embeddings), axis=-1)
    d2 = sq[:, None] - 2.0 * ops.matmul(embeddings, ops.transpose(embeddings)) + sq[None, :]
    return ops.maximum(d2, 0.0)


def mine_negatives(d2, labels, anchors, positives, mining="semi-hard"):
    """For each (anchor, positive) pair, the index of its negative in the batch.

    Args:
        d2: float tensor of shape `(B, B)`, squared distances (no gradient needed).
        labels: tensor of shape `(B,)`, the person of each photo.
        anchors, positives: int arrays of shape `(T,)`.
        mining: "semi-hard" or "hard".

    Returns:
        int tensor of shape `(T,)`.
    """
    from keras import ops

    big = 1e9
    d_an = ops.take(d2, anchors, axis=0)  # (T, B)
    d_ap = ops.take_along_axis(d_an, ops.convert_to_tensor(positives[:, None]), axis=1)  # (T, 1)
    negative = ops.not_equal(ops.take(labels, anchors)[:, None], labels[None, :])  # (T, B)
    hardest = ops.argmin(ops.where(negative, d_an, big), axis=1)
    if mining == "hard":
        return hardest
    farther = ops.logical_and(negative, ops.greater(d_an, d_ap))
    semi_hard = ops.argmin(ops.where(farther, d_an, big), axis=1)
    easiest = ops.argmax(ops.where(negative, d_an, -big), axis=1)
    return ops.where(ops.any(farther, axis=1), semi_hard, easiest)


def make_mined_loss(triplet_loss, people, photos, alpha=0.2, mining="semi-hard"):
    """A Keras loss `(labels (B,), embeddings (B, d)) -> scalar` for P x K batches.

    It mines one negative per (anchor, positive) pair and returns the reference
    `triplet_loss` of those T triplets divided by T (the mean term, so that the scale does
    not depend on the batch size).
    """
    from keras import ops

    anchors, positives = positive_pairs(people, photos)

    def mined_triplet_loss(labels, embeddings):
        labels = ops.reshape(labels, (-1,))
        d2 = ops.stop_gradient(pairwise_sq_distances(embeddings))
        negatives = mine_negatives(d2, labels, anchors, positives, mining)
        triplets = (ops.take(embeddings, anchors, axis=0), ops.take(embeddings, positives, axis=0),
                    ops.take(embeddings, negatives, axis=0))
        return triplet_loss(None, triplets, alpha) / len(anchors)

    return mined_triplet_loss


# --------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------

def build_encoder(input_shape, dim=64, width=32):
    """The encoder: photos in [0, 1] `(batch, H, W, 3)` -> unit encodings `(batch, dim)`."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape)
    x = layers.RandomFlip("horizontal")(inputs)  # faces are drawn left-right symmetric
    x = layers.RandomTranslation(0.06, 0.06, fill_mode="nearest")(x)
    for i, filters in enumerate([width, 2 * width, 2 * width, 4 * width, 4 * width]):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        if i in (0, 2):
            x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(dim)(x)
    outputs = layers.UnitNormalization()(x)
    return keras.Model(inputs, outputs, name="face_encoder")


def pk_sequence(images, labels, people, photos, seed):
    """A `keras.utils.PyDataset` of P x K batches `(photos in [0, 1], labels)`, reshuffled
    every epoch."""
    import keras

    class PKSequence(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.rng = np.random.default_rng(seed)
            self.batches = pk_batches(labels, people, photos, self.rng)

        def __len__(self):
            return len(self.batches)

        def __getitem__(self, i):
            idx = self.batches[i]
            return images[idx].astype(np.float32) / 255.0, labels[idx].astype(np.float32)

        def on_epoch_end(self):
            self.batches = pk_batches(labels, people, photos, self.rng)

    return PKSequence()


# --------------------------------------------------------------------------
# Evaluation: pair distances, ROC, accuracy, one-shot identification
# --------------------------------------------------------------------------

def encode(model, images, batch_size=256):
    """Unit encodings `(N, d)` of uint8 photos `(N, H, W, 3)`."""
    out = model.predict(images.astype(np.float32) / 255.0, batch_size=batch_size, verbose=0)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def pair_distances(encodings, labels):
    """L2 distances of every unordered pair of photos, split by same / different person.

    Returns:
        (same, different): float arrays, the distances of same-person pairs and of
        different-person pairs.
    """
    e = np.asarray(encodings, np.float64)
    sq = np.sum(e * e, axis=1)
    d = np.sqrt(np.maximum(sq[:, None] - 2 * e @ e.T + sq[None, :], 0.0))
    i, j = np.triu_indices(len(e), k=1)
    same = labels[i] == labels[j]
    return d[i, j][same], d[i, j][~same]


def roc_auc(same, different):
    """Probability that a same-person pair is closer than a different-person pair (ties 1/2).

    Args:
        same: float array `(n_s,)` of distances; different: float array `(n_d,)`.

    Returns:
        float in [0, 1], the area under the ROC curve with "accept if distance < t".
    """
    diff = np.sort(np.asarray(different, np.float64))
    s = np.asarray(same, np.float64)
    below = np.searchsorted(diff, s, side="left")  # different pairs closer than s
    ties = np.searchsorted(diff, s, side="right") - below
    wins = len(diff) - below - ties
    return float((wins.sum() + 0.5 * ties.sum()) / (len(s) * len(diff)))


def roc_curve(same, different):
    """False and true accept rates for every threshold "accept if distance <= t".

    Returns:
        (fpr, tpr, thresholds): float arrays of the same length, fpr and tpr non-decreasing,
        from (0, 0) to (1, 1).
    """
    same = np.sort(np.asarray(same, np.float64))
    diff = np.sort(np.asarray(different, np.float64))
    thresholds = np.concatenate([[-np.inf], np.unique(np.concatenate([same, diff]))])
    tpr = np.searchsorted(same, thresholds, side="right") / len(same)
    fpr = np.searchsorted(diff, thresholds, side="right") / len(diff)
    return fpr, tpr, thresholds


def balanced_accuracy(same, different, threshold):
    """Mean of the true-accept rate (same < t) and the true-reject rate (different >= t)."""
    return float(0.5 * (np.mean(np.asarray(same) < threshold) + np.mean(np.asarray(different) >= threshold)))


def best_threshold(same, different):
    """The threshold with the highest balanced accuracy (a midpoint between two distances)."""
    same, different = np.sort(same), np.sort(different)
    values = np.unique(np.concatenate([same, different]))
    candidates = np.concatenate([[values[0] - 1e-6], (values[:-1] + values[1:]) / 2, [values[-1] + 1e-6]])
    accept_same = np.searchsorted(same, candidates, side="left") / len(same)  # same < t
    reject_diff = 1.0 - np.searchsorted(different, candidates, side="left") / len(different)  # diff >= t
    return float(candidates[int(np.argmax(accept_same + reject_diff))])


def one_shot_accuracy(encodings, labels, rng):
    """Identification with one enrolled photo per person, as `who_is_it` does.

    For each person one random photo goes into the database; every other photo is named
    after its nearest database encoding.

    Returns:
        float, the fraction of photos named correctly.
    """
    people = np.unique(labels)
    enrolled = np.array([rng.choice(np.flatnonzero(labels == p)) for p in people])
    queries = np.setdiff1d(np.arange(len(labels)), enrolled)
    q, e = np.asarray(encodings[queries], np.float64), np.asarray(encodings[enrolled], np.float64)
    d2 = np.sum(q * q, axis=1)[:, None] - 2 * q @ e.T + np.sum(e * e, axis=1)[None, :]
    return float(np.mean(people[np.argmin(d2, axis=1)] == labels[queries]))


def evaluate(encodings, labels, threshold, seed=0):
    same, diff = pair_distances(encodings, labels)
    return {
        "roc_auc": roc_auc(same, diff),
        "accuracy_at_threshold": balanced_accuracy(same, diff, threshold),
        "accuracy_at_0.7": balanced_accuracy(same, diff, ASSIGNMENT_THRESHOLD),
        "one_shot_identification": one_shot_accuracy(encodings, labels, np.random.default_rng(seed)),
        "pairs": {"same": int(len(same)), "different": int(len(diff))},
    }, (same, diff)


def save_roc(path, curves, threshold, same, diff):
    """ROC curves (name -> (same, different) distances) and the trained model's histograms."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4.2))
    ax = fig.add_subplot(1, 2, 1)
    for name, (s, d) in curves.items():
        fpr, tpr, _ = roc_curve(s, d)
        keep = np.unique(np.linspace(0, len(fpr) - 1, 3000).astype(int))  # enough points to draw
        ax.plot(fpr[keep], tpr[keep], label=f"{name} (AUC {roc_auc(s, d):.3f})")
    fpr_t, tpr_t = np.mean(diff < threshold), np.mean(same < threshold)
    ax.plot([fpr_t], [tpr_t], "ko", label=f"threshold {threshold:.2f}")
    ax.plot([0, 1], [0, 1], ":", color="grey", linewidth=1)
    ax.set_xlabel("false accept rate (different people accepted)")
    ax.set_ylabel("true accept rate (same person accepted)")
    ax.set_title("ROC on held-out people")
    ax.legend(loc="lower right", fontsize=8)
    ax = fig.add_subplot(1, 2, 2)
    bins = np.linspace(0, 2, 61)
    ax.hist(diff, bins=bins, density=True, alpha=0.6, label="different people")
    ax.hist(same, bins=bins, density=True, alpha=0.6, label="same person")
    ax.axvline(threshold, color="k", linestyle="--", label=f"threshold {threshold:.2f}")
    ax.axvline(ASSIGNMENT_THRESHOLD, color="r", linestyle=":", label="0.7")
    ax.set_xlabel("L2 distance between encodings")
    ax.set_title("trained encoder: pair distances")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    args = parse_args(argv)
    import keras

    keras.utils.set_random_seed(args.seed)
    ref = sibling(__file__, "face.py")
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    if args.train_people:
        images, labels = make_faces(args.train_people, FACE_SPLITS["train"]["per_identity"],
                                    seed=FACE_SPLITS["train"]["seed"])
    else:
        images, labels = load_faces("train")
    test_images, test_labels = load_faces("test")
    people = np.unique(labels)
    val_people = np.random.default_rng(args.seed).choice(people, size=args.val_people, replace=False)
    is_val = np.isin(labels, val_people)
    train_x, train_y = images[~is_val], labels[~is_val]
    val_x, val_y = images[is_val], labels[is_val]
    save_face_grid(args.out / "faces.png", test_images, test_labels, people=6, per_person=8)
    print(f"faces: {len(np.unique(train_y))} training people ({len(train_y)} photos), "
          f"{len(val_people)} validation people, {len(np.unique(test_labels))} held-out test people "
          f"({len(test_labels)} photos), {images.shape[1]}x{images.shape[2]} pixels")

    model = build_encoder(images.shape[1:], args.dim, args.width)
    untrained = {"untrained network": encode(model, test_images)}
    pixels = test_images.reshape(len(test_images), -1).astype(np.float64)
    pixels -= pixels.mean(axis=1, keepdims=True)
    untrained["raw pixels"] = pixels / np.linalg.norm(pixels, axis=1, keepdims=True)

    data = pk_sequence(train_x, train_y, args.people, args.photos, args.seed)
    steps = len(data) * args.epochs
    schedule = keras.optimizers.schedules.CosineDecay(args.lr, decay_steps=steps, alpha=0.02)
    loss = make_mined_loss(ref.triplet_loss, args.people, args.photos, args.alpha, args.mining)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss)

    class Progress(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            line = f"epoch {epoch + 1:3d}/{args.epochs}  loss {logs['loss']:.4f}"
            if (epoch + 1) % 5 == 0 or epoch + 1 == args.epochs:
                s, d = pair_distances(encode(self.model, val_x), val_y)
                line += f"  validation AUC {roc_auc(s, d):.4f}"
            print(line + f"  ({time.monotonic() - started:.0f} s)", flush=True)

    print(f"training: {args.epochs} epochs x {len(data)} batches of {args.people} people x "
          f"{args.photos} photos, {args.mining} mining, alpha {args.alpha}")
    model.fit(data, epochs=args.epochs, verbose=0, callbacks=[Progress()])
    train_seconds = time.monotonic() - started

    val_same, val_diff = pair_distances(encode(model, val_x), val_y)
    threshold = best_threshold(val_same, val_diff)
    test_enc = encode(model, test_images)
    metrics, (same, diff) = evaluate(test_enc, test_labels, threshold, args.seed)
    curves = {"trained encoder": (same, diff)}
    curves.update({name: pair_distances(e, test_labels) for name, e in untrained.items()})
    baselines = {name: {"roc_auc": roc_auc(*curves[name]),
                        "one_shot_identification": one_shot_accuracy(e, test_labels,
                                                                     np.random.default_rng(args.seed))}
                 for name, e in untrained.items()}
    save_roc(args.out / "roc.png", curves, threshold, same, diff)
    # Save an uncompiled copy: loading it then needs neither this script nor its loss.
    deployable = build_encoder(images.shape[1:], args.dim, args.width)
    deployable.set_weights(model.get_weights())
    deployable.save(args.out / "encoder.keras")

    summary = {"test": metrics, "threshold": threshold, "baselines": baselines,
               "train_seconds": round(train_seconds, 1), "args": {k: str(v) for k, v in vars(args).items()}}
    (args.out / "metrics.json").write_text(json.dumps(summary, indent=2))
    print(f"\nheld-out people ({metrics['pairs']['same']} same-person and {metrics['pairs']['different']} "
          "different-person pairs):")
    print(f"  ROC AUC                              {metrics['roc_auc']:.4f}")
    print(f"  verification accuracy at {threshold:.3f}       {metrics['accuracy_at_threshold']:.4f}"
          "  (threshold chosen on validation people)")
    print(f"  verification accuracy at 0.7         {metrics['accuracy_at_0.7']:.4f}")
    print(f"  one-shot identification (100 people) {metrics['one_shot_identification']:.4f}")
    for name, m in baselines.items():
        print(f"  baseline, {name:17s}: AUC {m['roc_auc']:.4f}, one-shot identification "
              f"{m['one_shot_identification']:.4f}")
    print(f"trained in {train_seconds:.0f} s; wrote {args.out / 'encoder.keras'}, {args.out / 'roc.png'}, "
          f"{args.out / 'faces.png'}, {args.out / 'metrics.json'}")
    return 0
