"""The sequence pages' live frames, decoded as the browser decodes them, against NumPy
recomputations from the self-describing params (tests/test_sequence_cli.py's reader): outputs,
hidden states, attention weights and scores, positional tables, the embedding's 2-D projection;
the attention pattern a trained transformer learns on reverse; the cells' comparison."""

import base64
import math

import numpy as np
import pytest

from playground.data.points import DataError
from playground.zoo.sequence import compare, frames, views
from playground.zoo.sequence.config import SeqConfig
from playground.zoo.sequence.task import Session
from tests.test_recurrent import np_recurrent
from tests.test_sequence_cli import dense, ln, run, softmax


def unb64(s) -> np.ndarray:
    return np.frombuffer(base64.b64decode(s), np.uint8).astype(float)


def decode(b, scale):  # the JS views' diverging code
    return (b - 128) / 127 * scale


def trained(config, epochs=3) -> Session:
    s = Session(config)
    s.step(epochs)
    return s


@pytest.mark.parametrize(
    "config",
    [
        SeqConfig(net="lstm", task="reverse", n_samples=100, length=6, hidden=5),
        SeqConfig(net="gru", task="cumsum", n_samples=100, length=7, hidden=6),
        SeqConfig(net="rnn", task="parens", n_samples=100, length=6, hidden=4),
    ],
    ids=["lstm-reverse", "gru-cumsum", "rnn-parens"],
)
def test_recurrent_frame_against_numpy(config):
    s = trained(config)
    doc = s.params_json()["layers"]
    i = 3
    f = frames.frame(s.task, s.params, s.history, 0, i, last=False)
    x, y = s.task.data.x_test[i], s.task.data.y_test[i]
    assert f["chosen"] == i and f["epoch"] == 3 and f["points"]["epoch"] == [1, 2, 3]
    assert np.allclose(f["input"], np.asarray(x).reshape(-1), atol=1e-6)
    assert np.allclose(f["target"], np.asarray(y).reshape(-1), atol=1e-6)
    want = run(doc, np.asarray(x)[None])[0]  # the output layer's activation, in NumPy
    np.testing.assert_allclose(np.asarray(f["output"], float).reshape(want.shape), want, atol=2e-3)
    # The first recurrent layer's states, recomputed from its params.
    r = next(la for la in doc if la["type"] == "rnn")
    h_in = (
        np.asarray(doc[0]["table"])[np.asarray(x)][None]
        if doc[0]["type"] == "embedding"
        else np.asarray(x)[None]
    )
    p = {k: np.asarray(r[k]) for k in ("kernel", "recurrent_kernel", "bias", "recurrent_bias") if k in r}
    hs = np_recurrent(config.net, config.activation, h_in, p, True)[0]
    H = f["hidden"]
    assert (H["T"], H["H"]) == hs.shape
    # States in [-1, 1] keep one colour scale (at least 1) from frame to frame; bytes round to half a step.
    assert H["scale"] == pytest.approx(max(1.0, np.abs(hs).max()), rel=1e-5)
    got = decode(unb64(H["data"]), H["scale"]).reshape(hs.shape)
    np.testing.assert_allclose(got, hs, atol=0.5 * H["scale"] / 127 + 1e-5)
    assert set(f["gates"]) == {"lstm": {"input", "forget", "output"}, "gru": {"reset", "update"}}.get(
        config.net, set()
    )
    assert (f["cell"] is not None) == (config.net == "lstm")
    for g in f["gates"].values():
        assert unb64(g).size == hs.size
    # ‖∂L/∂h_t‖: one number per step, the same as the view's (checked against jax.grad in
    # test_sequence_views), none negative.
    target = views.encoded_target(s.task.data, y)
    np.testing.assert_allclose(f["grad"], views.hidden_gradient_norms(s.task, s.params, x, target), rtol=1e-4)


def test_transformer_frame_against_numpy():
    cfg = SeqConfig(net="transformer", task="reverse", n_samples=100, length=6, width=8, heads=2, blocks=1)
    s = trained(cfg)
    doc = s.params_json()["layers"]
    i = 2
    x = np.asarray(s.task.data.x_test[i])
    f = frames.frame(s.task, s.params, s.history, 0, i, last=False)
    want = run(doc, x[None])[0]
    np.testing.assert_allclose(np.asarray(f["output"]), want, atol=2e-3)
    # Scores and weights of block 1, recomputed in NumPy and decoded as the browser does.
    h = np.asarray(doc[0]["table"])[x][None] + np.asarray(doc[1]["table"])
    a = doc[2]["attention"]
    hn = ln(h, doc[2]["ln1"])
    q, k = dense(hn, a["query"])[0], dense(hn, a["key"])[0]
    (att,) = f["attention"]
    w = unb64(att["weights"]).reshape(2, 6, 6) / 255
    codes = unb64(att["scores"]).reshape(2, 6, 6)
    for j in range(2):
        sl = slice(4 * j, 4 * j + 4)
        sc = q[:, sl] @ k[:, sl].T / math.sqrt(4)
        np.testing.assert_allclose(w[j], softmax(sc), atol=0.5 / 255 + 1e-6)
        lo, hi = att["lo"][j], att["hi"][j]
        assert lo == pytest.approx(sc.min(), abs=1e-4) and hi == pytest.approx(sc.max(), abs=1e-4)
        np.testing.assert_allclose(lo + codes[j] / 255 * (hi - lo), sc, atol=0.5 * (hi - lo) / 255 + 1e-5)
    pos = f["positional"]
    table = np.asarray(doc[1]["table"])
    np.testing.assert_allclose(
        decode(unb64(pos["data"]), pos["scale"]).reshape(6, 8), table, atol=np.abs(table).max() / 127 + 1e-6
    )
    assert f["expected"] == [[5 - t] for t in range(6)]  # reverse: the anti-diagonal
    assert f["match"][0] == pytest.approx([w[j][::-1].trace() / 6 for j in range(2)], abs=0.02)
    # The token embeddings' 2-D projection keeps the variance of the first two principal axes.
    e = np.asarray(doc[0]["table"])
    e = e - e.mean(0)
    eig = np.sort(np.linalg.eigvalsh(e.T @ e))[::-1]
    pts = np.c_[f["embedding"]["x"], f["embedding"]["y"]]
    np.testing.assert_allclose((pts**2).sum(0), eig[:2], rtol=1e-3)
    np.testing.assert_allclose(f["embedding"]["var"], eig[:2] / eig.sum(), rtol=1e-3)


def test_causal_maps_mark_the_mask_and_sort_expects_the_sorted_positions():
    cfg = SeqConfig(net="transformer", task="text", length=8, n_samples=60, width=8, heads=2, causal="true")
    s = Session(cfg)
    f = frames.frame(s.task, s.params, s.history, 0, 0, last=True, temperature=0.0)
    w = unb64(f["attention"][0]["weights"]).reshape(2, 8, 8)
    assert (w[:, np.triu_indices(8, 1)[0], np.triu_indices(8, 1)[1]] == 0).all()
    assert f["expected"] is None and f["match"] is None
    greedy = views.sample(s.task, s.params, f["input"], frames.SAMPLE_CHARS, 0.0)
    assert f["sample"]["text"] == "".join(s.task.data.vocab[t] for t in greedy)  # temperature 0: argmax
    assert views.expected_keys("sort", [3, 1, 3, 0]) == [[3], [1], [0, 2], [0, 2]]
    enc = Session(cfg.replace(causal="false"))
    assert frames.sampling(enc.task).startswith("an encoder sees")
    assert "sample" not in frames.frame(enc.task, enc.params, enc.history, 0, 0, last=True, temperature=1.0)


def test_a_trained_transformer_attends_along_the_anti_diagonal_on_reverse():
    """The lesson of the transformer page: reverse is solved by reading position T-1-t."""
    s = trained(SeqConfig(net="transformer", task="reverse", length=8, n_samples=1000), 30)
    assert s.history["test_accuracy"][-1] >= 0.95
    matches = []
    for i in range(5):
        f = frames.frame(s.task, s.params, s.history, 0, i, last=False)
        matches.append(np.max(f["match"]))
    # Some head puts most of its attention on the anti-diagonal (uniform attention would be 1/8).
    assert np.mean(matches) > 0.5, matches


def test_scene_gallery_and_sampling_rules():
    s = Session(SeqConfig(net="lstm", task="parens", length=6, n_samples=50))
    sc = frames.scene(s.task, s.table(), s.config)
    assert sc["kind"] == "recurrent" and sc["classes"] == ["unbalanced", "balanced"]
    assert sc["gates"] == ["input", "forget", "output"] and not sc["sample"]
    g = sc["gallery"][0]
    x, y = s.task.data.x_test[0], s.task.data.y_test[0]
    assert g["label"] == " ".join("()"[v] for v in x) + f" → {sc['classes'][y]}"
    t = Session(SeqConfig(net="transformer", task="text", length=16, causal="true", n_samples=40))
    sc = frames.scene(t.task, t.table(), t.config)
    assert sc["sample"] and sc["causal"] and sc["pattern"] is None and sc["view_length"] == 16
    assert frames.token_text(("\n", " ", "a") + tuple("bcdefghijk"), [0, 1, 2]) == "↵ a"


def test_session_text_is_checked_and_kept_on_error():
    s = Session(SeqConfig(net="gru", task="text", length=8, n_samples=20))
    s.step(1)
    with pytest.raises(DataError, match="needs at least 9"):
        s.set_text("abc")
    with pytest.raises(DataError, match="limit is 20,000"):
        s.set_text("x" * 20_001)
    assert s.text is None and s.epoch == 1  # nothing changed
    assert s.set_text("hello world, hello there") == "Weights reset: the text changed."
    assert s.epoch == 0 and set(s.task.data.vocab) == set("hello world, hello there")


def test_compare_trains_each_cell_on_the_same_data():
    cfg = SeqConfig(net="lstm", task="cumsum", length=6, n_samples=60, hidden=4)
    seen = []
    results = compare.compare(cfg, 3, on_cell=seen.append)
    assert seen == ["rnn", "lstm", "gru"] == [r["cell"] for r in results]
    for r in results:
        s = Session(cfg.replace(net=r["cell"]))
        s.step(3)
        assert r["epochs"] == 3 and r["test_loss"] == pytest.approx(s.history["test_loss"][-1], rel=1e-5)
        assert r["score"] == pytest.approx(r["test_loss"] / np.var(s.task.data.y_test), rel=1e-5)
        assert r["grad"].shape == (6,) and (r["grad"] >= 0).all()
    with pytest.raises(ValueError, match="epochs"):
        compare.compare(cfg, 0)
