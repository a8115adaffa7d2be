"""Export (issue 15): the standalone script of an experiment, run in a fresh process from another
folder, prints the same history as `train --out` for every dataset, loss, optimizer, descent
variant and regularization (max relative difference ≤ 1e-4); it imports only jax, flax, optax,
numpy and the standard library; the notebook runs its cells in order to the same history; the
user's data ends up as data; the page's buttons give files that run."""

import ast
import json
import pathlib
import subprocess
import sys

import nbformat
import pytest

from playground import cli
from playground.zoo.autoencoder.ui import conv_layers
from tests.test_autoencoder import ODD

EPOCHS = 12
ALLOWED = {"argparse", "functools", "json", "jax", "numpy", "optax", "flax"}

CASES = {
    "default": [],
    "spiral-relu-adam-dropout": [
        "dataset=spiral",
        "activation=relu",
        "optimizer=adam",
        "dropout=0.2",
        "hidden=8,8",
    ],
    "xor-momentum-l1": ["dataset=xor", "optimizer=momentum", "l1=0.001", "learning_rate=0.01"],
    "gauss-nesterov-batch": ["dataset=gauss", "optimizer=nesterov", "gd_variant=batch", "learning_rate=0.1"],
    "blobs-ce-softmax-rmsprop": [
        "dataset=blobs",
        "loss=ce",
        "output_activation=softmax",
        "optimizer=rmsprop",
        "learning_rate=0.01",
    ],
    "moons-adagrad-stochastic": [
        "dataset=moons",
        "optimizer=adagrad",
        "gd_variant=stochastic",
        "n_samples=60",
    ],
    "regression-mse-adamw-l2": [
        "dataset=reg-plane",
        "loss=mse",
        "output_activation=linear",
        "optimizer=adamw",
        "l2=0.01",
        "init=he",
    ],
    "circle-hinge-features": [
        "loss=hinge",
        "output_activation=tanh",
        "features=x1,x2,x1^2,x2^2,sin(x1)",
        "init=glorot",
    ],
    "huber-lecun-early-stopping": [
        "dataset=reg-gauss",
        "loss=huber",
        "output_activation=linear",
        "init=lecun",
        "early_stopping_patience=2",
        "learning_rate=0.3",
    ],
    "mse-sigmoid-padded-batch": ["loss=mse", "batch_size=17", "noise=20", "dropout=0.5", "hidden=4"],
}


CONV_AE = [f"{half}={','.join(texts)}" for half, texts in zip(("encoder", "decoder"), conv_layers("digits"))]
ODD_AE = ["encoder=conv filters=3 kernel=2 stride=2 padding=valid,maxpool window=2"]
ODD_AE.append(f"decoder={','.join(ODD)}")


def sets(items):
    return [a for item in items for a in ("--set", item)]


def run_script(path: pathlib.Path, cwd: pathlib.Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(path), *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def close(a: list[dict], b: list[dict]) -> float:
    assert len(a) == len(b) and a and [h["epoch"] for h in a] == [h["epoch"] for h in b]
    assert list(a[0]) == list(b[0])  # the CLI's keys, in its order
    return max(abs(x[k] - y[k]) / max(abs(y[k]), 1e-6) for x, y in zip(a, b) for k in y)


@pytest.mark.parametrize("case", list(CASES))
def test_script_reproduces_train_out(tmp_path, case):
    ref, script = tmp_path / "ref.json", tmp_path / "exp.py"
    items = sets(CASES[case])
    assert cli.main(["train", "--epochs", str(EPOCHS), "--quiet", "--out", str(ref), *items]) == 0
    assert cli.main(["export", "--format", "py", "--epochs", str(EPOCHS), "--out", str(script), *items]) == 0
    away = tmp_path / "elsewhere"
    away.mkdir()
    done = run_script(script, away, "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    history = json.loads(done.stdout.strip().splitlines()[-1])
    assert close(history, json.loads(ref.read_text())["history"]) <= 1e-4
    imported = set()
    for node in ast.walk(ast.parse(script.read_text())):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported <= ALLOWED, imported


def test_start_weights_and_a_csv_are_embedded_and_reproduced(tmp_path):
    csv = tmp_path / "pts.csv"
    csv.write_text(
        "x1,x2,label\n" + "".join(f"{i / 7 - 3:.3f},{(i * 37 % 50) / 9 - 3:.3f},{i % 2}\n" for i in range(60))
    )
    start, ref, script = tmp_path / "start.json", tmp_path / "ref.json", tmp_path / "exp.py"
    base = ["--csv", str(csv), "--quiet"]
    assert cli.main(["train", "--epochs", "7", "--out", str(start), *base]) == 0
    assert cli.main(["train", "--epochs", "5", "--params-in", str(start), "--out", str(ref), *base]) == 0
    args = ["export", "--format", "py", "--epochs", "5", "--csv", str(csv), "--params-in", str(start)]
    assert cli.main([*args, "--out", str(script)]) == 0
    done = run_script(script, tmp_path, "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert close(json.loads(done.stdout), json.loads(ref.read_text())["history"]) <= 1e-4


def test_notebook_runs_top_to_bottom_like_the_script(tmp_path):
    items = sets(CASES["spiral-relu-adam-dropout"])
    nb_path, script = tmp_path / "exp.ipynb", tmp_path / "exp.py"
    assert cli.main(["export", "--format", "ipynb", "--epochs", "6", "--out", str(nb_path), *items]) == 0
    assert cli.main(["export", "--format", "py", "--epochs", "6", "--out", str(script), *items]) == 0
    nb = nbformat.read(nb_path, as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0].cell_type == "markdown" and sum(c.cell_type == "markdown" for c in nb.cells) >= 5
    # Run the code cells in order in a fresh process (what a kernel would do), then print the history.
    cells = [c.source for c in nb.cells if c.cell_type == "code"]
    runner = tmp_path / "cells.py"
    runner.write_text("\n\n".join(cells) + "\nimport json as _j\nprint(_j.dumps(history))\n")
    done = subprocess.run(
        [sys.executable, str(runner)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    from_notebook = json.loads(done.stdout.strip().splitlines()[-1])
    from_script = json.loads(run_script(script, tmp_path, "--json").stdout)
    assert from_notebook == from_script


def test_user_data_stays_data_and_errors_are_named(tmp_path, capsys):
    hostile = tmp_path / "hostile.csv"
    hostile.write_text("x1,x2,label\n1,2,\"__import__('os').system('echo pwned')\"\n")
    out = tmp_path / "x.py"
    assert cli.main(["export", "--format", "py", "--csv", str(hostile), "--out", str(out)]) == 2
    assert "line 2" in capsys.readouterr().err and not out.exists()
    assert (
        cli.main(["export", "--net", "gan", "--format", "py", "--params-in", str(hostile), "--out", str(out)])
        == 2
    )
    assert (
        cli.main(["export", "--net", "cnn", "--set", "dataset=mnist", "--format", "py", "--out", str(out)])
        == 2
    )
    assert "at most 2,000,000 are written" in capsys.readouterr().err
    assert (
        cli.main(
            ["export", "--format", "py", "--set", "hidden=3", "--params-in", str(hostile), "--out", str(out)]
        )
        == 2
    )
    # Every literal in a script is a number, a name from a registry or the config's own values.
    assert cli.main(["export", "--format", "py", "--epochs", "1", "--out", str(out)]) == 0
    tree = ast.parse(out.read_text())
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert not any("__import__" in v or "system" in v for v in strings)


def test_the_pages_have_the_buttons(tmp_path):
    from streamlit.testing.v1 import AppTest

    root = pathlib.Path(__file__).resolve().parents[1] / "pages"
    pages = [
        ("1_Playground.py", {}),
        ("4_CNN.py", {"dataset": "digits", "n_samples": "200"}),
        ("6_Transformer.py", {"n_samples": "200"}),
        ("8_GAN.py", {}),
    ]
    for page, query in pages:
        at = AppTest.from_file(str(root / page))
        for k, v in query.items():
            at.query_params[k] = v
        at.run(timeout=300)
        labels = [b.proto.label for b in at.get("download_button")]
        assert "Python script" in labels and "Notebook" in labels and not at.exception, page


CNN = [
    "dataset=digits",
    "n_samples=300",
    "layers=conv filters=4 kernel=3 stride=2 padding=valid activation=relu,"
    "avgpool window=2,flatten,dropout rate=0.3,dense units=16 activation=tanh",
    "optimizer=adam",
]


def test_cnn_script_reproduces_train_out_and_the_session(tmp_path):
    from playground.export import export_text, start_weights
    from playground.zoo.cnn.task import Session

    ref, script = tmp_path / "ref.json", tmp_path / "cnn.py"
    base = ["--net", "cnn", *sets(CNN)]
    assert cli.main(["train", "--epochs", "4", "--quiet", "--out", str(ref), *base]) == 0
    assert cli.main(["export", "--format", "py", "--epochs", "4", "--out", str(script), *base]) == 0
    done = run_script(script, tmp_path, "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert close(json.loads(done.stdout), json.loads(ref.read_text())["history"]) <= 1e-4
    # The page's button with the current weights: the script starts where the session is.
    from playground.core.config import set_items
    from playground.zoo.cnn.config import CnnConfig

    s = Session(set_items(CNN, CnnConfig()))
    s.step(3)
    path = tmp_path / "from_weights.py"
    path.write_text(export_text(s.task, 2, "py", start_weights(s.task, s.params_json()["layers"])))
    done = run_script(path, tmp_path, "--json", "--epochs", "1")
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)[0]["train_loss"] < s.history["train_loss"][0]


def test_playground_buttons_give_files_that_replay_the_session(tmp_path):
    from playground.core import models
    from playground.export import export_text
    from playground.live.session import Session

    s = Session()
    s.step(9)
    for with_weights in (False, True):
        start = models.params_to_layers(s.state.params) if with_weights else None
        files = {fmt: export_text(s.task, s.epoch, fmt, start) for fmt in ("py", "ipynb")}
        path = tmp_path / f"exp{with_weights}.py"
        path.write_text(files["py"])
        done = run_script(path, tmp_path, "--json", "--epochs", "3")
        assert done.returncode == 0, done.stderr[-2000:]
        got = json.loads(done.stdout)
        if not with_weights:  # the seed's weights: the session's own first epochs
            want = [
                {"epoch": e, **{k: s.history[k][i] for k in s.history if k != "epoch"}}
                for i, e in enumerate(s.history["epoch"][:3])
            ]
            assert close(got, want) <= 1e-4
        else:  # from the weights at epoch 9: a lower loss than the seed's start
            assert got[0]["train_loss"] < s.history["train_loss"][0]
        assert nbformat.reads(files["ipynb"], as_version=4).cells


@pytest.mark.parametrize(
    "data",
    [
        ["dataset=digits"],
        ["dataset=spiral"],
        ["variant=denoising"],
        ["variant=vae"],
        ["dataset=spiral", "variant=vae", "latent=1", "beta=0.1"],
        ["dataset=digits", *CONV_AE],
        ["dataset=digits", "variant=denoising", *ODD_AE],
    ],
    ids=["digits", "spiral", "denoising", "vae", "vae-spiral", "conv", "conv-odd"],
)
def test_autoencoder_script_reproduces_train_out(tmp_path, data):
    ref, script = tmp_path / "ref.json", tmp_path / "ae.py"
    base = ["--net", "autoencoder", *sets([*data, "n_samples=300"])]
    assert cli.main(["train", "--epochs", "3", "--quiet", "--out", str(ref), *base]) == 0
    assert cli.main(["export", "--format", "py", "--epochs", "3", "--out", str(script), *base]) == 0
    done = run_script(script, tmp_path, "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert close(json.loads(done.stdout), json.loads(ref.read_text())["history"]) <= 1e-4


@pytest.mark.parametrize(
    "net",
    [
        ["lstm", "task=first", "clip=1"],
        ["gru", "task=sines"],
        ["rnn", "task=parens", "activation=relu"],
        ["transformer", "task=reverse"],
        ["transformer", "task=text", "length=16"],
    ],
    ids=lambda n: "-".join(n[:2]),
)
def test_sequence_script_reproduces_train_out(tmp_path, net):
    ref, script = tmp_path / "ref.json", tmp_path / "seq.py"
    base = ["--net", net[0], *sets([*net[1:], "n_samples=200"])]
    assert cli.main(["train", "--epochs", "2", "--quiet", "--out", str(ref), *base]) == 0
    assert cli.main(["export", "--format", "py", "--epochs", "2", "--out", str(script), *base]) == 0
    done = run_script(script, tmp_path, "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert close(json.loads(done.stdout), json.loads(ref.read_text())["history"]) <= 1e-4


@pytest.mark.parametrize(
    "items",
    [
        [],
        ["loss=wgan-gp", "d_steps=2", "discriminator=dense units=32 activation=tanh,dropout rate=0.2"],
        [
            "dataset=digits",
            "noise_dim=8",
            "n_samples=300",
            "batch_size=32",
            "noise=uniform",
            "loss=leastsquares",
        ],
        ["loss=minimax", "g_optimizer=rmsprop", "d_optimizer=momentum", "dataset=spiral"],
    ],
    ids=["ring8", "wgan-gp-dropout", "digits-ls", "minimax-spiral"],
)
def test_gan_script_reproduces_train_out(tmp_path, items):
    ref, script = tmp_path / "ref.json", tmp_path / "gan.py"
    base = ["--net", "gan", *sets(items)]
    assert cli.main(["train", "--epochs", "3", "--quiet", "--out", str(ref), *base]) == 0
    assert cli.main(["export", "--format", "py", "--epochs", "3", "--out", str(script), *base]) == 0
    done = run_script(script, tmp_path, "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert close(json.loads(done.stdout), json.loads(ref.read_text())["history"]) <= 1e-4
