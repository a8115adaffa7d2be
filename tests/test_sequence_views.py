"""The sequence views as numbers: hidden states and gates against the cell equations in NumPy, the
gradient norm over time against float64 finite differences, attention weights against NumPy."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from playground.core import engine, losses, params_format
from playground.zoo.sequence import views
from playground.zoo.sequence.config import SeqConfig
from playground.zoo.sequence.task import make_task
from tests.test_recurrent import np_recurrent
from tests.test_sequence_cli import dense, ln, softmax


def trained(config, epochs=3):
    task = make_task(config)
    state, _, _ = engine.advance(task, engine.init_state(task), epochs)
    return task, state.params


@pytest.mark.parametrize("net", ["rnn", "lstm", "gru"])
def test_hidden_states_and_gates_follow_the_cell_equations(net):
    task, params = trained(SeqConfig(task="copy", net=net, n_samples=100, length=6, hidden=5))
    doc = params_format.to_json(task.arch.specs, task.arch.in_shape, params)["layers"]
    x = np.asarray(task.x_test[0])
    steps = views.recurrent_steps(task, params, x)
    emb = np.asarray(doc[0]["table"])[x][None]
    p = {
        k: np.asarray(doc[1][k])
        for k in ("kernel", "recurrent_kernel", "bias", "recurrent_bias")
        if k in doc[1]
    }
    want = np_recurrent(net, "tanh", emb, p, True)[0]
    np.testing.assert_allclose(steps["hidden"], want, rtol=1e-4, atol=1e-5)
    if net == "lstm":
        assert set(steps) == {"hidden", "input", "forget", "output", "cell"}
        np.testing.assert_allclose(steps["hidden"], steps["output"] * np.tanh(steps["cell"]), atol=1e-5)
    if net == "gru":
        assert set(steps) == {"hidden", "reset", "update"}
    gates = [v for k, v in steps.items() if k not in ("hidden", "cell")]
    assert all(((g > 0) & (g < 1)).all() for g in gates)


def test_gradient_norm_over_time_matches_finite_differences():
    with jax.enable_x64(True):
        task, params = trained(SeqConfig(task="first", net="rnn", n_samples=60, length=6, hidden=4))
        params = jax.tree.map(lambda v: v.astype(jnp.float64), params)
        x, y = np.asarray(task.x_test[1], np.float64), np.asarray(task.y_test[1], np.float64)
        norms = views.hidden_gradient_norms(task, params, x, y)
        model = nnx.merge(engine.graph_of(task.arch), params)
        mod, xin = model.layers[0], jnp.asarray(x)[None]

        def loss(deltas):
            h = views._cell_steps(mod, xin, deltas)["hidden"][:, -1]
            z = views._output(model, 1, h)
            return float(losses.LOSSES["mse"].per_example(z, jnp.asarray(y)[None], "linear").mean())

        zero = np.zeros((6, 1, 4))
        z_net = engine._forward(task.arch, engine.graph_of(task.arch), params, jnp.asarray(x)[None])
        assert loss(jnp.asarray(zero)) == pytest.approx(
            float(((np.asarray(z_net) - y) ** 2).mean()), rel=1e-9
        )
        eps, fd = 1e-6, np.zeros((6, 4))
        for t in range(6):
            for u in range(4):
                plus, minus = zero.copy(), zero.copy()
                plus[t, 0, u], minus[t, 0, u] = eps, -eps
                fd[t, u] = (loss(jnp.asarray(plus)) - loss(jnp.asarray(minus))) / (2 * eps)
        np.testing.assert_allclose(norms, np.linalg.norm(fd, axis=1), rtol=1e-5, atol=1e-9)
        assert norms[-1] > 0


@pytest.mark.parametrize("causal", ["true", "false"])
def test_attention_weights_against_numpy(causal):
    cfg = SeqConfig(
        task="reverse", net="transformer", n_samples=100, length=6, width=8, heads=2, causal=causal
    )
    task, params = trained(cfg, 2)
    doc = params_format.to_json(task.arch.specs, task.arch.in_shape, params)["layers"]
    x = np.asarray(task.x_test[0])
    maps = views.attention_maps(task, params, x)
    assert len(maps) == cfg.blocks
    h = np.asarray(doc[0]["table"])[x][None] + np.asarray(doc[1]["table"])
    a = doc[2]["attention"]
    hn = ln(h, doc[2]["ln1"])
    q, k = dense(hn, a["query"])[0], dense(hn, a["key"])[0]
    for j in range(2):
        sl = slice(4 * j, 4 * j + 4)
        s = q[:, sl] @ k[:, sl].T / math.sqrt(4)
        if causal == "true":
            s = np.where(np.tril(np.ones((6, 6))) > 0, s, -np.inf)
        np.testing.assert_allclose(maps[0]["weights"][j], softmax(s), atol=1e-5)
    w = maps[0]["weights"]
    np.testing.assert_allclose(w.sum(-1), 1, atol=1e-5)
    assert (np.triu(w, 1) < 1e-8).all() == (causal == "true")


def test_gradient_clipping_by_global_norm_matches_optax_and_never_recompiles():
    """One full-batch epoch with clip c equals optax's clip_by_global_norm(c) then SGD, done by
    hand; changing c between chunks is a state edit (no new compile)."""
    import optax
    from flax import nnx

    cfg = SeqConfig(
        task="first",
        net="rnn",
        n_samples=40,
        length=5,
        hidden=4,
        gd_variant="batch",
        optimizer="sgd",
        learning_rate=0.5,
        clip=0.01,
    )
    task = make_task(cfg)
    state = engine.init_state(task)
    graphdef = engine.graph_of(task.arch)

    def loss(p):
        z = nnx.merge(graphdef, p)(task.x_train)[0]
        return ((z - task.y_train) ** 2).mean()

    opt = optax.chain(optax.clip_by_global_norm(0.01), optax.sgd(0.5))
    g = jax.grad(loss)(state.params)
    assert float(optax.tree.norm(g)) > 0.01  # the clip bites
    updates, _ = opt.update(g, opt.init(state.params), state.params)
    want = optax.apply_updates(state.params, updates)
    got, _, _ = engine.advance(task, state, 1, chunk=1)
    for a, b in zip(jax.tree.leaves(got.params), jax.tree.leaves(want)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    n = engine.compile_count()
    got = engine.set_hypers(got, cfg.replace(clip=0.0))
    engine.advance(task, got, 1, chunk=1)
    assert engine.compile_count() == n


def test_text_sampling_temperature_zero_is_argmax_and_seeded():
    cfg = SeqConfig(task="text", net="gru", n_samples=200, length=12, hidden=16)
    task, params = trained(cfg, 3)
    prompt = [int(t) for t in np.asarray(task.x_test[0])[:5]]
    greedy = views.sample(task, params, prompt, 15, 0.0)
    # An independent greedy decode: the engine's forward pass on the growing window, argmax.
    seq = list(prompt)
    for _ in range(15):
        w = seq[-12:]
        w = [w[0]] * (12 - len(w)) + w
        z = engine._forward(task.arch, engine.graph_of(task.arch), params, jnp.asarray([w]))
        seq.append(int(np.argmax(np.asarray(z)[0, -1])))
    assert greedy == seq[5:]
    hot = views.sample(task, params, prompt, 40, 1.5, seed=3)
    assert (
        hot
        == views.sample(task, params, prompt, 40, 1.5, seed=3)
        != views.sample(task, params, prompt, 40, 1.5, seed=4)
    )
    assert len(set(hot)) > len(set(greedy))  # a hot sample spreads over more characters
    with pytest.raises(ValueError, match="prompt: give at least one token id"):
        views.sample(task, params, [], 5, 0.0)
    with pytest.raises(ValueError, match="temperature: from 0 to 10"):
        views.sample(task, params, prompt, 5, -1.0)
    enc, enc_params = trained(
        SeqConfig(task="text", net="transformer", n_samples=60, length=8, width=8, blocks=1), 1
    )
    with pytest.raises(ValueError, match="an encoder sees every step"):
        views.sample(enc, enc_params, prompt[:1], 5, 0.0)


def test_sampling_refuses_a_last_step_network():
    task, params = trained(SeqConfig(task="parens", net="lstm", n_samples=40, length=6, hidden=4), 1)
    with pytest.raises(ValueError, match="predicts the next token at every step"):
        views.sample(task, params, [0], 3, 0.0)
