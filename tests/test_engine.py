"""Tests for playground.core.engine: training, gradients and optimizer steps checked
against independent computations (finite differences, a hand-written NumPy
backprop), determinism, recompiles, divergence, early stopping and vmap.

Compiles dominate the run time (~1 s each on 2 cores), so every test shares the
tiny BASE network and the same chunk length: the engine caches one compiled
chunk per (Arch, chunk), and Arch ignores data values, seeds and hyper-parameters.
"""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from playground.core import engine, models
from playground.core.activations import ACTIVATIONS
from playground.core.config import Config
from playground.core.losses import LOSSES
from playground.core.models import INITS
from playground.core.optimizers import OPTIMIZERS

CHUNK = 16
BASE = Config(n_samples=80, hidden=(4, 3), learning_rate=0.1)


def graphdef(task):
    return engine._graphdef(task.arch.specs, task.arch.n_in)


def data_loss(task, params, x, y):
    """Mean data loss, no penalty and no dropout."""
    zero = {"l1": 0.0, "l2": 0.0}
    return float(engine.objective(task.arch, graphdef(task), params, zero, x, y))


def train(config, epochs=32, seed=None):
    task = engine.make_task(config)
    state = engine.init_state(task, seed=seed)
    state, history, reason = engine.advance(task, state, epochs, chunk=CHUNK)
    return task, state, history, reason


def layers(state):
    return models.params_to_layers(state.params)


def assert_params_close(a, b, **tol):
    for la, lb in zip(layers(a), layers(b), strict=True):
        for name in ("kernel", "bias"):
            np.testing.assert_allclose(la[name], lb[name], **tol)


def assert_histories_close(a, b, **tol):
    assert a.keys() == b.keys()
    assert a["epoch"] == b["epoch"]
    for k in a:
        np.testing.assert_allclose(a[k], b[k], **tol, err_msg=k)


# ---------------------------------------------------------------------------
# 1. Every registry entry trains: the train loss falls by a clear margin.

# The sigmoid squashes the gradient four times more than tanh: give it a bigger step.
# A linear network cannot separate a circle: give it the two Gaussian clouds.
ACTIVATION_CHANGES = {"sigmoid": {"learning_rate": 1.0}, "linear": {"dataset": "gauss"}}
LOSS_CASES = [  # (loss, output activation, dataset)
    ("bce", "sigmoid", "circle"),
    ("ce", "softmax", "circle"),
    ("hinge", "tanh", "circle"),
    ("mse", "tanh", "circle"),
    ("huber", "linear", "reg-plane"),
    ("mse", "linear", "reg-plane"),
]
# momentum and adam train full-batch: the same compiled chunks as the NumPy reference tests below.
OPTIMIZER_CHANGES = {
    "sgd": {"learning_rate": 0.1},
    "momentum": {"learning_rate": 0.1, "gd_variant": "batch"},
    "nesterov": {"learning_rate": 0.03},
    "adagrad": {"learning_rate": 0.1},
    "rmsprop": {"learning_rate": 0.01},
    "adam": {"learning_rate": 0.05, "gd_variant": "batch"},
    "adamw": {"learning_rate": 0.01},
}
VARIANT_LR = {"batch": 0.5, "stochastic": 0.03, "minibatch": 0.1}

TRAINING_CASES = (
    [pytest.param({"activation": a, **ACTIVATION_CHANGES.get(a, {})}, id=f"act-{a}") for a in ACTIVATIONS]
    + [
        pytest.param({"loss": loss, "output_activation": out, "dataset": ds}, id=f"loss-{loss}-{out}-{ds}")
        for loss, out, ds in LOSS_CASES
    ]
    + [pytest.param({"optimizer": o, **OPTIMIZER_CHANGES[o]}, id=f"opt-{o}") for o in OPTIMIZERS]
    + [pytest.param({"gd_variant": v, "learning_rate": lr}, id=f"gd-{v}") for v, lr in VARIANT_LR.items()]
)


def test_training_cases_cover_every_registry_entry():
    assert set(ACTIVATION_CHANGES) <= set(ACTIVATIONS)
    assert {loss for loss, _, _ in LOSS_CASES} == set(LOSSES)
    assert set(OPTIMIZER_CHANGES) == set(OPTIMIZERS)
    assert set(VARIANT_LR) == {"batch", "stochastic", "minibatch"}


@pytest.mark.parametrize("changes", TRAINING_CASES)
def test_training_lowers_the_train_loss(changes):
    task = engine.make_task(BASE.replace(**changes))
    state = engine.init_state(task)
    before = data_loss(task, state.params, task.x_train, task.y_train)
    state, history, reason = engine.advance(task, state, 32, chunk=CHUNK)
    assert reason is None and int(state.status) == engine.RUNNING
    assert history["epoch"] == list(range(1, 33)) and int(state.epoch) == 32
    assert np.isfinite(history["train_loss"]).all() and np.isfinite(history["test_loss"]).all()
    assert history["train_loss"][-1] < 0.8 * before, (before, history["train_loss"][::8])
    # The history's last train loss is the loss of the final parameters.
    assert history["train_loss"][-1] == pytest.approx(
        data_loss(task, state.params, task.x_train, task.y_train), rel=1e-5, abs=1e-6
    )


# ---------------------------------------------------------------------------
# 2. Gradients of the objective against central finite differences (float64).

GRADIENT_CASES = [  # (activation, loss, output activation, dataset, init)
    # glorot/he/lecun start biases at 0: relu only with tfp's 0.1, so that no
    # pre-activation sits exactly on its kink.
    ("relu", "bce", "sigmoid", "circle", "tfp"),
    ("leaky_relu", "huber", "linear", "reg-plane", "glorot"),
    ("elu", "hinge", "tanh", "xor", "lecun"),
    ("gelu", "ce", "softmax", "blobs", "he"),
    ("silu", "mse", "tanh", "circle", "glorot"),
    ("softplus", "mse", "sigmoid", "gauss", "he"),
    ("tanh", "mse", "softmax", "blobs", "tfp"),
    ("sigmoid", "huber", "tanh", "reg-gauss", "tfp"),
    ("linear", "mse", "linear", "reg-gauss", "glorot"),
    ("tanh", "ce", "softmax", "circle", "glorot"),
    ("relu", "hinge", "linear", "moons", "tfp"),
    ("tanh", "bce", "sigmoid", "moons", "lecun"),
]


def test_gradient_cases_cover_every_registry_entry():
    assert {c[0] for c in GRADIENT_CASES} == set(ACTIVATIONS)
    assert {c[1] for c in GRADIENT_CASES} == set(LOSSES)
    assert {c[4] for c in GRADIENT_CASES} == set(INITS)


@pytest.mark.parametrize("i", range(len(GRADIENT_CASES)), ids=["-".join(c[:4]) for c in GRADIENT_CASES])
def test_objective_gradient_matches_finite_differences(i):
    act, loss, out, ds, init = GRADIENT_CASES[i]
    config = Config(
        dataset=ds,
        n_samples=40,
        noise=10,
        hidden=(4, 3),
        activation=act,
        loss=loss,
        output_activation=out,
        init=init,
        seed=i,
        l1=0.01,
        l2=0.02,
    )
    task = engine.make_task(config)
    state = engine.init_state(task)
    # Case 0 also covers the dropout multipliers and the padding mask of a minibatch.
    keep = mask = None
    if i == 0:
        rng = np.random.default_rng(0)
        keep = [rng.choice([0.0, 2.0], (len(task.x_train), 4)), None, None]
        mask = (np.arange(len(task.x_train)) < 13).astype(float)
    with jax.enable_x64(True):
        cast = lambda t: jax.tree.map(lambda v: jnp.asarray(v, jnp.float64), t)
        params, reg, x, y, keep64, mask64 = cast(
            (state.params, state.reg, task.x_train, task.y_train, keep, mask)
        )
        flat, unravel = ravel_pytree(params)
        n_out = task.arch.n_out
        assert flat.dtype == jnp.float64 and flat.size == (2 + 1) * 4 + (4 + 1) * 3 + (3 + 1) * n_out

        @jax.jit
        def both(v):
            f = lambda v: engine.objective(task.arch, graphdef(task), unravel(v), reg, x, y, keep64, mask64)
            h = 1e-6
            eye = jnp.eye(v.size, dtype=v.dtype) * h
            return jax.grad(f)(v), (jax.vmap(f)(v + eye) - jax.vmap(f)(v - eye)) / (2 * h)

        auto, fd = map(np.asarray, both(flat))
    assert auto.dtype == np.float64
    assert np.abs(fd).max() > 1e-3  # the check is not vacuous
    np.testing.assert_allclose(auto, fd, rtol=1e-5, atol=1e-8)
    if i in (1, 3, 11):
        # The engine's float32 full-batch gradient agrees to float32 precision.
        g32 = ravel_pytree(engine.full_gradient(task, state))[0]
        np.testing.assert_allclose(np.asarray(g32), fd, rtol=2e-3, atol=2e-5)


# ---------------------------------------------------------------------------
# 3. One full-batch optimizer step against a hand-written NumPy backprop.


def numpy_gradient(ws, x, y, l1, l2):
    """Gradient of mean BCE(sigmoid output) of a tanh MLP plus l1|W| + l2 W^2 on kernels."""
    acts = [x]
    for w in ws[:-1]:
        acts.append(np.tanh(acts[-1] @ w["kernel"] + w["bias"]))
    z = acts[-1] @ ws[-1]["kernel"] + ws[-1]["bias"]
    delta = (1.0 / (1.0 + np.exp(-z)) - y) / len(x)  # d mean-BCE / dz
    grads = [None] * len(ws)
    for i in reversed(range(len(ws))):
        grads[i] = {
            "kernel": acts[i].T @ delta + l1 * np.sign(ws[i]["kernel"]) + 2 * l2 * ws[i]["kernel"],
            "bias": delta.sum(0),
        }
        if i:
            delta = (delta @ ws[i]["kernel"].T) * (1 - acts[i] ** 2)
    return grads


def numpy_train(ws, x, y, optimizer, steps, lr, l1, l2, momentum=0.9, b1=0.9, b2=0.999, eps=1e-8):
    """Full-batch steps of optax's sgd / sgd(momentum) / adam, written out."""
    ws = [{k: v.astype(np.float64) for k, v in w.items()} for w in ws]
    zeros = lambda: [{k: np.zeros_like(v) for k, v in w.items()} for w in ws]
    trace, mu, nu = zeros(), zeros(), zeros()
    for t in range(1, steps + 1):
        grads = numpy_gradient(ws, x, y, l1, l2)
        for w, g, v, m, n in zip(ws, grads, trace, mu, nu, strict=True):
            for k in w:
                if optimizer == "sgd":
                    w[k] = w[k] - lr * g[k]
                elif optimizer == "momentum":  # optax.trace: v <- g + m v; update -lr v
                    v[k] = g[k] + momentum * v[k]
                    w[k] = w[k] - lr * v[k]
                else:  # optax.adam: bias-corrected moments, eps outside the square root
                    m[k] = b1 * m[k] + (1 - b1) * g[k]
                    n[k] = b2 * n[k] + (1 - b2) * g[k] ** 2
                    m_hat, n_hat = m[k] / (1 - b1**t), n[k] / (1 - b2**t)
                    w[k] = w[k] - lr * m_hat / (np.sqrt(n_hat) + eps)
    return ws


@pytest.mark.parametrize(
    "optimizer, lr, epochs",
    [
        ("sgd", 0.5, 1),
        ("sgd", 0.5, 3),
        ("momentum", 0.1, 1),
        ("momentum", 0.1, 3),
        ("adam", 0.01, 1),
        ("adam", 0.01, 3),
    ],
)
def test_full_batch_steps_match_numpy_backprop(optimizer, lr, epochs):
    config = BASE.replace(
        gd_variant="batch",
        optimizer=optimizer,
        learning_rate=lr,
        momentum=0.8,
        beta1=0.85,
        beta2=0.99,
        l1=0.003,
        l2=0.01,
        noise=20,
    )
    task = engine.make_task(config)
    assert task.arch.steps == 1 and not task.arch.shuffled
    state = engine.init_state(task)
    x = np.asarray(task.x_train, np.float64)
    y = np.asarray(task.y_train, np.float64)
    want = numpy_train(
        layers(state), x, y, optimizer, epochs, lr, 0.003, 0.01, momentum=0.8, b1=0.85, b2=0.99
    )
    state, history, _ = engine.advance(task, state, epochs, chunk=CHUNK)
    assert history["epoch"] == list(range(1, epochs + 1))
    moved = 0.0
    for got, w, w0 in zip(layers(state), want, layers(engine.init_state(task)), strict=True):
        for k in ("kernel", "bias"):
            np.testing.assert_allclose(got[k], w[k], rtol=1e-5, atol=1e-5, err_msg=f"{optimizer} {k}")
            moved = max(moved, np.abs(w[k] - w0[k]).max())
    assert moved > 1e-3  # the steps were not negligible


# ---------------------------------------------------------------------------
# 4. A batch-GD epoch is one step on all the data.


def test_batch_epoch_is_one_gradient_step_on_the_training_set():
    task = engine.make_task(BASE.replace(gd_variant="batch", learning_rate=0.5, l2=0.01, l1=0.002))
    state = engine.init_state(task)
    grad = jax.jit(
        jax.grad(
            lambda p: engine.objective(task.arch, graphdef(task), p, state.reg, task.x_train, task.y_train)
        )
    )(state.params)
    want = jax.tree.map(lambda p, g: p - 0.5 * g, state.params, grad)
    after, _, _ = engine.advance(task, state, 1, chunk=CHUNK)
    assert_params_close(after, state._replace(params=want), rtol=1e-6, atol=1e-7)
    assert not np.allclose(layers(after)[0]["kernel"], layers(state)[0]["kernel"], atol=1e-4)


# ---------------------------------------------------------------------------
# 5. Determinism.


def test_same_seed_is_bitwise_reproducible_and_another_seed_differs():
    config = BASE.replace(noise=10, seed=3)
    _, a, ha, _ = train(config, 20)
    _, b, hb, _ = train(config, 20)
    assert ha == hb
    for la, lb in zip(layers(a), layers(b), strict=True):
        np.testing.assert_array_equal(la["kernel"], lb["kernel"])
        np.testing.assert_array_equal(la["bias"], lb["bias"])
    # Another init/shuffle seed on the same data, and another data seed.
    _, c, hc, _ = train(config, 20, seed=4)
    _, d, hd, _ = train(config.replace(seed=4), 20)
    for other, hist in ((c, hc), (d, hd)):
        assert hist["train_loss"] != ha["train_loss"]
        assert not np.allclose(layers(other)[0]["kernel"], layers(a)[0]["kernel"])


# ---------------------------------------------------------------------------
# 6. Changing hyper-parameters between chunks never recompiles.


class CompileCounter:
    EVENT = "/jax/core/compile/backend_compile_duration"

    def __init__(self):
        self.count = 0

    def __call__(self, event, duration, **kwargs):
        if event == self.EVENT:
            self.count += 1

    def __enter__(self):
        jax.monitoring.register_event_duration_secs_listener(self)
        return self

    def __exit__(self, *exc):
        jax.monitoring.unregister_event_duration_listener(self)


def test_compile_counter_sees_a_compile():
    v = jnp.arange(7.0)
    with CompileCounter() as counter:
        jax.jit(lambda v: v * 3 + 1.2345)(v)
    assert counter.count == 1


def test_set_hypers_between_chunks_does_not_recompile_and_takes_effect():
    config = BASE.replace(optimizer="momentum", learning_rate=0.03)
    task = engine.make_task(config)
    s0 = engine.init_state(task)
    # Warm up: the chunk and the few eager ops of set_hypers / advance.
    warm, _, _ = engine.advance(task, s0, CHUNK, chunk=CHUNK)
    engine.advance(task, engine.set_hypers(warm, config.replace(learning_rate=0.2)), CHUNK, chunk=CHUNK)
    fn = engine.compiled_chunk(task.arch, CHUNK)
    traces = fn._cache_size()

    with CompileCounter() as counter:
        s1, _, _ = engine.advance(task, s0, CHUNK, chunk=CHUNK)
        plain, h_plain, _ = engine.advance(task, s1, CHUNK, chunk=CHUNK)
        changed = engine.set_hypers(s1, config.replace(learning_rate=0.1, momentum=0.5, l2=0.01))
        s2, h_changed, _ = engine.advance(task, changed, CHUNK, chunk=CHUNK)
        changed2 = engine.set_hypers(s2, config.replace(learning_rate=0.05, l1=0.001, dropout=0.0))
        engine.advance(task, changed2, CHUNK, chunk=CHUNK)
    assert counter.count == 0
    assert fn._cache_size() == traces
    hp = changed.opt_state.hyperparams
    assert float(hp["learning_rate"]) == pytest.approx(0.1) and float(hp["momentum"]) == pytest.approx(0.5)
    assert float(changed.reg["l2"]) == pytest.approx(0.01)
    assert hp["learning_rate"].dtype == s1.opt_state.hyperparams["learning_rate"].dtype
    # Weights and progress are untouched by set_hypers; the new values do change the training.
    assert_params_close(changed, s1, rtol=0, atol=0)
    assert int(changed.epoch) == CHUNK
    assert h_changed["epoch"] == h_plain["epoch"] == list(range(CHUNK + 1, 2 * CHUNK + 1))
    assert not np.allclose(layers(s2)[0]["kernel"], layers(plain)[0]["kernel"], atol=1e-4)
    assert h_changed["train_loss"] != h_plain["train_loss"]


def test_set_hypers_learning_rate_matches_training_with_that_rate_from_the_start():
    task = engine.make_task(BASE)
    fresh = engine.init_state(task)
    slow = engine.set_hypers(engine.init_state(task), BASE.replace(learning_rate=0.01))
    direct = engine.init_state(engine.make_task(BASE.replace(learning_rate=0.01)))
    a, ha, _ = engine.advance(task, slow, 8, chunk=CHUNK)
    b, hb, _ = engine.advance(task, direct, 8, chunk=CHUNK)
    c, hc, _ = engine.advance(task, fresh, 8, chunk=CHUNK)
    assert ha == hb
    assert_params_close(a, b, rtol=0, atol=0)
    assert ha["train_loss"] != hc["train_loss"]


# ---------------------------------------------------------------------------
# 7. Divergence stops the run and keeps the last finite weights.

DIVERGING = BASE.replace(dataset="reg-plane", loss="mse", output_activation="linear", learning_rate=10.0)


def test_divergence_stops_with_finite_weights_and_history():
    task = engine.make_task(DIVERGING)
    start = engine.init_state(task)
    state, history, reason = engine.advance(task, start, 100, chunk=CHUNK)
    assert reason is not None and "diverged" in reason
    assert int(state.status) == engine.DIVERGED
    n = len(history["epoch"])
    assert n < 100 and int(state.epoch) == n and history["epoch"] == list(range(1, n + 1))
    assert set(history) == {"epoch", "train_loss", "test_loss"}  # regression: no accuracy
    for k in ("train_loss", "test_loss"):
        assert np.isfinite(history[k]).all()
    for layer in layers(state):
        assert np.isfinite(layer["kernel"]).all() and np.isfinite(layer["bias"]).all()
    # The kept weights are those of the last finite epoch: replaying n epochs gives them.
    replay, replay_history, replay_reason = engine.advance(task, start, n, chunk=CHUNK)
    assert replay_reason is None and replay_history == history
    assert_params_close(state, replay, rtol=0, atol=0)
    # One more epoch from there is what blew up.
    _, _, again = engine.advance(task, replay, 1, chunk=CHUNK)
    assert again is not None and "diverged" in again
    # A stopped run stays stopped, even after set_hypers.
    for s in (state, engine.set_hypers(state, DIVERGING.replace(learning_rate=0.001))):
        after, more, reason2 = engine.advance(task, s, 10, chunk=CHUNK)
        assert more == {"epoch": [], "train_loss": [], "test_loss": []}
        assert "diverged" in reason2 and int(after.epoch) == n
        assert_params_close(after, state, rtol=0, atol=0)


# ---------------------------------------------------------------------------
# 8. Early stopping.


def test_early_stopping_after_patience_epochs_without_improvement():
    config = BASE.replace(n_samples=80, noise=50, learning_rate=3.0, early_stopping_patience=3)
    task, state, history, reason = train(config, 200)
    assert reason is not None and "early stopping" in reason
    assert int(state.status) == engine.EARLY_STOPPED
    test = history["test_loss"]
    n = len(test)
    assert 3 < n < 200 and int(state.epoch) == n
    best = min(test[:-3])
    assert all(t >= best for t in test[-3:])
    assert float(state.best_test) == pytest.approx(min(test), rel=1e-6)
    # Every earlier window of 3 epochs held an improvement, or it would have stopped there.
    for j in range(1, n - 3):
        assert min(test[j : j + 3]) < min(test[:j]), j
    # Stopped: advance does nothing; set_hypers resumes the run.
    _, more, again = engine.advance(task, state, 5, chunk=CHUNK)
    assert more["epoch"] == [] and "early stopping" in again
    resumed, more, _ = engine.advance(
        task, engine.set_hypers(state, config.replace(learning_rate=0.01)), 2, chunk=CHUNK
    )
    assert more["epoch"] == [n + 1, n + 2] and int(resumed.epoch) == n + 2


# ---------------------------------------------------------------------------
# 9. advance_many trains K networks exactly as advance trains each.


def _many_and_singles():
    task = engine.make_task(BASE.replace(noise=10))
    rates = (0.1, 0.03, 0.3)
    singles = [
        engine.set_hypers(engine.init_state(task, seed=s), BASE.replace(learning_rate=lr, l2=s / 100))
        for s, lr in zip((0, 1, 2), rates, strict=True)
    ]
    stacked, histories = engine.advance_many(task, engine.stack_states(singles), 20, chunk=CHUNK)
    alone = [engine.advance(task, single, 20, chunk=CHUNK)[:2] for single in singles]
    return stacked, histories, alone


def test_advance_many_trains_each_network_as_advance_does():
    stacked, histories, alone = _many_and_singles()
    assert len(histories) == 3 and stacked.epoch.tolist() == [20, 20, 20]
    for i, (state, _) in enumerate(alone):
        assert_params_close(engine.unstack_state(stacked, i), state, rtol=1e-5, atol=1e-6)
    assert not np.allclose(layers(alone[0][0])[0]["kernel"], layers(alone[1][0])[0]["kernel"])


def test_advance_many_histories_match_advance_network_by_network():
    _, histories, alone = _many_and_singles()
    for i, (_, history) in enumerate(alone):
        assert_histories_close(histories[i], history, rtol=1e-5, atol=1e-6)
    assert histories[0]["train_loss"] != histories[1]["train_loss"]


# ---------------------------------------------------------------------------
# 10. Results do not depend on how the epochs are cut into calls.


def test_chunk_length_and_call_boundaries_do_not_change_results():
    task = engine.make_task(BASE.replace(noise=10))
    start = engine.init_state(task)
    a, ha, _ = engine.advance(task, start, 40, chunk=16)
    b, hb, _ = engine.advance(task, start, 40, chunk=64)
    assert len(ha["epoch"]) == 40 and ha["epoch"] == hb["epoch"]
    assert_histories_close(ha, hb, rtol=1e-6, atol=1e-7)
    assert_params_close(a, b, rtol=1e-6, atol=1e-7)
    # 7 + 33 epochs in two calls: the second call starts mid-chunk.
    c1, hc1, _ = engine.advance(task, start, 7, chunk=16)
    c, hc2, _ = engine.advance(task, c1, 33, chunk=16)
    assert hc1["epoch"] + hc2["epoch"] == ha["epoch"]
    joined = {k: hc1[k] + hc2[k] for k in ha}
    assert_histories_close(joined, ha, rtol=1e-6, atol=1e-7)
    assert_params_close(c, a, rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------------------
# 11. Parameters survive a JSON round trip; bad shapes are named.


def test_params_json_round_trip_and_training_from_loaded_params():
    task = engine.make_task(BASE)
    trained, _, _ = engine.advance(task, engine.init_state(task), 5, chunk=CHUNK)
    text = json.dumps([{k: v.tolist() for k, v in layer.items()} for layer in layers(trained)])
    loaded = models.layers_to_params(engine.init_state(task, seed=9).params, json.loads(text))
    for la, lb in zip(models.params_to_layers(loaded), layers(trained), strict=True):
        assert la["kernel"].shape == lb["kernel"].shape
        np.testing.assert_array_equal(la["kernel"], lb["kernel"])
        np.testing.assert_array_equal(la["bias"], lb["bias"])
    shapes = [(layer["kernel"].shape, layer["bias"].shape) for layer in layers(trained)]
    assert shapes == [((2, 4), (4,)), ((4, 3), (3,)), ((3, 1), (1,))]
    # Training from the loaded params continues exactly as from the originals.
    a, ha, _ = engine.advance(task, engine.init_state(task, params=loaded), 3, chunk=CHUNK)
    b, hb, _ = engine.advance(task, engine.init_state(task, params=trained.params), 3, chunk=CHUNK)
    assert ha == hb


@pytest.mark.parametrize(
    "edit, words",
    [
        (
            lambda ls: ls[1].update(kernel=np.zeros((3, 4)).tolist()),
            ["layer 1", "kernel", "(3, 4)", "(4, 3)"],
        ),
        (lambda ls: ls[2].update(bias=[0.0, 0.0]), ["layer 2", "bias", "(2,)"]),
        (lambda ls: ls[0].pop("bias"), ["layer 0", "bias", "missing"]),
        (lambda ls: ls[0].update(kernel=[["a", "b", "c", "d"]] * 2), ["layer 0", "kernel"]),
        (lambda ls: ls[1].update(bias=[0.0, float("nan"), 0.0]), ["layer 1", "bias", "NaN"]),
        (lambda ls: ls.pop(), ["expected 3 layers", "got 2"]),
        (lambda ls: ls.__setitem__(1, [1, 2]), ["layer 1"]),
    ],
)
def test_layers_to_params_rejects_bad_shapes_naming_the_layer(edit, words):
    task = engine.make_task(BASE)
    template = engine.init_state(task).params
    ls = [{k: v.tolist() for k, v in layer.items()} for layer in models.params_to_layers(template)]
    edit(ls)
    with pytest.raises(ValueError) as info:
        models.layers_to_params(template, ls)
    for word in words:
        assert word in str(info.value)


# ---------------------------------------------------------------------------
# 12. Dropout trains, and the reported metrics are computed without it.


def test_dropout_trains_and_metrics_are_measured_without_dropout_or_penalty():
    config = BASE.replace(dropout=0.5, l2=0.01, learning_rate=0.1)
    task = engine.make_task(config)
    assert all(s.dropout for s in task.arch.specs[:-1]) and not task.arch.specs[-1].dropout
    state = engine.init_state(task)
    before = data_loss(task, state.params, task.x_train, task.y_train)
    state, history, _ = engine.advance(task, state, 48, chunk=CHUNK)
    assert history["train_loss"][-1] < 0.9 * before
    assert history["train_loss"][-1] == pytest.approx(
        data_loss(task, state.params, task.x_train, task.y_train), rel=1e-5, abs=1e-6
    )
    assert history["test_loss"][-1] == pytest.approx(
        data_loss(task, state.params, task.x_test, task.y_test), rel=1e-5, abs=1e-6
    )
    # The penalty is real (so leaving it out above was a choice), and so is dropout:
    # the same run with rate 0 is plain training, bit for bit the network without dropout.
    assert (
        float(
            engine.objective(task.arch, graphdef(task), state.params, state.reg, task.x_train, task.y_train)
        )
        > history["train_loss"][-1] + 1e-4
    )
    plain_task = engine.make_task(BASE)
    no_rate = engine.set_hypers(engine.init_state(task), BASE)
    a, ha, _ = engine.advance(task, no_rate, 8, chunk=CHUNK)
    b, hb, _ = engine.advance(plain_task, engine.init_state(plain_task), 8, chunk=CHUNK)
    assert_histories_close(ha, hb, rtol=1e-6, atol=1e-7)
    c, hc, _ = engine.advance(task, engine.init_state(task), 8, chunk=CHUNK)
    assert not np.allclose(hc["train_loss"], hb["train_loss"], rtol=1e-3)


def test_a_server_near_its_memory_map_limit_drops_compiled_code_and_keeps_training():
    """Each compiled program keeps its code mapped; past a share of vm.max_map_count the sessions
    drop JAX's in-memory caches (a server would otherwise abort). Training then goes on exactly."""
    from playground.live.session import Session

    config = Config(hidden=(3,), n_samples=120)
    straight = Session(config)
    straight.step(6)
    s = Session(config)
    s.step(3)
    with open("/proc/self/maps") as f:
        before = sum(1 for _ in f)
    probe = jax.jit(lambda x: x * 2)
    probe(1.0)
    assert probe._cache_size() == 1
    assert not engine.relieve_code_maps(share=1.0)  # far from the limit: nothing is dropped
    assert engine.relieve_code_maps(share=0.0)  # past it: the caches go
    assert probe._cache_size() == 0
    with open("/proc/self/maps") as f:
        assert sum(1 for _ in f) < before  # the compiled code was unmapped
    s.step(3)  # compiled again (or read from the persistent cache), same numbers
    for k in ("train_loss", "test_loss"):
        assert s.history[k][-1] == pytest.approx(straight.history[k][-1], rel=1e-6)
