"""The training demo's pieces (batches, mining, ROC) and a one-epoch run of `main`."""

import json

import numpy as np
import pytest
from keras import ops

from cnnlab.grader.spec import load_module

from ..conftest import ROOT

train = load_module(ROOT / "solutions" / "face" / "train.py", "face_train_under_test")
ref = load_module(ROOT / "solutions" / "face" / "face.py", "face_reference_for_train")


def test_pk_batches_hold_groups_of_one_person():
    labels = np.repeat(np.arange(10), 7)
    batches = train.pk_batches(labels, people=3, photos=2, rng=np.random.default_rng(0))
    assert batches.shape == (10 * 3 // 3, 6)  # 3 groups of 2 per person, 3 groups per batch
    for batch in batches:
        groups = labels[batch].reshape(3, 2)
        assert np.all(groups[:, 0] == groups[:, 1])
    assert len(np.unique(batches)) == batches.size  # no photo twice in an epoch


def test_positive_pairs_are_all_ordered_pairs_inside_groups():
    a, p = train.positive_pairs(2, 3)
    assert len(a) == 2 * 3 * 2
    assert set(zip(a.tolist(), p.tolist())) == {(i, j) for g in (0, 3) for i in range(g, g + 3)
                                                for j in range(g, g + 3) if i != j}


def test_mining_picks_semi_hard_then_hard_negatives():
    # Photos on a line: 0 and 1 are person 0 (distance 1), 2, 3, 4 are others.
    x = np.array([[0.0], [1.0], [1.5], [0.5], [3.0]], np.float32)
    labels = ops.convert_to_tensor(np.array([0, 0, 1, 2, 3], np.float32))
    d2 = train.pairwise_sq_distances(ops.convert_to_tensor(x))
    np.testing.assert_allclose(np.asarray(d2), (x - x.T) ** 2, atol=1e-6)
    anchors, positives = np.array([0], np.int32), np.array([1], np.int32)
    # Anchor 0, positive at squared distance 1: negatives at 2.25 (2), 0.25 (3), 9 (4).
    semi = train.mine_negatives(d2, labels, anchors, positives, "semi-hard")
    hard = train.mine_negatives(d2, labels, anchors, positives, "hard")
    assert int(np.asarray(semi)[0]) == 2 and int(np.asarray(hard)[0]) == 3


def test_mined_loss_is_the_reference_loss_of_the_mined_triplets():
    rng = np.random.default_rng(0)
    e = rng.standard_normal((8, 4)).astype(np.float32)
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    labels = np.repeat(np.arange(4), 2).astype(np.float32)
    loss = train.make_mined_loss(ref.triplet_loss, people=4, photos=2, alpha=0.2, mining="hard")
    got = float(loss(ops.convert_to_tensor(labels), ops.convert_to_tensor(e)))
    d2 = ((e[:, None] - e[None]) ** 2).sum(-1)
    total = 0.0
    for a in range(8):
        p = a ^ 1  # the other photo of the same person
        n = min((d2[a, j], j) for j in range(8) if labels[j] != labels[a])[1]
        total += max(d2[a, p] - d2[a, n] + 0.2, 0)
    assert got == pytest.approx(total / 8, rel=1e-5)


def test_roc_auc_matches_counting_pairs():
    rng = np.random.default_rng(1)
    same, diff = rng.normal(0.5, 0.3, 40), rng.normal(1.0, 0.3, 70)
    same[:3] = diff[:3]  # some ties
    brute = np.mean([(s < d) + 0.5 * (s == d) for s in same for d in diff])
    assert train.roc_auc(same, diff) == pytest.approx(brute)
    assert train.roc_auc([0.1, 0.2], [0.5, 0.9]) == 1.0 and train.roc_auc([0.9], [0.1]) == 0.0


def test_roc_curve_and_best_threshold():
    same, diff = np.array([0.1, 0.2, 0.3]), np.array([0.6, 0.8])
    fpr, tpr, _ = train.roc_curve(same, diff)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0, 0, 1, 1)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    t = train.best_threshold(same, diff)
    assert 0.3 < t <= 0.6 and train.balanced_accuracy(same, diff, t) == 1.0


def test_one_shot_accuracy_is_perfect_for_separated_people():
    labels = np.repeat(np.arange(5), 3)
    codes = np.eye(5)[labels] + 0.01 * np.random.default_rng(0).standard_normal((15, 5))
    assert train.one_shot_accuracy(codes, labels, np.random.default_rng(0)) == 1.0


def test_main_trains_evaluates_and_saves(tmp_path, capsys):
    import keras

    out = tmp_path / "face"
    code = train.main(["--epochs", "1", "--train-people", "40", "--val-people", "8", "--people", "8",
                       "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "ROC AUC" in text and "one-shot identification" in text
    for name in ("encoder.keras", "roc.png", "faces.png", "metrics.json"):
        assert (out / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.0 <= metrics["test"]["roc_auc"] <= 1.0 and "raw pixels" in metrics["baselines"]
    encoder = keras.saving.load_model(out / "encoder.keras")
    images, _ = train.load_faces("test")
    e = np.asarray(ref.img_to_encoding(images[0], encoder))
    assert e.shape == (1, 64) and np.linalg.norm(e) == pytest.approx(1.0, rel=1e-5)
