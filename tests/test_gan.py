"""The GAN (issue 14): its `--out` file recomputed by a NumPy reader from the exported generator
and discriminator; the four losses against their formulas; the gradient penalty against finite
differences; the quality figures on known cases (real data perfect, a collapsed generator bad);
Step D / Step G move one network only; hyper-parameters apply without a recompile; errors named."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from playground import cli
from playground.core import engine
from playground.core.config import ConfigError, from_query
from playground.zoo.gan import frames, game, quality, train, ui
from playground.zoo.gan.config import GanConfig
from playground.zoo.gan.data import make_target
from playground.zoo.gan.session import GanSession

ACTS = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "tanh": np.tanh,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
}


def run(layers, x):
    """A NumPy forward pass through self-describing dense layers."""
    x = np.asarray(x, np.float64)
    for la in layers:
        assert la["type"] == "dense", la["type"]
        x = ACTS[la["activation"]](x @ np.asarray(la["kernel"]) + np.asarray(la["bias"]))
    return x


def softplus(v):
    return np.logaddexp(0, v)


@pytest.mark.parametrize(
    "sets",
    [["loss=nonsaturating"], ["dataset=digits", "noise_dim=8", "n_samples=300", "batch_size=32"]],
    ids=["ring8", "digits"],
)
def test_out_file_runs_in_numpy(tmp_path, sets):
    out = tmp_path / "gan.json"
    args = ["train", "--net", "gan", "--epochs", "3", "--quiet", "--out", str(out)]
    assert cli.main(args + [a for s in sets for a in ("--set", s)]) == 0
    d = json.loads(out.read_text())
    noise = np.asarray(d["outputs"]["noise"])
    samples = run(d["params"]["generator"], noise)
    np.testing.assert_allclose(samples, d["outputs"]["samples"], rtol=1e-4, atol=1e-5)
    assert noise.shape == (1000, d["config"]["noise_dim"]) and len(d["outputs"]["real"]) == 1000
    assert len(d["history"]) == 3 and {"d_loss", "g_loss", "d_real", "d_fake"} <= set(d["history"][0])
    # The discriminator file reproduces the engine's critic on the real data.
    config = GanConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in d["config"].items()})
    task = train.make_task(config)
    np.testing.assert_allclose(task.target.x, d["data"]["train"]["inputs"], rtol=1e-6)
    real = np.asarray(d["data"]["train"]["inputs"])[:200]
    logits = run(d["params"]["discriminator"], real)[:, 0]
    gan = GanSession(config)
    gan.state = gan.state._replace(d_params=_load_d(task, d["params"]["discriminator"]))
    _, ddef = task.arch.graphdefs
    np.testing.assert_allclose(
        game.critic(ddef, gan.state.d_params, jnp.asarray(real)), logits, rtol=1e-4, atol=1e-5
    )
    q = d["outputs"]["quality"]
    assert ("covered" in q and "energy" in q) if config.dataset == "ring8" else ("confident" in q)


def _load_d(task, layers):
    from playground.core import layers as core_layers
    from playground.core import params_format

    template = core_layers.build(task.arch.d_specs, (task.arch.dim,), "glorot", 0)[1]
    return params_format.from_json(task.arch.d_specs, template, {"layers": layers})


def test_losses_match_their_formulas():
    rng = np.random.default_rng(0)
    lr, lf = rng.normal(size=16), rng.normal(size=16)
    expect_d = {
        "nonsaturating": softplus(-lr).mean() + softplus(lf).mean(),
        "minimax": softplus(-lr).mean() + softplus(lf).mean(),
        "leastsquares": 0.5 * ((lr - 1) ** 2).mean() + 0.5 * (lf**2).mean(),
        "wgan-gp": lf.mean() - lr.mean(),
    }
    d_fake = 1 / (1 + np.exp(-lf))
    expect_g = {
        "nonsaturating": -np.log(d_fake),  # -log D(G(z))
        "minimax": np.log(1 - d_fake),  # log(1 - D(G(z)))
        "leastsquares": 0.5 * (lf - 1) ** 2,
        "wgan-gp": -lf,
    }
    for loss in expect_d:
        got = float(game.d_loss(loss, jnp.asarray(lr), jnp.asarray(lf)))
        assert got == pytest.approx(expect_d[loss], rel=1e-5), loss
        np.testing.assert_allclose(
            game.g_loss_each(loss, jnp.asarray(lf)), expect_g[loss], rtol=1e-5, atol=1e-6
        )


def test_gradient_penalty_matches_finite_differences():
    config = GanConfig(discriminator=("dense units=16 activation=tanh",), loss="wgan-gp")
    task = train.make_task(config)
    state = train.init_state(task)
    _, ddef = task.arch.graphdefs
    layers = _d_layers(task, state)
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    eps = rng.uniform(size=(6, 1))
    x_hat = eps * real + (1 - eps) * fake
    h = 1e-5
    grads = np.stack(
        [
            [(run(layers, x + h * e)[0, 0] - run(layers, x - h * e)[0, 0]) / (2 * h) for e in np.eye(2)]
            for x in x_hat[:, None, :]
        ]
    )
    expect = ((np.linalg.norm(grads, axis=1) - 1) ** 2).mean()
    f32 = [jnp.asarray(a, jnp.float32) for a in (real, fake, eps)]
    got = game.gradient_penalty(ddef, state.d_params, *f32)
    assert float(got) == pytest.approx(expect, rel=1e-3)


def _d_layers(task, state):
    from playground.zoo.gan.session import params_json

    return params_json(task, state)["discriminator"]


def test_quality_on_known_cases():
    config = GanConfig()
    task = train.make_task(config)
    fresh = make_target(config, 1000, stream=9).x  # real samples neither set holds
    good = quality.mixture(fresh, task.target.modes, task.target.near)
    assert good["covered"] == 8 and good["near_share"] > 0.99
    assert quality.energy_distance(fresh, frames.reference(task)) < 0.01
    collapsed = np.repeat(task.target.modes[:1], 1000, 0) + np.random.default_rng(0).normal(
        0, 0.01, (1000, 2)
    )
    bad = quality.mixture(collapsed, task.target.modes, task.target.near)
    assert bad["covered"] == 1 and bad["per_mode"][0] == 1000 and bad["near_share"] == 1.0
    assert quality.energy_distance(collapsed, frames.reference(task)) > 0.5
    # The energy distance against a plain double loop (U-statistics within each set).
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(7, 2)), rng.normal(1.0, 1.0, size=(5, 2))

    def mean_d(a, b, same):
        d = [np.linalg.norm(p - q) for i, p in enumerate(a) for j, q in enumerate(b) if not (same and i == j)]
        return np.mean(d)

    expect = 2 * mean_d(x, y, False) - mean_d(x, x, True) - mean_d(y, y, True)
    assert quality.energy_distance(x, y) == pytest.approx(expect, rel=1e-4)


def test_digits_reader_scores_real_digits_well_and_a_blank_page_badly():
    run_reader, ref = quality.digits_reader()
    assert ref["reader_accuracy"] > 0.9 and ref["classes"] == 10 and ref["entropy_bits"] > 3.2
    blank = quality.digits(run_reader(np.zeros((100, 64), np.float32)))
    assert blank["classes"] == 1 and blank["entropy_bits"] == 0.0
    probs = np.eye(10)[[0, 0, 1, 2]] * 0.95 + 0.005
    q = quality.digits(probs)
    assert q["confident"] == 1.0 and q["histogram"][:3] == [0.5, 0.25, 0.25]
    assert q["entropy_bits"] == pytest.approx(1.5) and q["classes"] == 3


def test_default_gan_covers_the_ring():
    s = GanSession()
    s.step(240)
    q = quality.mixture(s.samples(), s.task.target.modes, s.task.target.near)
    assert q["covered"] >= 7 and q["near_share"] >= 0.7, q


def test_step_d_and_step_g_move_one_network_only():
    s = GanSession()
    s.step(1)
    g0, d0 = s.params

    def same(a, b):
        return all(np.array_equal(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))

    s.step_net("d")
    g1, d1 = s.params
    assert same(g0, g1) and not same(d0, d1) and int(s.state.d_steps) == 21 and int(s.state.g_steps) == 20
    s.step_net("g")
    g2, d2 = s.params
    assert not same(g1, g2) and same(d1, d2) and int(s.state.g_steps) == 21
    with pytest.raises(ValueError):
        s.step_net("x")


def test_hypers_apply_without_reset_or_recompile_and_structure_resets():
    s = GanSession()
    s.step(2)
    before = engine.compile_count()
    assert s.apply(s.config.replace(g_learning_rate=0.0003, d_steps=3, gp_weight=5.0)) is None
    s.step(2)
    assert engine.compile_count() == before and s.epoch == 4
    assert float(s.state.g_opt.hyperparams["learning_rate"]) == pytest.approx(0.0003)
    assert int(s.state.hyper["d_steps"]) == 3 and int(s.state.d_steps) == 40 + 2 * 20 * 3
    assert "network" in s.apply(s.config.replace(generator=("dense units=8 activation=tanh",)))
    assert s.epoch == 0
    assert "target" in s.apply(s.config.replace(dataset="grid25"))


def test_divergence_stops_and_keeps_finite_weights():
    s = GanSession(
        GanConfig(
            loss="wgan-gp",
            gp_weight=0.0,
            d_learning_rate=1.0,
            g_learning_rate=1.0,
            g_optimizer="sgd",
            d_optimizer="sgd",
        )
    )
    s.step(50)
    assert not s.running and "NaN" in s.stop_reason
    assert all(np.isfinite(v).all() for v in jax.tree.leaves(s.params))
    assert len(s.history["epoch"]) == s.epoch


def test_bad_settings_are_named():
    for changes, field in [
        ({"dataset": "drawn"}, "drawn"),
        ({"dataset": "drawn", "drawn": "1,2;3"}, "drawn"),
        ({"drawn": "0,0;" * 501}, "drawn"),
        ({"drawn": "1e9,0"}, "drawn"),
        ({"generator": ("conv filters=4",)}, "generator"),
        ({"discriminator": ("dense units=9999",)}, "discriminator"),
        ({"loss": "hinge"}, "loss"),
        ({"noise_dim": 0}, "noise_dim"),
        ({"d_steps": 11}, "d_steps"),
    ]:
        with pytest.raises(ConfigError) as e:
            GanConfig(**changes)
        assert e.value.field == field, (changes, e.value)
    config, warnings = from_query({"loss": "bogus", "dataset": "drawn", "d_steps": "2"}, GanConfig)
    assert config.loss == "nonsaturating" and config.dataset == "ring8" and config.d_steps == 2
    assert len(warnings) == 2
    assert cli.main(["train", "--net", "gan", "--set", "dataset=drawn", "--quiet"]) == 2
    drawn = GanConfig(dataset="drawn", drawn=ui.default_drawing())
    assert len(make_target(drawn).x) == drawn.n_samples and make_target(drawn).extent >= 3


def test_view_drawing_is_checked():
    pts = [[0.5 * i, -0.25 * i] for i in range(10)]
    text = ui.drawn_text({"points": pts})
    assert GanConfig(dataset="drawn", drawn=text).drawn == text
    for bad in [
        None,
        {"points": "x"},
        {"points": [[1, 2, 3]]},
        {"points": [[float("nan"), 0]]},
        {"points": [[True, 0]]},
        {"points": [[0, 99]]},
        {"points": [[0, 0]] * 501},
    ]:
        with pytest.raises(ValueError):
            ui.drawn_text(bad)


def test_a_drawing_from_the_view_becomes_the_target_and_a_bad_one_changes_nothing():
    s, state = GanSession(), {}
    pts = [[0.1 * i, 0.2 * i - 1] for i in range(12)]
    ui.on_view(s, state, "gan.", "drawn", {"points": pts})
    assert s.config.dataset == "drawn" and "gan.error" not in state and "target" in s.notice
    assert np.abs(s.task.target.x.mean(0) - np.mean(pts, 0)).max() < 0.1  # the points, blurred
    before = s.config
    ui.on_view(s, state, "gan.", "drawn", {"points": pts[:3]})  # too few: the config says so
    assert "at least 8 points" in state["gan.error"] and s.config == before
    ui.on_view(s, state, "gan.", "drawn", {"points": [[1e9, 0]] * 9})
    assert "ignored a drawing" in state["gan.error"] and s.config == before


def test_switching_to_digits_brings_bigger_networks_and_back():
    c = GanConfig()
    to = ui.dataset_changes(c, "digits")
    assert to["noise_dim"] == 16 and to["dataset"] == "digits"
    d = c.replace(**to)
    back = ui.dataset_changes(d, "ring8")
    assert d.replace(**back) == c
    custom = c.replace(noise_dim=5)
    assert "noise_dim" not in ui.dataset_changes(custom, "digits")
