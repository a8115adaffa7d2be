"""The CLI's documented file format, round trips and errors."""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from playground import cli
from playground.core import engine, models
from playground.core.config import Config

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "playground", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_train_out_has_documented_shape(tmp_path):
    out = tmp_path / "run.json"
    r = run_cli("train", "--epochs", "30", "--set", "hidden=3,2", "--set", "n_samples=80", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("epoch 30, train loss")
    assert "epoch      30" in r.stderr  # the progress bar
    doc = json.loads(out.read_text())
    assert set(doc) == {"config", "data", "params", "history", "stop_reason", "outputs"}
    assert doc["config"] == Config(hidden=(3, 2), n_samples=80).to_dict()
    assert np.shape(doc["outputs"]["test"]) == (40, 1)
    train, test = doc["data"]["train"], doc["data"]["test"]
    assert len(train["inputs"]) == len(train["targets"]) == 40 and len(test["inputs"]) == 40
    assert all(len(row) == 2 for row in train["inputs"]) and all(len(t) == 1 for t in train["targets"])
    shapes = [(np.shape(layer["kernel"]), np.shape(layer["bias"])) for layer in doc["params"]["layers"]]
    assert shapes == [((2, 3), (3,)), ((3, 2), (2,)), ((2, 1), (1,))]
    assert [h["epoch"] for h in doc["history"]] == list(range(1, 31))
    assert set(doc["history"][0]) == {"epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy"}
    assert doc["stop_reason"] is None


def test_out_data_are_the_network_inputs_and_the_losses_recompute(tmp_path):
    """The exported inputs, targets and params reproduce the exported final test loss
    with an independent NumPy forward pass (tanh hidden, sigmoid output, bce)."""
    out = tmp_path / "run.json"
    cli.main(["train", "--quiet", "--epochs", "20", "--set", "features=x1,x2,x1*x2", "--out", str(out)])
    doc = json.loads(out.read_text())
    x = np.array(doc["data"]["test"]["inputs"])
    y = np.array(doc["data"]["test"]["targets"])[:, 0]
    a = x
    layers = doc["params"]["layers"]
    for i, layer in enumerate(layers):
        z = a @ np.array(layer["kernel"]) + np.array(layer["bias"])
        a = np.tanh(z) if i < len(layers) - 1 else z
    z = a[:, 0]
    bce = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
    assert bce == pytest.approx(doc["history"][-1]["test_loss"], rel=1e-4)
    # "outputs" are the network's outputs after its output activation (sigmoid).
    np.testing.assert_allclose(np.array(doc["outputs"]["test"])[:, 0], 1 / (1 + np.exp(-z)), rtol=1e-5)
    assert np.allclose(x[:, 2], x[:, 0] * x[:, 1], atol=1e-5)


def test_ce_targets_are_one_hot(tmp_path):
    out = tmp_path / "run.json"
    code = cli.main(
        [
            "train",
            "--quiet",
            "--epochs",
            "0",
            "--set",
            "dataset=blobs",
            "--set",
            "n_classes=4",
            "--set",
            "loss=ce",
            "--set",
            "output_activation=softmax",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    targets = np.array(json.loads(out.read_text())["data"]["train"]["targets"])
    assert targets.shape[1] == 4 and np.all(targets.sum(1) == 1) and set(np.unique(targets)) == {0.0, 1.0}


def test_epochs_zero_writes_initial_params_and_params_in_round_trips(tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert cli.main(["train", "--quiet", "--epochs", "0", "--set", "seed=7", "--out", str(first)]) == 0
    doc = json.loads(first.read_text())
    task = engine.make_task(Config(seed=7))
    expected = models.params_to_layers(engine.init_state(task).params)
    for got, want in zip(doc["params"]["layers"], expected, strict=True):
        np.testing.assert_allclose(got["kernel"], want["kernel"], rtol=1e-6)
    assert doc["history"] == []
    # Train 25 epochs from the file, compare to training the same params in-process.
    assert (
        cli.main(
            [
                "train",
                "--quiet",
                "--epochs",
                "25",
                "--set",
                "seed=7",
                "--params-in",
                str(first),
                "--out",
                str(second),
            ]
        )
        == 0
    )
    state, _, _ = engine.advance(task, engine.init_state(task), 25)
    for got, want in zip(
        json.loads(second.read_text())["params"]["layers"], models.params_to_layers(state.params), strict=True
    ):
        np.testing.assert_allclose(got["kernel"], want["kernel"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--set", "hidden=40"], "hidden"),
        (["--set", "activation=swish2"], "activation"),
        (["--set", "lr=0.1"], "unknown field"),
        (["--set", "noise"], "KEY=VALUE"),
        (["--set", "loss=ce"], "output_activation"),
        (["--config", "/nonexistent.json"], "cannot read config file"),
        (["--params-in", "/nonexistent.json"], "cannot read params file"),
        (["--epochs", "-3"], "--epochs"),
        (["--set", "dataset=csv"], "CSV"),
    ],
)
def test_bad_input_is_one_clear_line(args, message, capsys):
    assert cli.main(["train", "--quiet", "--epochs", "1", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_params_in_shape_mismatch_is_clear(tmp_path, capsys):
    f = tmp_path / "p.json"
    f.write_text(
        json.dumps(
            {
                "layers": [
                    {"kernel": [[1, 2]], "bias": [0, 0]},
                    {"kernel": [[1]], "bias": [0]},
                    {"kernel": [[1]], "bias": [0]},
                ]
            }
        )
    )
    assert cli.main(["train", "--quiet", "--epochs", "1", "--params-in", str(f)]) == 2
    assert "layer 0: kernel has shape (1, 2), the network needs (2, 4)" in capsys.readouterr().err


def test_csv_training(tmp_path):
    rng = np.random.default_rng(0)
    pts = rng.uniform(-4, 4, (60, 2))
    rows = "\n".join(f"{a:.4f},{b:.4f},{int(a > b)}" for a, b in pts)
    f = tmp_path / "d.csv"
    f.write_text("x1,x2,label\n" + rows + "\n")
    out = tmp_path / "o.json"
    assert cli.main(["train", "--quiet", "--epochs", "50", "--csv", str(f), "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["config"]["dataset"] == "csv" and len(doc["data"]["train"]["inputs"]) == 30
    assert doc["history"][-1]["train_loss"] < doc["history"][0]["train_loss"]


def test_bench_quick_json_has_required_keys():
    r = run_cli("bench", "--json", "--quick")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    for group, key in [
        ("tfp_default", "engine_epochs_per_s"),
        ("tfp_default", "numpy_epochs_per_s"),
        ("tfp_default", "speedup"),
        ("deep", "engine_epochs_per_s"),
        ("compile", "first_chunk_s"),
        ("compile", "first_chunk_warm_cache_s"),
        ("compile", "recompiles_on_lr_change"),
        ("race8", "time_ratio"),
        ("grid100", "ms"),
        ("cnn", "digits_epochs_per_s"),
        ("cnn", "digits_images_per_s"),
        ("cnn", "first_chunk_s"),
        ("cnn", "first_chunk_warm_cache_s"),
        ("cnn", "frame_ms"),
        ("cnn", "digits_s_to_95"),
        ("lstm", "epochs_per_s"),
        ("lstm", "test_mse_share"),
        ("transformer", "epochs_per_s"),
        ("transformer", "first_chunk_s"),
        ("transformer", "views_ms"),
        ("lstm", "views_ms"),
    ]:
        assert d[group][key] >= 0, (group, key)
    assert d["compile"]["recompiles_on_lr_change"] == 0
    assert d["tfp_default"]["speedup"] == pytest.approx(
        d["tfp_default"]["engine_epochs_per_s"] / d["tfp_default"]["numpy_epochs_per_s"]
    )


def test_params_are_self_describing_and_old_files_still_load(tmp_path, capsys):
    out = tmp_path / "a.json"
    args = ["train", "--quiet", "--epochs", "0", "--set", "hidden=3,2", "--set", "activations=relu,tanh"]
    assert cli.main([*args, "--out", str(out)]) == 0
    layers = json.loads(out.read_text())["params"]["layers"]
    assert [(la["type"], la["activation"]) for la in layers] == [("dense", "relu"), ("dense", "tanh"),
                                                                 ("dense", "sigmoid")]  # fmt: skip
    # A reader can run the network from the file alone: the output equals the engine's.
    doc = json.loads(out.read_text())
    a = np.asarray(doc["data"]["test"]["inputs"], float)
    fns = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z))}
    for la in layers:
        a = fns[la["activation"]](a @ np.asarray(la["kernel"]) + np.asarray(la["bias"]))
    task = engine.make_task(Config(hidden=(3, 2), activations=("relu", "tanh")))
    _, trace = models.apply(engine._graphdef(task.arch.specs, task.arch.n_in), engine.init_state(task).params,
                            task.x_test)  # fmt: skip
    np.testing.assert_allclose(a, 1 / (1 + np.exp(-np.asarray(trace[-1][0]))), rtol=1e-4, atol=1e-6)
    # The same file without "type"/"activation" (the format before) still loads; a wrong type is named.
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"layers": [{"kernel": la["kernel"], "bias": la["bias"]} for la in layers]}))
    assert cli.main([*args, "--epochs", "1", "--params-in", str(old)]) == 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"layers": [{**layers[0], "type": "conv"}, *layers[1:]]}))
    assert cli.main([*args, "--epochs", "1", "--params-in", str(bad)]) == 2
    assert "layer 0: type 'conv'" in capsys.readouterr().err
