"""`cnnlab train resnet`: augmentation, and a one-epoch smoke run of the small model."""

import json

import numpy as np

from cnnlab.grader.spec import load_module

from ..conftest import ROOT

train = load_module(ROOT / "solutions" / "resnet" / "train.py", "resnet_train_under_test")


def test_augment_only_flips_and_turns():
    rng = np.random.default_rng(0)
    images = rng.random((16, 5, 5, 3), dtype=np.float32)
    out = train.augment(images, np.random.default_rng(1))
    assert out.shape == images.shape and out.dtype == images.dtype
    for before, after in zip(images, out):
        variants = [np.rot90(v, k, axes=(0, 1)) for v in (before, before[:, ::-1]) for k in range(4)]
        assert any(np.array_equal(after, v) for v in variants)
    assert not np.array_equal(out, images)  # 16 images: some were moved


def test_one_epoch_smoke_run(tmp_path, capsys):
    import keras

    out = tmp_path / "out"
    assert train.main(["--model", "small", "--epochs", "1", "--limit", "64", "--batch-size", "32",
                       "--out", str(out), "--quiet", "--no-jit"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["train_images"] == metrics["test_images"] == 64
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    png = (out / "training_curves.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    model = keras.saving.load_model(out / "resnet_small.keras")
    probabilities = keras.ops.convert_to_numpy(model(np.zeros((2, 64, 64, 3), np.float32), training=False))
    assert probabilities.shape == (2, 6)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert "test accuracy" in capsys.readouterr().out
