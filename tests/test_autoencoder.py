"""The autoencoder (issue 14's first part): its `--out` file recomputed by a NumPy reader from
the exported encoder and decoder alone; the k-nearest-neighbour score against a plain loop; it
learns (reconstructions beat the mean image, codes separate the digits); settings errors named."""

import json

import numpy as np
import pytest

from playground import cli
from playground.core import engine
from playground.core.config import ConfigError, set_items
from playground.zoo.autoencoder import task as ae
from playground.zoo.autoencoder.config import AeConfig

ACTS = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0),
    "tanh": np.tanh,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
}


def run(layers, x):
    """A NumPy forward pass through self-describing layers (flatten, dense)."""
    x = np.asarray(x, float)
    for la in layers:
        if la["type"] == "flatten":
            x = x.reshape(len(x), -1)
        elif la["type"] == "dense":
            x = ACTS[la["activation"]](x @ np.asarray(la["kernel"]) + np.asarray(la["bias"]))
        else:
            raise AssertionError(f"unexpected layer {la['type']}")
    return x


@pytest.mark.parametrize(
    "sets",
    [["dataset=digits", "n_samples=300"], ["dataset=spiral", "n_samples=200", "latent=1"]],
    ids=["digits", "spiral-1d"],
)
def test_out_file_runs_in_numpy_and_round_trips(tmp_path, sets):
    sets = [a for item in sets for a in ("--set", item)]
    out = tmp_path / "ae.json"
    assert (
        cli.main(["train", "--net", "autoencoder", "--epochs", "5", "--quiet", "--out", str(out), *sets]) == 0
    )
    d = json.loads(out.read_text())
    x = np.asarray(d["data"]["test"]["inputs"])
    codes = run(d["params"]["encoder"], x)
    np.testing.assert_allclose(codes, d["outputs"]["latent"], rtol=1e-4, atol=1e-5)
    recon = run(d["params"]["decoder"], codes)
    np.testing.assert_allclose(recon, d["outputs"]["test"], rtol=1e-4, atol=1e-5)
    assert recon.shape == np.asarray(d["data"]["test"]["targets"]).shape
    assert len(d["data"]["test"]["labels"]) == len(x) and len(d["history"]) == 5
    back = tmp_path / "back.json"
    args = [
        "train",
        "--net",
        "autoencoder",
        "--epochs",
        "0",
        "--quiet",
        "--params-in",
        str(out),
        "--out",
        str(back),
    ]
    assert cli.main([*args, *sets]) == 0
    np.testing.assert_allclose(
        json.loads(back.read_text())["outputs"]["test"], d["outputs"]["test"], atol=1e-6
    )


def test_knn_accuracy_against_a_loop():
    rng = np.random.default_rng(0)
    train, test = rng.normal(size=(60, 2)), rng.normal(size=(25, 2))
    lt, ls = rng.integers(0, 3, 60), rng.integers(0, 3, 25)
    right = 0
    for p, want in zip(test, ls):
        near = sorted(range(60), key=lambda j: (float(((train[j] - p) ** 2).sum()), j))[:5]
        votes = [sum(lt[j] == c for j in near) for c in range(3)]
        right += int(np.argmax(votes) == want)
    assert ae.knn_accuracy(train, lt, test, ls) == pytest.approx(right / 25)
    assert ae.knn_accuracy(train, lt, train, lt, k=1) == 1.0


def test_it_learns_to_reconstruct_and_its_codes_separate_the_digits():
    task = ae.make_task(AeConfig(n_samples=1000))
    state, h, _ = engine.advance(task, engine.init_state(task), 60)
    y = np.asarray(task.y_test)
    mean_image = ((y - np.asarray(task.y_train).mean(0)) ** 2).mean()
    recon = ae.decode(task, state.params, ae.encode(task, state.params, task.x_test))
    assert ((recon - y) ** 2).mean() == pytest.approx(h["test_loss"][-1], rel=1e-4)  # the engine's own loss
    assert h["test_loss"][-1] < 0.7 * mean_image  # better than the mean image, through only 2 numbers
    codes = ae.encode(task, state.params, task.x_train)
    score = ae.knn_accuracy(
        codes, task.data.labels_train, ae.encode(task, state.params, task.x_test), task.data.labels_test
    )
    assert score > 0.6  # ten digits in visible clusters (chance: 0.1)


def test_bad_settings_are_named():
    for items, words in [
        (["encoder=conv filters=4"], "encoder: layer 1: conv layers are not offered here yet"),
        (["latent=0"], "latent"),
        (["dataset=mnist"], "dataset"),
        (["decoder=dense units=0"], "decoder: layer 1"),
    ]:
        with pytest.raises(ConfigError, match=words):
            set_items(items, AeConfig())
