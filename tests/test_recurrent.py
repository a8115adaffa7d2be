"""The recurrent layer kind (cells rnn, lstm, gru; issue 13's foundation) against the equations
written out in NumPy, its gradient against float64 finite differences, its shapes and parameter
counts against the built model, and bad stacks by name."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from playground.core import layers
from playground.core.layers import LayerError


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def np_recurrent(cell, act, x, p, every):
    """The documented equations, one step at a time (gate blocks i, f, g, o and r, z, n)."""
    n, T, _ = x.shape
    W, U, b = p["kernel"], p["recurrent_kernel"], p["bias"]
    H = U.shape[0]
    h, c, out = np.zeros((n, H)), np.zeros((n, H)), []
    for t in range(T):
        xt = x[:, t]
        if cell == "rnn":
            z = xt @ W + h @ U + b
            h = np.tanh(z) if act == "tanh" else np.maximum(z, 0)
        elif cell == "lstm":
            z = xt @ W + h @ U + b
            i, f, g, o = (z[:, k * H : (k + 1) * H] for k in range(4))
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
        else:
            xs, hs = xt @ W + b, h @ U + p["recurrent_bias"]
            part = lambda a, k: a[:, k * H : (k + 1) * H]  # noqa: E731
            r = sigmoid(part(xs, 0) + part(hs, 0))
            zg = sigmoid(part(xs, 1) + part(hs, 1))
            nn = np.tanh(part(xs, 2) + r * part(hs, 2))
            h = (1 - zg) * nn + zg * h
        out.append(h)
    return np.stack(out, 1) if every else h


def layer_params(params, i):
    return {k: np.asarray(v, np.float64) for k, v in nnx.to_pure_dict(params)["layers"][i].items()}


@pytest.mark.parametrize("every", ["true", "false"])
@pytest.mark.parametrize("cell, act", [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")])
def test_cells_match_the_equations_in_numpy(cell, act, every):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 7, 3)).astype(np.float32)
    stack = (layers.make("rnn", cell=cell, units=5, activation=act, return_sequences=every),)
    graphdef, params = layers.build(stack, (7, 3), "glorot", 2)
    if cell == "gru":  # a non-zero recurrent bias, so its place in the equations is tested too
        pure = nnx.to_pure_dict(params)
        pure["layers"][0]["recurrent_bias"] = jnp.asarray(rng.normal(size=15), jnp.float32)
        nnx.replace_by_pure_dict(params, pure)
    z, _ = nnx.merge(graphdef, params)(jnp.asarray(x))
    want = np_recurrent(cell, act, x.astype(np.float64), layer_params(params, 0), every == "true")
    assert z.shape == want.shape == (4, *layers.check_stack(stack, (7, 3))[0])
    np.testing.assert_allclose(np.asarray(z), want, rtol=1e-4, atol=1e-5)


def test_parameter_counts_and_shapes_match_the_built_model():
    stack = (
        layers.make("rnn", cell="gru", units=6, return_sequences="true"),
        layers.make("dense", units=4, activation="tanh"),  # per time step
        layers.make("rnn", cell="lstm", units=3),
        layers.make("dense", units=2),
    )
    shapes = layers.check_stack(stack, (9, 2))
    assert shapes == [(9, 6), (9, 4), (3,), (2,)]
    graphdef, params = layers.build(stack, (9, 2), "he", 0)
    _, trace = nnx.merge(graphdef, params)(jnp.zeros((5, 9, 2)))
    assert [tuple(a.shape[1:]) for _, a in trace] == shapes
    in_shapes = [(9, 2), *shapes[:-1]]
    counted = [layers.n_params(la, s) for la, s in zip(stack, in_shapes)]
    pure = nnx.to_pure_dict(params)["layers"]
    actual = [sum(np.size(v) for v in pure[i].values()) for i in range(len(stack))]
    assert counted == actual == [2 * 18 + 6 * 18 + 2 * 18, 6 * 4 + 4, 4 * 12 + 3 * 12 + 12, 3 * 2 + 2]


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_gradient_matches_finite_differences_in_float64(cell):
    with jax.enable_x64(True):
        rng = np.random.default_rng(5)
        x = jnp.asarray(rng.normal(size=(3, 6, 2)))
        y = jnp.asarray(rng.normal(size=(3, 2)))
        stack = (layers.make("rnn", cell=cell, units=4), layers.Layer("dense", units=2, activation="linear"))
        graphdef, params = layers.build(stack, (6, 2), "glorot", 1)
        params = jax.tree.map(lambda v: v.astype(jnp.float64), params)

        def loss(p):
            return jnp.sum((nnx.merge(graphdef, p)(x)[0] - y) ** 2)

        grads = jax.grad(loss)(params)
        leaves, tree = jax.tree.flatten(params)
        eps = 1e-6
        for li, (leaf, g) in enumerate(zip(leaves, jax.tree.leaves(grads))):
            flat = np.asarray(leaf).ravel()
            for j in rng.choice(flat.size, size=min(3, flat.size), replace=False):
                vals = []
                for sign in (1, -1):
                    f = flat.copy()
                    f[j] += sign * eps
                    new = [jnp.asarray(f.reshape(leaf.shape)) if k == li else v for k, v in enumerate(leaves)]
                    vals.append(float(loss(jax.tree.unflatten(tree, new))))
                assert np.asarray(g).ravel()[j] == pytest.approx(
                    (vals[0] - vals[1]) / (2 * eps), rel=1e-5, abs=1e-7
                )


def test_text_defaults_and_errors():
    layer = layers.parse("rnn cell=gru units=8")
    assert (
        layer.activation == "tanh"
        and layer.return_sequences == "false"
        and layers.parse(layer.text()) == layer
    )
    assert layers.parse("rnn").units == 16 and layers.parse("rnn").label == "lstm 16"
    with pytest.raises(LayerError, match="rnn cell 'transformer' unknown; choose one of rnn, lstm, gru"):
        layers.parse("rnn cell=transformer")
    with pytest.raises(LayerError, match="rnn activation 'sigmoid' unknown; choose one of tanh, relu"):
        layers.parse("rnn activation=sigmoid")
    with pytest.raises(
        LayerError, match=r"layer 2: rnn needs a sequence \(steps×features\), but its input is a vector"
    ):
        layers.check_stack((layers.parse("rnn"), layers.parse("rnn")), (5, 3))
    with pytest.raises(LayerError, match="layer 1: rnn needs a sequence.*an image 8×8×1"):
        layers.check_stack((layers.parse("rnn"),), (8, 8, 1))


def test_embedding_rows_and_its_place():
    stack = (layers.make("embedding", vocab=5, units=3),)
    graphdef, params = layers.build(stack, (4,), "glorot", 0)
    ids = np.array([[0, 4, 2, 2]])
    z, _ = nnx.merge(graphdef, params)(jnp.asarray(ids))
    table = np.asarray(nnx.to_pure_dict(params)["layers"][0]["table"])
    np.testing.assert_array_equal(np.asarray(z)[0], table[ids[0]])
    assert layers.check_stack(stack, (4,)) == [(4, 3)] and layers.n_params(stack[0], (4,)) == 15
    with pytest.raises(
        LayerError, match="layer 2: embedding reads token ids: it can only be the first layer"
    ):
        layers.check_stack((layers.make("dense", units=3), layers.make("embedding")), (4,))


def test_the_engine_trains_an_lstm_on_targets_at_every_step():
    """Token sequences whose answer at step t is the token at t-1 (0 at t=0): embedding, LSTM over
    every step, a dense softmax per step. The engine's per-step loss and accuracy are checked
    against NumPy on the trained network's outputs."""
    from playground.core import engine, losses
    from playground.core.config import Config

    rng = np.random.default_rng(0)
    T, V = 8, 5
    x = rng.integers(0, V, size=(240, T))
    y = np.concatenate([np.zeros((240, 1), int), x[:, :-1]], 1)
    onehot = np.eye(V, dtype=np.float32)[y]
    stack = (
        layers.make("embedding", vocab=V, units=8),
        layers.make("rnn", cell="lstm", units=16, return_sequences="true"),
        layers.Layer("dense", units=V, activation="softmax"),
    )
    arch = engine.Arch(
        specs=stack,
        n_in=T,
        loss="ce",
        output_activation="softmax",
        kind="multiclass",
        optimizer="adam",
        n_train=160,
        n_test=80,
        batch=16,
        steps=10,
        in_shape=(T,),
    )
    config = Config(
        optimizer="adam",
        learning_rate=0.02,
        init="glorot",
        loss="ce",
        output_activation="softmax",
        dataset="blobs",
    )
    task = engine.Task(
        config,
        None,
        arch,
        jnp.asarray(x[:160]),
        jnp.asarray(onehot[:160]),
        jnp.asarray(x[160:]),
        jnp.asarray(onehot[160:]),
        jnp.asarray(engine.permutation_pool(160, 0)),
    )
    state, h, _ = engine.advance(task, engine.init_state(task), 40)
    assert h["test_accuracy"][-1] >= 0.95 > h["test_accuracy"][0]
    z = np.asarray(engine._forward(arch, engine.graph_of(arch), state.params, task.x_test), np.float64)
    logp = z - np.log(np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True)) - z.max(-1, keepdims=True)
    ce = -(onehot[160:] * logp).sum(-1).mean()
    assert ce == pytest.approx(h["test_loss"][-1], rel=1e-4)
    assert (z.argmax(-1) == y[160:]).mean() == pytest.approx(h["test_accuracy"][-1], abs=1e-6)
    assert losses.LOSSES["ce"].per_example(jnp.asarray(z), jnp.asarray(onehot[160:]), "softmax").shape == (
        80,
        T,
    )


# ---- the transformer's kinds: positional, layernorm, block -------------------------------------
def np_layer_norm(x, scale, bias, eps=1e-5):
    mean = x.mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(((x - mean) ** 2).mean(-1, keepdims=True) + eps) * scale + bias


def np_block(x, p, heads, causal, act):
    """The documented pre-norm block, head by head."""
    n, t, d = x.shape
    dh = d // heads

    def dense(a, q):
        return a @ q["kernel"] + q["bias"]

    h = np_layer_norm(x, p["ln1"]["scale"], p["ln1"]["bias"])
    q, k, v = dense(h, p["query"]), dense(h, p["key"]), dense(h, p["value"])
    out = np.zeros_like(x)
    for b in range(n):
        cols = []
        for j in range(heads):
            sl = slice(j * dh, (j + 1) * dh)
            s = q[b, :, sl] @ k[b, :, sl].T / np.sqrt(dh)
            if causal:
                s = np.where(np.tril(np.ones((t, t))) > 0, s, -np.inf)
            w = np.exp(s - s.max(-1, keepdims=True))
            w /= w.sum(-1, keepdims=True)
            cols.append(w @ v[b, :, sl])
        out[b] = np.concatenate(cols, -1)
    x = x + dense(out, p["out"])
    h2 = np_layer_norm(x, p["ln2"]["scale"], p["ln2"]["bias"])
    acts = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh}
    return x + dense(acts[act](dense(h2, p["mlp1"])), p["mlp2"])


def to_np(tree):
    return jax.tree.map(lambda v: np.asarray(v, np.float64), tree)


@pytest.mark.parametrize("heads, causal", [(1, "true"), (2, "true"), (4, "false")])
def test_block_matches_the_equations_in_numpy(heads, causal):
    rng = np.random.default_rng(heads)
    x = rng.normal(size=(3, 5, 8)).astype(np.float32)
    stack = (layers.make("block", heads=heads, causal=causal, units=12, activation="relu"),)
    graphdef, params = layers.build(stack, (5, 8), "glorot", 4)
    pure = nnx.to_pure_dict(params)
    lp = pure["layers"][0]
    lp["ln1"]["scale"] = jnp.asarray(
        rng.normal(size=8), jnp.float32
    )  # not the identity, so LN's place is tested
    lp["ln2"]["bias"] = jnp.asarray(rng.normal(size=8), jnp.float32)
    nnx.replace_by_pure_dict(params, pure)
    z, _ = nnx.merge(graphdef, params)(jnp.asarray(x))
    want = np_block(
        x.astype(np.float64), to_np(nnx.to_pure_dict(params)["layers"][0]), heads, causal == "true", "relu"
    )
    np.testing.assert_allclose(np.asarray(z), want, rtol=2e-4, atol=2e-5)
    assert layers.n_params(stack[0], (5, 8)) == sum(np.size(v) for v in jax.tree.leaves(params))


def test_causal_attention_never_looks_ahead():
    stack = (layers.make("embedding", vocab=6, units=8), layers.make("positional"), layers.make("block"))
    graphdef, params = layers.build(stack, (6,), "glorot", 0)
    a = jnp.asarray([[1, 2, 3, 4, 5, 0]])
    b = a.at[0, 4].set(2)  # change step 4 only
    za, zb = (np.asarray(nnx.merge(graphdef, params)(v)[0]) for v in (a, b))
    np.testing.assert_allclose(za[0, :4], zb[0, :4], atol=1e-6)  # steps 0..3 cannot see it
    assert np.abs(za[0, 4:] - zb[0, 4:]).max() > 1e-3
    open_stack = (*stack[:2], layers.make("block", causal="false"))
    graphdef, params = layers.build(open_stack, (6,), "glorot", 0)
    za, zb = (np.asarray(nnx.merge(graphdef, params)(v)[0]) for v in (a, b))
    assert np.abs(za[0, 0] - zb[0, 0]).max() > 1e-4  # an encoder's first step sees every step


def test_positional_tables_and_layernorm():
    t, d = 7, 6
    graphdef, params = layers.build((layers.make("positional", encoding="sinusoidal"),), (t, d), "glorot", 0)
    z, _ = nnx.merge(graphdef, params)(jnp.zeros((1, t, d)))
    pos, i = np.arange(t)[:, None], np.arange(d)[None, :]
    angle = pos / 10000 ** ((i // 2 * 2) / d)
    np.testing.assert_allclose(
        np.asarray(z[0]), np.where(i % 2 == 0, np.sin(angle), np.cos(angle)), atol=1e-5
    )
    assert layers.n_params(layers.make("positional", encoding="sinusoidal"), (t, d)) == 0
    assert layers.n_params(layers.make("positional"), (t, d)) == t * d
    x = np.random.default_rng(0).normal(size=(2, t, d)).astype(np.float32)
    graphdef, params = layers.build((layers.make("layernorm"),), (t, d), "glorot", 0)
    z, _ = nnx.merge(graphdef, params)(jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(z), np_layer_norm(x.astype(np.float64), 1.0, 0.0), atol=1e-5)


def test_transformer_gradient_matches_finite_differences_in_float64():
    with jax.enable_x64(True):
        rng = np.random.default_rng(7)
        stack = (
            layers.make("embedding", vocab=4, units=4),
            layers.make("positional"),
            layers.make("block", heads=2, units=6),
            layers.make("layernorm"),
            layers.Layer("dense", units=4, activation="softmax"),
        )
        graphdef, params = layers.build(stack, (5,), "glorot", 3)
        params = jax.tree.map(lambda v: v.astype(jnp.float64), params)
        x = jnp.asarray(rng.integers(0, 4, size=(2, 5)))
        y = jax.nn.one_hot(jnp.asarray(rng.integers(0, 4, size=(2, 5))), 4)

        def loss(p):
            z = nnx.merge(graphdef, p)(x)[0]
            return -(y * jax.nn.log_softmax(z)).sum()

        grads, (leaves, tree) = jax.grad(loss)(params), jax.tree.flatten(params)
        eps, checked = 1e-6, 0
        for li, (leaf, g) in enumerate(zip(leaves, jax.tree.leaves(grads))):
            flat = np.asarray(leaf).ravel()
            j = int(rng.integers(flat.size))
            vals = []
            for sign in (1, -1):
                f = flat.copy()
                f[j] += sign * eps
                new = [jnp.asarray(f.reshape(leaf.shape)) if k == li else v for k, v in enumerate(leaves)]
                vals.append(float(loss(jax.tree.unflatten(tree, new))))
            assert np.asarray(g).ravel()[j] == pytest.approx(
                (vals[0] - vals[1]) / (2 * eps), rel=1e-5, abs=1e-7
            )
            checked += 1
        assert checked == len(leaves) >= 20


def test_transformer_stack_errors_are_named():
    with pytest.raises(LayerError, match="layer 2: block: 3 heads must split the width 8 evenly"):
        layers.check_stack((layers.make("embedding", units=8), layers.make("block", heads=3)), (5,))
    with pytest.raises(LayerError, match="layer 1: block needs a sequence"):
        layers.check_stack((layers.make("block"),), (5,))


def test_an_lstm_forget_gate_starts_open():
    graphdef, params = layers.build((layers.make("rnn", cell="lstm", units=3),), (4, 2), "glorot", 0)
    bias = np.asarray(nnx.to_pure_dict(params)["layers"][0]["bias"])
    np.testing.assert_array_equal(bias, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])  # blocks i, f, g, o
