"""The backprop tracer against independent computations: jax.grad and central finite
differences of an objective built from optax's own losses (float64), the engine's
training step, optax's optimizer state, and the published numbers of the classic
worked example (Matt Mazur, "A Step by Step Backpropagation Example")."""

import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.flatten_util import ravel_pytree

from playground import cli
from playground.backprop import figures as bf
from playground.backprop import steps as bs
from playground.backprop import trace as bp
from playground.core import engine, models
from playground.core.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from playground.core.config import Config
from playground.core.losses import LOSSES
from playground.core.optimizers import OPTIMIZERS
from playground.data.points import Data

ACTS = list(ACTIVATIONS)
LOSS_OUTPUTS = [(loss, out) for loss, spec in LOSSES.items() for out in spec.outputs]


def config_for(loss, out, **kw) -> Config:
    # softmax with mse/huber needs a multi-class dataset in the config's eyes
    dataset = "blobs" if out == "softmax" and loss != "ce" else "circle"
    return Config(dataset=dataset, loss=loss, output_activation=out, **kw)


def targets(rng, loss, out, b, k):
    if loss == "ce" or (out == "softmax" and loss != "ce"):
        return np.eye(k)[rng.integers(0, k, b)]
    if loss == "bce":
        return rng.integers(0, 2, (b, k)).astype(float)
    if loss == "hinge":
        return rng.choice([-1.0, 1.0], (b, k))
    return rng.normal(0, 1, (b, k))


def random_layers(rng, widths, scale=0.8):
    return [
        {"kernel": rng.normal(0, scale, (a, b)), "bias": rng.normal(0, 0.3, b)}
        for a, b in zip(widths[:-1], widths[1:])
    ]


def reference_objective(config, layers, x, y):
    """Mean optax loss + L1/L2 on kernels: the engine's objective, written independently."""
    acts = [*config.layer_activations(), config.output_activation]
    a = x
    for la, act in zip(layers, acts):
        z = a @ la["kernel"] + la["bias"]
        a = (OUTPUT_ACTIVATIONS.get(act) or ACTIVATIONS[act]).fn(z)
    data = LOSSES[config.loss].per_example(z, y, config.output_activation).mean()
    pen = sum(
        config.l1 * jnp.abs(la["kernel"]).sum() + config.l2 * (la["kernel"] ** 2).sum() for la in layers
    )
    return data + pen


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_hand_written_derivatives_match_jax_grad(name):
    z = np.array([-3.0, -1.2, -0.3, -1e-3, 1e-3, 0.4, 1.1, 2.5])
    with jax.enable_x64(True):
        act = ACTIVATIONS[name]
        want = jax.vmap(jax.grad(act.fn))(jnp.asarray(z))
        np.testing.assert_allclose(
            np.asarray(act.grad(jnp.asarray(z))), np.asarray(want), rtol=1e-12, atol=1e-14
        )


@pytest.mark.parametrize("loss, out", LOSS_OUTPUTS)
@pytest.mark.parametrize("act", ACTS)
def test_gradients_match_jax_grad_and_finite_differences(act, loss, out):
    rng = np.random.default_rng([ACTS.index(act), LOSS_OUTPUTS.index((loss, out))])
    other = ACTS[(ACTS.index(act) + 3) % len(ACTS)]
    k = 3 if out == "softmax" else 2
    config = config_for(
        loss, out, features=("x1", "x2", "x1*x2"), hidden=(3, 2), activations=(act, other),
        l1=float(rng.choice([0.0, 0.01])), l2=float(rng.choice([0.0, 0.02])),
    )  # fmt: skip
    layers = random_layers(rng, [3, 3, 2, k])
    b = 2
    x = rng.normal(0, 1, (b, 3))
    y = targets(rng, loss, out, b, k)
    t = bp.trace(config, layers, x, y)

    with jax.enable_x64(True):
        params = [{n: jnp.asarray(v) for n, v in la.items()} for la in layers]
        f = lambda p: reference_objective(config, p, jnp.asarray(x), jnp.asarray(y))
        assert t.objective == pytest.approx(float(f(params)), rel=1e-12)
        want = jax.grad(f)(params)
        flat, unravel = ravel_pytree(params)
        h = 1e-6
        eye = jnp.eye(flat.size) * h
        fd = (
            jax.vmap(lambda e: f(unravel(flat + e)))(eye) - jax.vmap(lambda e: f(unravel(flat - e)))(eye)
        ) / (2 * h)
        fd = unravel(fd)
    for i in range(3):
        for n in ("kernel", "bias"):
            np.testing.assert_allclose(t.grads[i][n], np.asarray(want[i][n]), rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(t.grads[i][n], np.asarray(fd[i][n]), rtol=1e-5, atol=1e-8)
    # Each output's share adds up to each example's loss; delta times input is the data gradient.
    np.testing.assert_allclose(t.contributions.sum(1).mean(), t.loss, rtol=1e-13)
    np.testing.assert_allclose(t.data_grads[0]["kernel"], x.T @ t.deltas[0], rtol=1e-13)
    # The engine computes in float32; the tracer must not have left float64 switched on.
    assert jnp.zeros(1).dtype == jnp.float32


def test_mazur_worked_example_numbers():
    t = bp.trace(bp.PRESET_CONFIG, bp.preset_layers(), bp.PRESET_X, bp.PRESET_Y)
    assert t.z[0][0, 0] == pytest.approx(0.3775, abs=1e-12)
    np.testing.assert_allclose(t.a[0][0], [0.593269992, 0.596884378], atol=1e-9)
    np.testing.assert_allclose(t.a[1][0], [0.75136507, 0.772928465], atol=1e-8)
    assert t.loss == pytest.approx(0.298371109, abs=1e-9)
    np.testing.assert_allclose(t.contributions[0], [0.274811083, 0.023560026], atol=1e-9)
    assert t.deltas[1][0, 0] == pytest.approx(0.138498562, abs=1e-9)
    assert t.grads[1]["kernel"][0, 0] == pytest.approx(0.082167041, abs=1e-9)  # dE/dw5
    after = t.layers_after
    published = {
        "w1": (after[0]["kernel"][0, 0], 0.149780716), "w2": (after[0]["kernel"][1, 0], 0.19956143),
        "w3": (after[0]["kernel"][0, 1], 0.24975114), "w4": (after[0]["kernel"][1, 1], 0.29950229),
        "w5": (after[1]["kernel"][0, 0], 0.35891648), "w6": (after[1]["kernel"][1, 0], 0.408666186),
        "w7": (after[1]["kernel"][0, 1], 0.511301270), "w8": (after[1]["kernel"][1, 1], 0.561370121),
    }  # fmt: skip
    for name, (got, want) in published.items():
        assert got == pytest.approx(want, abs=1e-8), name
    assert t.loss_after < t.loss


def one_point_task(config, point, label, n_classes=2):
    task = "regression" if config.dataset.startswith("reg") else "classification"
    arr = lambda v: np.asarray(v, np.float32)
    data = Data(
        arr([point]), arr([label]), arr([point]), arr([label]), task, 0 if task == "regression" else n_classes
    )
    return engine.make_task(config, data)


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize(
    "net",
    [
        dict(dataset="reg-plane", loss="mse", output_activation="linear", hidden=(3,), activation="tanh"),
        dict(
            dataset="circle",
            loss="bce",
            output_activation="sigmoid",
            hidden=(3, 2),
            activation="relu",
            l2=0.01,
        ),
    ],
)
def test_update_equals_one_engine_training_step(optimizer, net):
    config = Config(
        optimizer=optimizer,
        gd_variant="batch",
        learning_rate=0.1,
        l1=0.003,
        init="glorot",
        seed=3,
        **{k: v for k, v in net.items() if k != "l2"},
    ).replace(l2=net.get("l2", 0.0))
    task = one_point_task(config, (0.7, -1.3), 0.4 if config.loss == "mse" else 1.0)
    state = engine.init_state(task)
    before = models.params_to_layers(state.params)
    for _ in range(2):  # two steps: the second one starts from a non-empty optimizer state
        x, y = np.asarray(task.x_train[0]), np.asarray(task.y_train[0])
        t = bp.trace(config, before, x, y, opt_state=state.opt_state)
        state, _, _ = engine.advance(task, state, 1)
        after = models.params_to_layers(state.params)
        for got, want in zip(t.layers_after, after):
            np.testing.assert_allclose(got["kernel"], want["kernel"], rtol=2e-5, atol=2e-6)
            np.testing.assert_allclose(got["bias"], want["bias"], rtol=2e-5, atol=2e-6)
        before = after


def test_multi_output_update_equals_engine_objective_and_optax():
    """Two regression outputs: the engine's own objective and optax update, in float32."""
    config = bp.PRESET_CONFIG.replace(optimizer="adam", learning_rate=0.05, l2=0.01, hidden=(3,))
    rng = np.random.default_rng(1)
    layers = random_layers(rng, [2, 3, 2])
    x, y = np.array([0.3, -0.8]), np.array([0.2, 0.7])
    specs = models.layer_specs(config, 2)
    arch = engine.Arch(specs, 2, "mse", "sigmoid", "regression", "adam", 1, 1, 1, 1)
    graphdef, template = models.build(specs, 2, "glorot", 0)
    params = models.layers_to_params(template, layers)
    reg = {k: jnp.float32(v) for k, v in {"l1": 0.0, "l2": 0.01}.items()}
    xs, ys = jnp.asarray(x[None], jnp.float32), jnp.asarray(y[None], jnp.float32)
    grads = jax.grad(lambda p: engine.objective(arch, graphdef, p, reg, xs, ys))(params)
    from playground.core.optimizers import make_optimizer

    opt = make_optimizer(config)
    updates, _ = opt.update(grads, opt.init(params), params)
    want = models.params_to_layers(optax.apply_updates(params, updates))
    t = bp.trace(config, layers, x, y)
    for got, w in zip(t.layers_after, want):
        np.testing.assert_allclose(got["kernel"], w["kernel"], rtol=1e-5, atol=1e-6)
    for got, g in zip(t.grads, models.params_to_layers(grads)):
        np.testing.assert_allclose(got["kernel"], g["kernel"], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    "optimizer, factory, slots",
    [
        ("momentum", lambda c: optax.sgd(c.learning_rate, momentum=c.momentum), ("trace",)),
        ("nesterov", lambda c: optax.sgd(c.learning_rate, momentum=c.momentum, nesterov=True), ("trace",)),
        ("rmsprop", lambda c: optax.rmsprop(c.learning_rate, decay=c.rho, eps=c.eps), ("nu",)),
        ("adagrad", lambda c: optax.adagrad(c.learning_rate, eps=c.eps), ("sum_of_squares",)),
        ("adam", lambda c: optax.adam(c.learning_rate, c.beta1, c.beta2, c.eps), ("mu", "nu")),
        (
            "adamw",
            lambda c: optax.adamw(c.learning_rate, c.beta1, c.beta2, c.eps, weight_decay=c.weight_decay),
            ("mu", "nu"),
        ),
    ],
)
def test_optimizer_state_before_and_after_match_optax(optimizer, factory, slots):
    config = bp.PRESET_CONFIG.replace(optimizer=optimizer, learning_rate=0.05)
    layers = bp.preset_layers()
    t = bp.trace(config, layers, bp.PRESET_X, bp.PRESET_Y)
    with jax.enable_x64(True):
        opt = factory(config)
        params = [{k: jnp.asarray(v) for k, v in la.items()} for la in layers]
        state = opt.init(params)
        grads = [{k: jnp.asarray(v) for k, v in g.items()} for g in t.grads]
        updates, new = opt.update(grads, state, params)
    leaves = {type(s).__name__: s for s in jax.tree.leaves(new, is_leaf=lambda s: hasattr(s, "_fields"))}
    for slot in slots:
        owner = next(s for s in leaves.values() if slot in getattr(s, "_fields", ()))
        for i in range(2):
            want = np.asarray(getattr(owner, slot)[i]["kernel"])
            np.testing.assert_allclose(t.opt_after[slot][i]["kernel"], want, rtol=1e-12)
        init = 0.1 if slot == "sum_of_squares" else 0.0  # adagrad's initial accumulator
        assert np.all(t.opt_before[slot][0]["kernel"] == init)
    for got, u in zip(t.updates, updates):
        np.testing.assert_allclose(got["kernel"], np.asarray(u["kernel"]), rtol=1e-12)


def test_substeps_cover_every_neuron_in_order_with_numbers():
    config = Config(hidden=(3, 2), activations=("tanh", "relu"), loss="ce", output_activation="softmax")
    rng = np.random.default_rng(5)
    t = bp.trace(config, random_layers(rng, [2, 3, 2, 2]), [0.5, -0.2], [0.0, 1.0])
    steps = bs.substeps(t)
    assert [s.phase for s in steps] == ["forward"] * 7 + ["error"] + ["backward"] * 7 + ["update"] * 7
    every = {(layer, j) for layer, w in enumerate((3, 2, 2), 1) for j in range(w)}
    for phase in ("forward", "backward", "update"):
        got = [(s.layer, s.neuron) for s in steps if s.phase == phase]
        assert sorted(got) == sorted(every) and len(got) == len(every)
    backward = [s.layer for s in steps if s.phase == "backward"]
    assert backward == sorted(backward, reverse=True)  # from the output back
    for s in steps:
        assert s.values and s.symbolic.startswith(r"\begin{aligned}") and s.nodes
    # A hidden delta step shows the delta it computed and reads the downstream weights.
    s = next(s for s in steps if s.phase == "backward" and s.layer == 1 and s.neuron == 2)
    assert bs.num(t.deltas[0][0, 2]) in s.numeric
    assert s.edges == ((2, 2, 0), (2, 2, 1)) and s.grad_edges == ((1, 0, 2), (1, 1, 2))
    assert len(bs.table(steps, len(steps) - 1)) == sum(len(s.values) for s in steps)


def test_preset_formulas_show_the_worked_example():
    steps = bs.substeps(bp.trace(bp.PRESET_CONFIG, bp.preset_layers(), bp.PRESET_X, bp.PRESET_Y))
    assert r"0.15\cdot0.05 + 0.2\cdot0.1 + 0.35 = 0.3775" in steps[0].numeric
    assert r"\sigma(0.3775) = 0.5933" in steps[0].numeric
    assert "= 0.2984" in steps[4].numeric
    hidden = next(s for s in steps if s.phase == "backward" and s.layer == 1)
    assert r"(0.1385\cdot0.4 + (-0.0381)\cdot0.5)\cdot0.2413 = 0.0088" in hidden.numeric
    update = next(s for s in steps if s.phase == "update" and s.layer == 2)
    assert r"0.4 - 0.5\cdot0.0822 = 0.3589" in update.numeric


@pytest.mark.parametrize(
    "v, text",
    [(0.15, "0.15"), (-0.03809, "-0.0381"), (2.0, "2"), (1.5e-5, r"1.500\times10^{-5}"), (0.0, "0")],
)
def test_number_format(v, text):
    assert bs.num(v) == text


def test_repeat_continues_the_traced_step():
    t = bp.trace(bp.PRESET_CONFIG, bp.preset_layers(), bp.PRESET_X, bp.PRESET_Y)
    losses, after = bp.repeat(bp.PRESET_CONFIG, bp.preset_layers(), bp.PRESET_X, bp.PRESET_Y, 50)
    assert losses.shape == (51,)
    assert losses[0] == pytest.approx(t.loss, rel=1e-12) and losses[1] == pytest.approx(
        t.loss_after, rel=1e-12
    )
    assert np.all(np.diff(losses) < 0)
    one, after1 = bp.repeat(bp.PRESET_CONFIG, bp.preset_layers(), bp.PRESET_X, bp.PRESET_Y, 1)
    np.testing.assert_allclose(after1[1]["kernel"], t.layers_after[1]["kernel"], rtol=1e-13)
    assert jnp.zeros(1).dtype == jnp.float32


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(x=[0.1, 0.2, 0.3]), "x: expected 2 values"),
        (dict(y=[0.5]), "y: expected 2 values"),
        (dict(x=[0.1, float("nan")]), "x: has NaN"),
        (dict(x=["a", "b"]), "x: not numbers"),
        (dict(layers=bp.preset_layers()[:1]), "expected 2 layers"),
        (dict(layers=[{"kernel": np.zeros((3, 2)), "bias": np.zeros(2)}, bp.preset_layers()[1]]),
         "params layer 0: kernel has shape (3, 2), the network needs (2, 2)"),
        (dict(layers=[{"kernel": np.zeros((2, 2))}, bp.preset_layers()[1]]), "params layer 0: bias missing"),
    ],
)  # fmt: skip
def test_bad_input_names_what_is_wrong(kwargs, message):
    args = {"layers": bp.preset_layers(), "x": bp.PRESET_X, "y": bp.PRESET_Y, **kwargs}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        bp.trace(bp.PRESET_CONFIG, args["layers"], args["x"], args["y"])


# ---- the CLI ---------------------------------------------------------------------------------
PRESET_ARGS = [
    "--set",
    "hidden=2",
    "--set",
    "activation=sigmoid",
    "--set",
    "loss=mse",
    "--set",
    "learning_rate=0.5",
]


@pytest.fixture
def preset_params(tmp_path):
    f = tmp_path / "p.json"
    f.write_text(json.dumps(bp.to_json_layers(bp.preset_layers())))
    return str(f)


def test_cli_trace_json_shape_and_values(preset_params, capsys):
    example = ["--x", "0.05,0.10", "--y", "0.01,0.99", "--json"]
    assert cli.main(["trace", *PRESET_ARGS, "--params-in", preset_params, *example]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"forward", "loss", "deltas", "grads", "params_after"} <= set(doc)
    assert [len(f["z"]) for f in doc["forward"]] == [2, 2] and [len(d) for d in doc["deltas"]] == [2, 2]
    assert doc["loss"] == pytest.approx(0.298371109, abs=1e-9)
    assert doc["forward"][1]["a"] == pytest.approx([0.75136507, 0.772928465], abs=1e-8)
    assert doc["deltas"][1][0] == pytest.approx(0.138498562, abs=1e-9)
    assert doc["grads"]["layers"][1]["kernel"][0][0] == pytest.approx(0.082167041, abs=1e-9)
    assert doc["params_after"]["layers"][1]["kernel"][0][0] == pytest.approx(0.35891648, abs=1e-8)
    # params_after is a params file: it loads back with the CLI's own reader and trains on.
    f = pathlib.Path(preset_params).with_name("after.json")
    f.write_text(json.dumps(doc["params_after"]))
    assert cli.main(["trace", *PRESET_ARGS, "--params-in", str(f), *example]) == 0
    assert json.loads(capsys.readouterr().out)["loss"] == pytest.approx(doc["loss_after"], rel=1e-12)


def test_cli_trace_text_and_train_out_file(tmp_path, capsys):
    out = tmp_path / "run.json"
    assert cli.main(["train", "--quiet", "--epochs", "3", "--set", "hidden=3", "--out", str(out)]) == 0
    capsys.readouterr()
    assert cli.main(["trace", "--set", "hidden=3", "--params-in", str(out), "--x=-0.5,1.5", "--y", "1"]) == 0
    text = capsys.readouterr().out
    for word in ("1. forward", "2. error", "3. backward", "4. update", "loss on this example"):
        assert word in text
    layers = json.loads(out.read_text())["params"]["layers"]
    t = bp.trace(Config(hidden=(3,)), layers, [-0.5, 1.5], [1.0])
    assert f"loss {t.loss:.9f}" in text


@pytest.mark.parametrize(
    "args, message",
    [
        (["--x", "0.05", "--y", "0.01,0.99"], "x: expected 2 values"),
        (["--x", "0.05,0.1", "--y", "0.01"], "y: expected 2 values"),
        (["--x", "a,b", "--y", "0.01,0.99"], "--x: expected comma-separated numbers"),
        (["--x", "0.05,nan", "--y", "0.01,0.99"], "x: has NaN"),
        (
            ["--x", "0.05,0.1", "--y", "0.01,0.99", "--set", "hidden=3"],
            "params layer 0: kernel has shape (2, 2)",
        ),
    ],
)
def test_cli_trace_errors_are_one_clear_line(preset_params, args, message, capsys):
    assert cli.main(["trace", *PRESET_ARGS, "--params-in", preset_params, *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_cli_trace_bad_params_file(tmp_path, capsys):
    f = tmp_path / "bad.json"
    f.write_text('{"layers": [{"kernel": [[1, 2]], "bias": [0]}]}')
    assert cli.main(["trace", "--params-in", str(f), "--x", "1,2", "--y", "1"]) == 2
    assert "error: params: expected 3 layers" in capsys.readouterr().err
    f.write_text("[1, 2")
    assert cli.main(["trace", "--params-in", str(f), "--x", "1,2", "--y", "1"]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def _balanced(tex: str) -> bool:
    depth = 0
    for ch in tex.replace(r"\{", "").replace(r"\}", ""):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0 and tex.count(r"\begin{") == tex.count(r"\end{")


@pytest.mark.parametrize("act", ACTS)
def test_every_formula_is_well_formed_for_every_loss_and_optimizer(act):
    """Each sub-step's LaTeX is balanced, finite, and shows the numbers the trace computed;
    the derivative rule shown is the registry's, whose function made the number."""
    rng = np.random.default_rng(ACTS.index(act))
    for n, (loss, out) in enumerate(LOSS_OUTPUTS):
        optimizer = list(OPTIMIZERS)[n % len(OPTIMIZERS)]
        config = config_for(loss, out, hidden=(2,), activation=act, optimizer=optimizer, l1=0.01 * (n % 2))
        k = 3 if out == "softmax" else 2
        t = bp.trace(
            config, random_layers(rng, [2, 2, k]), rng.normal(0, 1, 2), targets(rng, loss, out, 1, k)[0]
        )
        steps = bs.substeps(t)
        for i, s in enumerate(steps):
            assert bf.trace_figure(t, steps, i).data[-1].name == "focus" or s.phase == "error"
            for tex in (s.symbolic, s.numeric):
                assert _balanced(tex) and "nan" not in tex and "inf" not in tex, (loss, out, optimizer, tex)
            if s.phase == "backward" and s.layer == 1:
                assert ACTIVATIONS[act].derivative in s.symbolic
                assert bs.num(t.fprime[0][0, s.neuron]) in s.numeric
            if s.phase == "update":
                assert bs.num(t.layers_after[0 if s.layer == 1 else 1]["bias"][s.neuron]) in s.numeric
