"""The CNN: config and stack errors, training on digits, the explained convolution against the
network's own numbers, test-set views against independent counts, the --out file run in NumPy,
and the general engine's two data paths against each other."""

import base64
import json

import jax
import numpy as np
import pytest

from playground import cli
from playground.core import config as C
from playground.core import engine
from playground.core.config import ConfigError
from playground.zoo import session as zoo_session
from playground.zoo.cnn import frames, views
from playground.zoo.cnn.config import PRESETS, CnnConfig
from playground.zoo.cnn.task import Session, make_task
from playground.zoo.session import layer_table

SMALL = CnnConfig(dataset="digits", n_samples=400, layers=PRESETS["one conv layer"], batch_size=32)


@pytest.fixture(scope="module")
def trained():
    s = Session(SMALL)
    s.step(3)
    return s


def test_config_defaults_and_presets_fit_every_dataset():
    assert CnnConfig().dataset == "mnist" and CnnConfig().samples == 5000
    assert CnnConfig(dataset="digits").samples == 1797
    for preset in PRESETS.values():
        for ds in ("mnist", "digits", "shapes"):
            stack = CnnConfig(dataset=ds, layers=preset).stack()
            assert stack[-1].units == (4 if ds == "shapes" else 10) and stack[-1].activation == "softmax"


@pytest.mark.parametrize(
    "layers, words",
    [
        (("flatten", "conv"), "layers: layer 2: conv needs an image"),
        (("maxpool window=4", "maxpool window=4", "maxpool window=4"), "layers: layer 3: maxpool: window 4"),
        (("conv filters=99",), "layers: layer 1: conv filters must be a whole number from 1 to 32, got 99"),
        (("conv",), "layers: the output layer: dense needs a vector.*add a flatten"),
        (("flatten", "dense units=256", "dense units=256"), "at most 200,000"),
        (("dropout",) * 12, r"layers: at most 11 layers \(the output layer makes 12\)"),
    ],
)
def test_bad_stacks_name_the_layer(layers, words):
    with pytest.raises(ConfigError, match=words):
        CnnConfig(layers=layers)


def test_query_and_set_fall_back_or_refuse_with_the_field():
    cfg, warnings = C.from_query(
        {"dataset": "digits", "layers": "flatten,conv", "learning_rate": "x"}, CnnConfig
    )
    assert cfg.dataset == "digits" and cfg.layers == CnnConfig().layers and cfg.learning_rate == 0.003
    assert any(w.startswith("layers: layer 2: conv needs an image") for w in warnings)
    assert any(w.startswith("learning_rate:") for w in warnings)
    cfg = C.set_items(["layers=flatten,dense units=12 activation=tanh", "dataset=shapes"], CnnConfig())
    assert [la.kind for la in cfg.stack()] == ["flatten", "dense", "dense"]
    assert C.from_json(cfg.to_json(), CnnConfig) == cfg
    with pytest.raises(ConfigError, match="dataset: unknown 'cifar'"):
        C.set_items(["dataset=cifar"], CnnConfig())


def test_layer_table_matches_the_built_model(trained):
    rows = trained.table()
    leaves = jax.tree.leaves(trained.state.params)
    assert sum(r["parameters"] for r in rows) == sum(v.size for v in leaves)
    maps, probs = views.probe(trained.task, trained.state.params, trained.task.data.x_test[0])
    assert [r["output"] for r in rows[1:]] == ["×".join(map(str, m.shape)) for m in maps]
    assert probs.shape == (10,) and probs.sum() == pytest.approx(1, abs=1e-5)


def test_cnn_reaches_95_percent_on_digits():
    s = Session(CnnConfig(dataset="digits"))
    s.step(8)
    assert max(s.history["test_accuracy"]) >= 0.95


def test_explained_convolution_equals_the_networks_own_output(trained):
    task, params = trained.task, trained.state.params
    img = task.data.x_test[5]
    maps, _ = views.probe(task, params, img)
    for y, x in [(0, 0), (3, 4), (7, 7)]:  # corners reach into the `same` padding
        d = views.explain(task, params, img, 0, 2, y, x)
        assert d["out"] == pytest.approx(d["out_computed"], abs=1e-5)
        assert d["out"] == pytest.approx(float(maps[0][y, x, 2]), abs=1e-6)
        # An independent patch: pad the image by hand (3×3 kernel, stride 1: one pixel each side).
        padded = np.pad(np.asarray(img), ((1, 1), (1, 1), (0, 0)))
        np.testing.assert_allclose(np.reshape(d["patch"], (3, 3, 1)), padded[y : y + 3, x : x + 3], atol=1e-7)
        assert d["sum"] == pytest.approx(float(np.dot(d["patch"], d["kernel"])), abs=1e-5)
        assert d["z"] == pytest.approx(d["sum"] + d["bias"], abs=1e-6)
    pool = views.explain(task, params, img, 1, 2, 1, 3)
    assert pool["out"] == pytest.approx(max(pool["values"]), abs=1e-6)
    assert pool["values"] == pytest.approx(maps[0][2:4, 6:8, 2].ravel().tolist(), abs=1e-6)
    with pytest.raises(ValueError, match="pick a conv or pooling layer"):
        views.explain(task, params, img, 2, 0, 0, 0)
    with pytest.raises(ValueError, match="outside the 8×8×8 output"):
        views.explain(task, params, img, 0, 8, 0, 0)


def test_confusion_and_mistakes_against_independent_counts(trained):
    task, params = trained.task, trained.state.params
    probs = views.predictions(task, params)
    labels = np.asarray(task.data.y_test)
    pred = probs.argmax(1)
    m = views.confusion(labels, pred, 10)
    for t in range(10):
        for p in range(10):
            assert m[t, p] == sum(1 for a, b in zip(labels, pred) if a == t and b == p)
    out = frames.test_views(task, params, {"true": 3, "pred": 3})
    assert out["accuracy"] == pytest.approx(np.trace(m) / m.sum(), abs=1e-6)
    confid = [mi["confidence"] for mi in out["mistakes"]]
    assert confid == sorted(confid, reverse=True)
    assert all(mi["label"] != mi["pred"] and labels[mi["index"]] == mi["label"] for mi in out["mistakes"])
    assert out["cell"]["count"] == m[3, 3] and all(
        labels[i] == 3 and pred[i] == 3 for i in out["cell"]["indices"]
    )


def test_frame_maps_decode_to_the_activations(trained):
    task, params = trained.task, trained.state.params
    f = frames.frame(task, params, trained.history, 0, {"source": "gallery", "index": 4}, last=False)
    maps, probs = views.probe(task, params, task.data.x_test[4])
    first = f["maps"][0]
    assert first["layer"] == 1 and first["shape"] == [8, 8, 8]
    codes = np.frombuffer(base64.b64decode(first["data"]), np.uint8).reshape(8, 8, 8)  # channel-major
    decoded = (codes.astype(float) - 128) / 127 * first["scale"]
    np.testing.assert_allclose(decoded, np.moveaxis(maps[0], -1, 0), atol=first["scale"] / 127)
    assert f["probs"] == pytest.approx(probs.tolist(), abs=1e-5)
    drawn = frames.frame(
        task, params, trained.history, 0, {"source": "drawn", "pixels": np.ones((8, 8)).tolist()}, last=False
    )
    assert drawn["chosen"]["source"] == "drawn" and drawn["probs"] != f["probs"]


def test_big_data_path_equals_the_gathered_path(monkeypatch):
    """Steps that gather their own minibatches (big data) train to the same numbers."""
    task = make_task(SMALL)
    small = engine.advance(task, engine.init_state(task), 2)[1]
    monkeypatch.setattr(engine, "BIG", 0)
    engine.compiled_chunk.cache_clear()
    assert task.arch.big
    big = engine.advance(task, engine.init_state(task), 2)[1]
    engine.compiled_chunk.cache_clear()
    np.testing.assert_allclose(big["test_loss"], small["test_loss"], rtol=1e-5)


def test_dropout_layers_and_divergence():
    cfg = SMALL.replace(layers=(*SMALL.layers, "dropout rate=0.5", "dense units=16 activation=relu"))
    s = Session(cfg)
    s.step(2)
    assert len(s.history["epoch"]) == 2 and np.isfinite(s.history["test_loss"]).all()
    s = Session(SMALL.replace(optimizer="sgd", learning_rate=10.0, l2=1.0))  # w <- w - 20 w: explodes
    s.step(20)
    assert s.stop_reason and s.stop_reason.startswith("diverged")
    assert all(np.isfinite(v).all() for v in jax.tree.leaves(s.state.params))


def test_session_keeps_weights_on_a_rate_change_and_resets_on_a_new_stack(trained):
    s = Session(SMALL)
    s.step(1)
    before = jax.tree.leaves(s.state.params)[0]
    n = engine.compile_count()
    assert s.apply(SMALL.replace(learning_rate=0.01)) is None
    assert np.array_equal(jax.tree.leaves(s.state.params)[0], before) and s.epoch == 1
    s.step(1)
    assert engine.compile_count() == n  # a new learning rate never recompiles
    note = s.apply(SMALL.replace(layers=PRESETS["dense only (compare!)"]))
    assert note.startswith("Weights reset: the network changed") and s.epoch == 0
    assert [r["kind"] for r in layer_table(s.task.arch.specs, (8, 8, 1))] == [
        "input",
        "flatten",
        "dense",
        "output",
    ]


def _np_run(layers, x):
    """Run a params file's network with NumPy alone (the documented format)."""

    def softmax(z):
        e = np.exp(z - z.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    acts = {"relu": lambda z: np.maximum(z, 0), "linear": lambda z: z, "tanh": np.tanh, "softmax": softmax}
    for la in layers:
        if la["type"] == "conv":
            k, b = np.asarray(la["kernel"]), np.asarray(la["bias"])
            kh, s = k.shape[0], la["stride"]
            n, h, w, _ = x.shape
            if la["padding"] == "same":
                ph = max((-(-h // s) - 1) * s + kh - h, 0)
                x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (ph // 2, ph - ph // 2), (0, 0)))
            oh = (x.shape[1] - kh) // s + 1
            out = np.stack(
                [
                    np.stack(
                        [np.tensordot(x[:, i * s : i * s + kh, j * s : j * s + kh], k, 3) for j in range(oh)],
                        1,
                    )
                    for i in range(oh)
                ],
                1,
            )
            x = acts[la["activation"]](out + b)
        elif la["type"] in ("maxpool", "avgpool"):
            k = la["window"]
            n, h, w, c = x.shape
            r = x[:, : h // k * k, : w // k * k].reshape(n, h // k, k, w // k, k, c)
            x = r.max((2, 4)) if la["type"] == "maxpool" else r.mean((2, 4))
        elif la["type"] == "flatten":
            x = x.reshape(len(x), -1)
        elif la["type"] == "dense":
            x = acts[la["activation"]](x @ np.asarray(la["kernel"]) + np.asarray(la["bias"]))
    return x


def test_out_file_runs_in_numpy_and_round_trips_through_params_in(tmp_path, capsys):
    out, again = tmp_path / "a.json", tmp_path / "b.json"
    args = ["train", "--net", "cnn", "--set", "dataset=digits", "--set", "n_samples=300", "--quiet"]
    assert cli.main([*args, "--epochs", "2", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert set(doc) == {"config", "data", "params", "history", "stop_reason", "outputs"}
    assert [la["type"] for la in doc["params"]["layers"]] == [
        "conv",
        "maxpool",
        "conv",
        "maxpool",
        "flatten",
        "dense",
        "dense",
    ]
    x = np.asarray(doc["data"]["test"]["inputs"])
    assert x.shape[1:] == (8, 8, 1) and np.asarray(doc["data"]["test"]["targets"]).shape[1] == 10
    np.testing.assert_allclose(_np_run(doc["params"]["layers"], x), doc["outputs"]["test"], atol=1e-5)
    assert len(doc["history"]) == 2
    assert cli.main([*args, "--epochs", "0", "--params-in", str(out), "--out", str(again)]) == 0
    np.testing.assert_allclose(
        json.loads(again.read_text())["outputs"]["test"], doc["outputs"]["test"], atol=1e-6
    )
    bad = doc["params"]
    bad["layers"][0]["type"] = "dense"
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    assert cli.main([*args, "--epochs", "0", "--params-in", str(tmp_path / "bad.json")]) == 2
    assert "params layer 1: type 'dense', this network has conv there" in capsys.readouterr().err
    assert cli.main(["train", "--net", "cnn", "--csv", str(out)]) == 2


@pytest.mark.parametrize("big", [False, True])
def test_an_epoch_in_parts_equals_the_whole_epoch(monkeypatch, big):
    """The live view's parts (a few minibatches each) make the same updates as one chunk:
    same minibatches, same dropout draws, same weights and metrics after each epoch."""
    cfg = SMALL.replace(
        layers=(*SMALL.layers, "dropout rate=0.3", "dense units=8 activation=relu"), batch_size=24
    )
    if big:
        monkeypatch.setattr(engine, "BIG", 0)
    engine.compiled_chunk.cache_clear()
    engine.compiled_part.cache_clear()
    whole = Session(cfg)
    assert whole.task.arch.big == big and whole.task.arch.padded  # 320 = 13 x 24 + 8: a masked last batch
    whole.step(2, chunk=1)
    monkeypatch.setattr(zoo_session, "PART_FLOATS", 320 * 64 / 3)
    parts = Session(cfg)
    n = parts.task.arch.steps  # 14 minibatches in 3 parts of 5, 5, 4
    assert parts.parts == 3
    done = [parts.step_parts(1) for _ in range(4)]
    assert parts.part == 1 and [d[1] for d in done] == [0, 0, 1, 0] and n == 14
    mid = jax.tree.leaves(parts.params)[0]
    assert not np.array_equal(mid, jax.tree.leaves(parts.state.params)[0])  # the weights moved mid-epoch
    assert parts.step(1) == 1 and parts.part == 0  # Step finishes the epoch in progress
    for a, b in zip(jax.tree.leaves(whole.state.params), jax.tree.leaves(parts.state.params)):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6)
    for k in ("train_loss", "test_loss", "test_accuracy"):
        np.testing.assert_allclose(parts.history[k], whole.history[k], rtol=2e-5)
    engine.compiled_chunk.cache_clear()
    engine.compiled_part.cache_clear()


def test_parts_follow_the_data_size():
    assert Session(SMALL).parts == 1
    mnist = Session(CnnConfig(n_samples=2000, layers=PRESETS["dense only (compare!)"]))
    assert mnist.parts == round(1600 * 784 / 400_000) == 3


TINY = CnnConfig(
    dataset="digits",
    n_samples=60,
    layers=("conv filters=2 kernel=3", "maxpool window=2", "flatten"),
    gd_variant="batch",
    l1=0.001,
    l2=0.01,
)


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"])
def test_every_optimizer_trains_a_stack_as_optax_does_by_hand(name):
    """Two full-batch epochs of the engine against two optax steps on the CNN's objective, written
    out here (softmax cross-entropy plus L1/L2 on the kernels) and differentiated by jax.grad."""
    from flax import nnx

    from playground.core import optimizers

    cfg = TINY.replace(optimizer=name, learning_rate=0.05)
    task = make_task(cfg)
    state = engine.init_state(task)
    graphdef = engine.graph_of(task.arch)
    x, y = task.x_train, task.y_train

    def loss(p):
        z, _ = nnx.merge(graphdef, p)(x)
        data = -(y * jax.nn.log_softmax(z)).sum(-1).mean()
        kernels = [
            v for path, v in jax.tree_util.tree_leaves_with_path(p) if "kernel" in jax.tree_util.keystr(path)
        ]
        return data + sum(0.001 * abs(k).sum() + 0.01 * (k**2).sum() for k in kernels)

    opt = optimizers.OPTIMIZERS[name].factory(
        **{kw: getattr(cfg, field) for field, kw in optimizers.OPTIMIZERS[name].hypers}
    )
    params, opt_state = state.params, opt.init(state.params)
    for _ in range(2):
        updates, opt_state = opt.update(jax.grad(loss)(params), opt_state, params)
        params = jax.tree.map(lambda p, u: p + u, params, updates)
    got, _, _ = engine.advance(task, state, 2, chunk=1)
    for a, b in zip(jax.tree.leaves(got.params), jax.tree.leaves(params)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("variant, steps", [("batch", 1), ("stochastic", 48), ("minibatch", 5)])
def test_descent_variants_take_their_number_of_steps(variant, steps):
    task = make_task(TINY.replace(gd_variant=variant, batch_size=10, optimizer="adam"))
    assert task.arch.steps == steps and task.arch.n_train == 48
    state, h, _ = engine.advance(task, engine.init_state(task), 2)
    counts = [
        v
        for path, v in jax.tree_util.tree_leaves_with_path(state.opt_state)
        if "count" in jax.tree_util.keystr(path)
    ]
    assert len(h["epoch"]) == 2 and int(counts[0]) == 2 * steps  # Adam counted every update


def test_early_stopping_on_a_stack_stops_patience_epochs_after_the_best_test_loss():
    s = Session(TINY.replace(gd_variant="minibatch", learning_rate=0.3, early_stopping_patience=2))
    s.step(60)
    best = int(np.argmin(s.history["test_loss"])) + 1
    assert s.stop_reason.startswith(f"early stopping at epoch {best + 2}") and s.epoch == best + 2 < 60
