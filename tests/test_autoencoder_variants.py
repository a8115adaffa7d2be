"""The autoencoder's denoising and variational variants (issue 14, part 3): the VAE's two loss
terms and the denoising objective against NumPy computations from the exported params, with the
same uniform draws turned into normals by SciPy; evaluation is clean and uses the code's mean;
the `train --net vae --out` file recomputed by a NumPy reader; it learns; β applies live."""

import json

import jax.numpy as jnp
import numpy as np
import pytest
from scipy.stats import norm

from playground import cli
from playground.core import engine, layers
from playground.core.config import ConfigError, from_json, from_query
from playground.zoo.autoencoder import task as ae
from playground.zoo.autoencoder.config import AeConfig

ACTS = {"linear": lambda z: z, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}
ACTS["sigmoid"] = lambda z: 1 / (1 + np.exp(-z))
SMALL = dict(
    n_samples=120, encoder=("dense units=8 activation=tanh",), decoder=("dense units=8 activation=tanh",)
)


def run(doc, x, eps=None):
    """A NumPy reader of the params format: flatten, dense, noise (identity), sample (the mean,
    or mean + exp(½ log σ²)·eps when eps is given). Returns (output, [μ, log σ²] or None)."""
    x, stats = np.asarray(x, np.float64), None
    for la in doc:
        t = la["type"]
        if t == "flatten":
            x = x.reshape(len(x), -1)
        elif t == "dense":
            x = ACTS[la["activation"]](x @ np.asarray(la["kernel"]) + np.asarray(la["bias"]))
        elif t == "sample":
            stats, L = x, la["latent"]
            x = x[:, :L] if eps is None else x[:, :L] + np.exp(0.5 * x[:, L:]) * eps
        elif t != "noise":
            raise AssertionError(f"unexpected layer {t}")
    return x, stats


def kl_numpy(stats):
    L = stats.shape[1] // 2
    mu, lv = stats[:, :L], stats[:, L:]
    return 0.5 * (np.exp(lv) + mu**2 - 1 - lv).sum(1)


def trained(config, epochs=3):
    task = ae.make_task(config)
    state, h, _ = engine.advance(task, engine.init_state(task), epochs)
    return task, state, h


def test_vae_objective_is_reconstruction_plus_beta_kl_by_hand():
    task, state, _ = trained(AeConfig(variant="vae", latent=3, beta=0.7, **SMALL))
    arch, doc = task.arch, ae.params_json(task, state.params)
    assert [la["type"] for la in doc["encoder"]][-2:] == ["dense", "sample"]
    assert len(doc["encoder"][-2]["bias"]) == 6 and doc["encoder"][-1] == {"type": "sample", "latent": 3}
    x, y = np.asarray(task.x_train[:16]), np.asarray(task.y_train[:16])
    u = np.random.default_rng(0).uniform(size=(16, 3)).astype(np.float32)
    keep = [None] * len(arch.specs)
    keep[layers.sample_index(arch.specs)] = jnp.asarray(u)
    got = engine.objective(arch, engine.graph_of(arch), state.params, state.reg, x, y, keep)
    code, stats = run(doc["encoder"], x, eps=norm.ppf(u.astype(np.float64)))
    recon = ((run(doc["decoder"], code)[0] - y) ** 2).mean(1).mean()
    np.testing.assert_allclose(float(got), recon + 0.7 * kl_numpy(stats).mean(), rtol=1e-5)
    # Without draws the code is the mean: the reconstruction of μ plus β·KL.
    clean = engine.objective(arch, engine.graph_of(arch), state.params, state.reg, x, y)
    mean_recon = ((run(doc["decoder"], run(doc["encoder"], x)[0])[0] - y) ** 2).mean(1).mean()
    np.testing.assert_allclose(float(clean), mean_recon + 0.7 * kl_numpy(stats).mean(), rtol=1e-5)


def test_vae_history_holds_the_two_terms_apart():
    task, state, h = trained(AeConfig(variant="vae", latent=2, **SMALL), epochs=2)
    assert engine.metric_names(task) == ("train_loss", "test_loss", "train_kl", "test_kl")
    doc = ae.params_json(task, state.params)
    for part, x, y in (("train", task.x_train, task.y_train), ("test", task.x_test, task.y_test)):
        code, stats = run(doc["encoder"], x)
        recon = ((run(doc["decoder"], code)[0] - np.asarray(y)) ** 2).mean(1).mean()
        np.testing.assert_allclose(h[f"{part}_loss"][-1], recon, rtol=1e-5)
        np.testing.assert_allclose(h[f"{part}_kl"][-1], kl_numpy(stats).mean(), rtol=1e-5)
    mu = run(doc["encoder"], task.x_test)[0]
    np.testing.assert_allclose(ae.encode(task, state.params, task.x_test), mu, rtol=1e-5, atol=1e-6)


def test_denoising_trains_on_noisy_inputs_and_evaluates_clean():
    config = AeConfig(variant="denoising", corruption=0.4, **SMALL)
    task, state, h = trained(config, epochs=2)
    arch, doc = task.arch, ae.params_json(task, state.params)
    assert doc["encoder"][0] == {"type": "noise", "std": 0.4} and arch.specs[0].kind == "noise"
    x, y = np.asarray(task.x_train[:10]), np.asarray(task.y_train[:10])
    u = np.random.default_rng(1).uniform(size=x.shape).astype(np.float32)
    keep = [jnp.asarray(u)] + [None] * (len(arch.specs) - 1)
    graphdef = engine.graph_of(arch)
    noisy = engine.objective(arch, graphdef, state.params, state.reg, x, y, keep)
    x_noisy = x + 0.4 * norm.ppf(u.astype(np.float64))
    want = ((run(doc["decoder"], run(doc["encoder"], x_noisy)[0])[0] - y) ** 2).mean(1).mean()
    np.testing.assert_allclose(float(noisy), want, rtol=1e-5)
    clean = ((run(doc["decoder"], run(doc["encoder"], x)[0])[0] - y) ** 2).mean(1).mean()
    assert abs(want - clean) > 1e-4  # the noise does change what the step sees
    np.testing.assert_allclose(float(engine.objective(arch, graphdef, state.params, state.reg, x, y)), clean,
                               rtol=1e-5)  # fmt: skip
    # Evaluation (the history) is the clean forward pass.
    xt, yt = np.asarray(task.x_test), np.asarray(task.y_test)
    test = ((run(doc["decoder"], run(doc["encoder"], xt)[0])[0] - yt) ** 2).mean(1).mean()
    np.testing.assert_allclose(h["test_loss"][-1], test, rtol=1e-5)


def test_normals_from_draws_match_scipy():
    u = np.array([1e-9, 0.001, 0.3, 0.5, 0.9, 0.999999], np.float32)
    got = np.asarray(layers.normal_of(jnp.asarray(u)))
    want = norm.ppf(np.clip(u.astype(np.float64), layers.U_EDGE, 1 - layers.U_EDGE))
    np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-4)
    assert np.all(np.isfinite(np.asarray(layers.normal_of(jnp.asarray([0.0, 1.0])))))


def test_cli_vae_out_file_runs_in_numpy(tmp_path):
    out = tmp_path / "vae.json"
    args = ["train", "--net", "vae", "--epochs", "4", "--quiet", "--out", str(out), "--set", "n_samples=200"]
    assert cli.main(args) == 0
    d = json.loads(out.read_text())
    assert d["config"]["variant"] == "vae" and {"train_kl", "test_kl"} <= set(d["history"][-1])
    x = np.asarray(d["data"]["test"]["inputs"])
    mu, stats = run(d["params"]["encoder"], x)
    np.testing.assert_allclose(mu, d["outputs"]["latent"], rtol=1e-4, atol=1e-5)
    recon = run(d["params"]["decoder"], mu)[0]
    np.testing.assert_allclose(recon, d["outputs"]["test"], rtol=1e-4, atol=1e-5)
    y = np.asarray(d["data"]["test"]["targets"])
    np.testing.assert_allclose(d["history"][-1]["test_loss"], ((recon - y) ** 2).mean(), rtol=1e-4)
    np.testing.assert_allclose(d["history"][-1]["test_kl"], kl_numpy(stats).mean(), rtol=1e-4)
    back = tmp_path / "back.json"  # the file's params load back in (the sample entry included)
    again = ["train", "--net", "vae", "--epochs", "0", "--quiet", "--params-in", str(out), "--out", str(back)]
    assert cli.main([*again, "--set", "n_samples=200"]) == 0
    np.testing.assert_allclose(json.loads(back.read_text())["outputs"]["latent"], mu, rtol=1e-4, atol=1e-5)


def test_vae_learns_on_digits_and_beta_applies_without_reset():
    s = ae.Session(AeConfig(variant="vae"))
    y_train, y_test = s.task.data.y_train, s.task.data.y_test
    baseline = float(((y_test - y_train.mean(0)) ** 2).mean())  # every test digit as the mean image
    s.step(40)
    s.step(20)  # (the second call of a chunk compiles once more; warm it before counting)
    recon, kl = s.history["test_loss"][-1], s.history["test_kl"][-1]
    assert recon < 0.8 * baseline and np.isfinite(kl) and kl > 0.5
    epoch, compiles = s.epoch, engine.compile_count()
    assert s.apply(s.config.replace(beta=0.3)) is None  # a hyper-parameter: weights kept
    assert s.epoch == epoch and float(s.state.reg["beta"]) == pytest.approx(0.3)
    s.step(20)
    assert s.history["test_kl"][-1] < 0.5 * kl  # a heavier KL weight pulls the codes to N(0, 1)
    assert engine.compile_count() == compiles  # no recompile for β
    assert "variant" in s.apply(s.config.replace(variant="plain"))  # a new network: reset
    assert engine.metric_names(s.task) == ("train_loss", "test_loss")


def test_fields_round_trip_and_bad_values_are_named():
    c = AeConfig(variant="denoising", corruption=0.75, beta=0.02)
    assert from_json(c.to_json(), AeConfig) == c
    assert from_query(c.to_query(), AeConfig)[0] == c
    for field, value, words in (("variant", "bogus", "variant"), ("beta", -1.0, "beta"),
                                ("corruption", 3.0, "corruption")):  # fmt: skip
        with pytest.raises(ConfigError, match=words):
            AeConfig(**{field: value})
    config, warnings = from_query({"variant": "bogus", "beta": "-1"}, AeConfig)
    assert (
        config == AeConfig() and any("variant" in w for w in warnings) and any("beta" in w for w in warnings)
    )


def test_sample_layer_needs_an_even_input():
    with pytest.raises(layers.LayerError, match="layer 2: sample"):
        layers.check_stack((layers.make("dense", units=3), layers.make("sample")), (4,))
    assert layers.check_stack((layers.make("dense", units=4), layers.make("sample")), (4,))[-1] == (2,)
