"""`train --net rnn|lstm|gru|transformer` on sequence tasks: the --out file's params, run by a NumPy
reader written from the README's format alone, reproduce its `outputs`; a round trip through
--params-in; the transformer learns reverse; bad settings are named (issue 13's CLI)."""

import json
import math

import numpy as np
import pytest

from playground import cli
from tests.test_recurrent import np_layer_norm

ERF = np.vectorize(math.erf)
ACTS = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0),
    "tanh": np.tanh,
    "gelu": lambda z: z * 0.5 * (1 + ERF(z / math.sqrt(2))),
}


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def dense(x, d):
    z = x @ np.asarray(d["kernel"]) + np.asarray(d["bias"])
    return softmax(z) if d["activation"] == "softmax" else ACTS[d["activation"]](z)


def ln(x, p):
    return np_layer_norm(x, np.asarray(p["scale"]), np.asarray(p["bias"]), p["eps"])


def block(x, b):
    a = b["attention"]
    n, t, d = x.shape
    heads, dh = a["heads"], d // a["heads"]
    h = ln(x, b["ln1"])
    q, k, v = (dense(h, a[name]) for name in ("query", "key", "value"))
    mixed = np.zeros_like(x)
    for j in range(heads):
        sl = slice(j * dh, (j + 1) * dh)
        s = q[:, :, sl] @ k[:, :, sl].transpose(0, 2, 1) / math.sqrt(dh)
        if a["causal"]:
            s = np.where(np.tril(np.ones((t, t))) > 0, s, -np.inf)
        mixed[:, :, sl] = softmax(s) @ v[:, :, sl]
    x = x + dense(mixed, a["out"])
    return x + dense(dense(ln(x, b["ln2"]), b["mlp"][0]), b["mlp"][1])


def recurrent(x, r):
    W, U, b = (np.asarray(r[k]) for k in ("kernel", "recurrent_kernel", "bias"))
    H = r["units"]
    h, c, hs = np.zeros((len(x), H)), np.zeros((len(x), H)), []
    for t in range(x.shape[1]):
        if r["cell"] == "rnn":
            h = ACTS[r["activation"]](x[:, t] @ W + h @ U + b)
        elif r["cell"] == "lstm":
            i, f, g, o = np.split(x[:, t] @ W + h @ U + b, 4, axis=-1)
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
        else:
            xr, xz, xn = np.split(x[:, t] @ W + b, 3, axis=-1)
            hr, hz, hn = np.split(h @ U + np.asarray(r["recurrent_bias"]), 3, axis=-1)
            rg, zg = sigmoid(xr + hr), sigmoid(xz + hz)
            h = (1 - zg) * np.tanh(xn + rg * hn) + zg * h
        hs.append(h)
    return np.stack(hs, 1) if r["return_sequences"] else h


def run(layers, x):
    x = np.asarray(x, dtype=float)
    for la in layers:
        t = la["type"]
        if t == "embedding":
            x = np.asarray(la["table"])[x.astype(int)]
        elif t == "positional":
            x = x + np.asarray(la["table"])
        elif t == "block":
            x = block(x, la)
        elif t == "layernorm":
            x = ln(x, la)
        elif t == "last":
            x = x[:, -1]
        elif t == "rnn":
            x = recurrent(x, la)
        elif t == "dense":
            x = dense(x, la)
        else:
            raise AssertionError(f"unexpected layer type {t}")
    return x


@pytest.mark.parametrize(
    "net, task, extra",
    [
        ("rnn", "first", ["activation=relu", "rnn_layers=2"]),
        ("lstm", "copy", []),
        ("gru", "cumsum", []),
        ("transformer", "parens", ["causal=true", "positions=sinusoidal"]),
        ("transformer", "sines", []),
    ],
)
def test_out_file_runs_in_numpy_and_round_trips(tmp_path, net, task, extra):
    out, again = tmp_path / "a.json", tmp_path / "b.json"
    sets = [f"task={task}", "n_samples=120", "length=6", "hidden=8", "width=8", "blocks=1", *extra]
    args = ["train", "--net", net, "--quiet", *[a for s in sets for a in ("--set", s)]]
    assert cli.main([*args, "--epochs", "3", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert set(doc) == {"config", "data", "params", "history", "stop_reason", "outputs"}
    assert doc["config"]["net"] == net and len(doc["history"]) == 3
    x = doc["data"]["test"]["inputs"]
    want = np.asarray(doc["outputs"]["test"])
    np.testing.assert_allclose(run(doc["params"]["layers"], x), want, rtol=1e-4, atol=1e-5)
    assert want.shape[:-1] == np.shape(doc["data"]["test"]["targets"])[:-1]  # per step where targets are
    assert cli.main([*args, "--epochs", "0", "--params-in", str(out), "--out", str(again)]) == 0
    np.testing.assert_allclose(json.loads(again.read_text())["outputs"]["test"], want, atol=1e-6)


def test_the_transformer_learns_reverse(capsys):
    assert (
        cli.main(["train", "--net", "transformer", "--set", "task=reverse", "--epochs", "20", "--quiet"]) == 0
    )
    line = capsys.readouterr().out
    acc = float(line.split("test accuracy ")[1].split("%")[0])
    assert acc >= 95, line


@pytest.mark.parametrize(
    "sets, words",
    [
        (["task=parens", "length=7"], "length: parens takes lengths 2 to 64 and even, got 7"),
        (["heads=3"], "heads: 3 heads must split the width 32 evenly"),
        (["task=poetry"], "task: unknown 'poetry'"),
        (["causal=maybe"], "causal: unknown 'maybe'"),
    ],
)
def test_bad_settings_are_named(capsys, sets, words):
    args = ["train", "--net", "transformer", "--epochs", "0", *[a for s in sets for a in ("--set", s)]]
    assert cli.main(args) == 2
    assert words in capsys.readouterr().err


def test_text_from_a_file_and_its_limits(tmp_path, capsys):
    text = tmp_path / "t.txt"
    text.write_text("héllo wörld ✓ " * 30, encoding="utf-8")
    args = ["train", "--net", "gru", "--set", "task=text", "--set", "length=10", "--epochs", "1", "--quiet"]
    assert cli.main([*args, "--text", str(text), "--out", str(tmp_path / "o.json")]) == 0
    doc = json.loads((tmp_path / "o.json").read_text())
    assert np.shape(doc["outputs"]["test"])[1:] == (10, len(set("héllo wörld ✓ ")))
    text.write_text("x" * 20_001)
    assert cli.main([*args, "--text", str(text)]) == 2
    assert "text is 20,001 characters long; the limit is 20,000" in capsys.readouterr().err
