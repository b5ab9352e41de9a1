"""The style-transfer demo end to end, tiny: offline fallback and cached-weights paths."""

import json
import math

from cnnlab.grader.spec import load_module

from ..conftest import ROOT
from .fake_vgg import write_fake_imagenet_file

train = load_module(ROOT / "solutions" / "style" / "train.py", "style_train_under_test")
vgg = load_module(ROOT / "assignments" / "style" / "vgg.py", "style_vgg_for_train")

TINY = ["--size", "32", "--steps", "4", "--content", "grace_hopper", "--style", "waves"]


def test_offline_fallback_runs_says_so_and_lowers_the_cost(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # no cached weights
    out = tmp_path / "out"
    assert train.main(TINY + ["--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "WARNING: VGG19 with RANDOM weights" in text and "not artistic" in text
    for name in ("style_transfer.png", "result.png", "costs.json"):
        assert (out / name).read_bytes(), name
    costs = json.loads((out / "costs.json").read_text())
    assert "RANDOM" in costs["weights"] and len(costs["history"]) == 4
    assert costs["history"][-1]["J"] < costs["history"][0]["J"]


def test_cached_weights_are_used_when_present(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    (tmp_path / "keras" / "models").mkdir(parents=True)
    write_fake_imagenet_file(tmp_path / "keras" / "models" / vgg.WEIGHTS_FILE, averaging=True)
    out = tmp_path / "out"
    assert train.main(TINY + ["--steps", "2", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "VGG19 with ImageNet weights from" in text and "RANDOM" not in text
    costs = json.loads((out / "costs.json").read_text())
    assert vgg.WEIGHTS_FILE in costs["weights"]
    assert all(math.isfinite(h["J"]) for h in costs["history"])
