"""The autoencoder (issue 14's first part): its `--out` file recomputed by a NumPy reader from
the exported encoder and decoder alone; the k-nearest-neighbour score against a plain loop; it
learns (reconstructions beat the mean image, codes separate the digits); settings errors named."""

import json

import numpy as np
import pytest

from playground import cli
from playground.core import engine
from playground.core.config import ConfigError, set_items
from playground.zoo.autoencoder import task as ae
from playground.zoo.autoencoder import ui
from playground.zoo.autoencoder.config import AeConfig
from tests.test_layers import np_conv, np_conv_transpose

ACTS = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0),
    "tanh": np.tanh,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
}


def crop(full, lo, hi):
    """Rows and columns lo from the start and hi from the end cut away (negative: zeros added)."""
    pad = max(-lo, -hi, 0)
    full = np.pad(full, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    return full[:, pad + lo : full.shape[1] - pad - hi, pad + lo : full.shape[2] - pad - hi]


def run(layers, x):
    """A NumPy forward pass through self-describing layers, as the README documents them."""
    x = np.asarray(x, float)
    for la in layers:
        k = np.asarray(la.get("kernel", 0.0))
        b = np.asarray(la.get("bias", 0.0))
        if la["type"] == "flatten":
            x = x.reshape(len(x), -1)
        elif la["type"] == "dense":
            x = ACTS[la["activation"]](x @ k + b)
        elif la["type"] == "conv":
            x = ACTS[la["activation"]](np_conv(x, k, b, la["stride"], la["padding"]))
        elif la["type"] == "convtranspose":
            full = np_conv_transpose(x, k, np.zeros_like(b), la["stride"], "valid")
            x = ACTS[la["activation"]](crop(full, *la["crop"]) + b)
        elif la["type"] == "upsample":
            x = x.repeat(la["factor"], axis=1).repeat(la["factor"], axis=2)
        elif la["type"] == "reshape":
            x = x.reshape(len(x), *la["shape"])
        elif la["type"] == "sample":  # a VAE's code at evaluation: the mean
            x = x[:, : la["latent"]]
        else:
            raise AssertionError(f"unexpected layer {la['type']}")
    return x


ENCODER, DECODER = ui.conv_layers("digits")
ODD = (  # valid padding, a kernel smaller than its stride (zeros added), an upsampling
    "dense units=36 activation=tanh",
    "reshape height=3 width=3",
    "convtranspose filters=3 kernel=1 stride=2 padding=same activation=relu",
    "convtranspose filters=3 kernel=3 stride=1 padding=valid activation=tanh",
    "upsample factor=2",
    "conv filters=2 kernel=3 stride=2 padding=same activation=relu",
)
CONV = [f"encoder={','.join(ENCODER)}", f"decoder={','.join(DECODER)}"]
SHAPES = [
    f"encoder={','.join(ui.conv_layers('shapes')[0])}",
    f"decoder={','.join(ui.conv_layers('shapes')[1])}",
]


@pytest.mark.parametrize(
    "sets",
    [
        ["dataset=digits", "n_samples=300"],
        ["dataset=spiral", "n_samples=200", "latent=1"],
        ["dataset=digits", "n_samples=300", *CONV],
        ["dataset=digits", "n_samples=200", "encoder=conv filters=4 kernel=3", f"decoder={','.join(ODD)}"],
        ["dataset=shapes", "n_samples=100", "latent=3", "variant=vae", *SHAPES],
    ],
    ids=["digits", "spiral-1d", "conv", "conv-odd", "conv-shapes-vae"],
)
def test_out_file_runs_in_numpy_and_round_trips(tmp_path, sets):
    sets = [a for item in sets for a in ("--set", item)]
    out = tmp_path / "ae.json"
    assert (
        cli.main(["train", "--net", "autoencoder", "--epochs", "5", "--quiet", "--out", str(out), *sets]) == 0
    )
    d = json.loads(out.read_text())
    x = np.asarray(d["data"]["test"]["inputs"])
    codes = run(d["params"]["encoder"], x)
    np.testing.assert_allclose(codes, d["outputs"]["latent"], rtol=1e-4, atol=1e-5)
    recon = run(d["params"]["decoder"], codes)
    np.testing.assert_allclose(recon, d["outputs"]["test"], rtol=1e-4, atol=1e-5)
    assert recon.shape == np.asarray(d["data"]["test"]["targets"]).shape
    assert len(d["data"]["test"]["labels"]) == len(x) and len(d["history"]) == 5
    back = tmp_path / "back.json"
    args = [
        "train",
        "--net",
        "autoencoder",
        "--epochs",
        "0",
        "--quiet",
        "--params-in",
        str(out),
        "--out",
        str(back),
    ]
    assert cli.main([*args, *sets]) == 0
    np.testing.assert_allclose(
        json.loads(back.read_text())["outputs"]["test"], d["outputs"]["test"], atol=1e-6
    )


def test_knn_accuracy_against_a_loop():
    rng = np.random.default_rng(0)
    train, test = rng.normal(size=(60, 2)), rng.normal(size=(25, 2))
    lt, ls = rng.integers(0, 3, 60), rng.integers(0, 3, 25)
    right = 0
    for p, want in zip(test, ls):
        near = sorted(range(60), key=lambda j: (float(((train[j] - p) ** 2).sum()), j))[:5]
        votes = [sum(lt[j] == c for j in near) for c in range(3)]
        right += int(np.argmax(votes) == want)
    assert ae.knn_accuracy(train, lt, test, ls) == pytest.approx(right / 25)
    assert ae.knn_accuracy(train, lt, train, lt, k=1) == 1.0


def test_it_learns_to_reconstruct_and_its_codes_separate_the_digits():
    task = ae.make_task(AeConfig(n_samples=1000))
    state, h, _ = engine.advance(task, engine.init_state(task), 60)
    y = np.asarray(task.y_test)
    mean_image = ((y - np.asarray(task.y_train).mean(0)) ** 2).mean()
    recon = ae.decode(task, state.params, ae.encode(task, state.params, task.x_test))
    assert ((recon - y) ** 2).mean() == pytest.approx(h["test_loss"][-1], rel=1e-4)  # the engine's own loss
    assert h["test_loss"][-1] < 0.7 * mean_image  # better than the mean image, through only 2 numbers
    codes = ae.encode(task, state.params, task.x_train)
    score = ae.knn_accuracy(
        codes, task.data.labels_train, ae.encode(task, state.params, task.x_test), task.data.labels_test
    )
    assert score > 0.6  # ten digits in visible clusters (chance: 0.1)


def test_bad_settings_are_named():
    for items, words in [
        (["encoder=rnn"], "encoder: layer 1: rnn layers are not offered here; use dense, dropout, conv"),
        (
            ["dataset=moons", "encoder=conv filters=4"],
            "encoder: layer 1: conv layers work on images.*2-D points",
        ),
        (
            ["decoder=dense units=30,reshape height=4 width=4"],
            "decoder: layer 2: reshape: 30 values do not fill",
        ),
        (
            ["decoder=dense units=16,reshape height=4 width=4"],
            "decoder ends with a 4×4×1 image, the data are 8×8×1",
        ),
        (["encoder=dense units=8,conv"], "encoder: layer 2: conv needs an image"),
        (["decoder=reshape height=2 width=2"], "decoder: layer 1: reshape: 2 values do not fill 2×2"),
        ([f"encoder={','.join(['dense units=4'] * 13)}"], "encoder: at most 12 layers"),
        (["latent=0"], "latent"),
        (["dataset=mnist"], "dataset"),
        (["decoder=dense units=0"], "decoder: layer 1"),
    ]:
        with pytest.raises(ConfigError, match=words):
            ae.make_task(set_items(items, AeConfig(n_samples=100)))


def unb64(s) -> np.ndarray:
    import base64

    return np.frombuffer(base64.b64decode(s), np.uint8).astype(float)


@pytest.mark.parametrize("latent", [2, 5])
def test_frame_codes_grid_probe_and_interpolation(latent):
    from playground.zoo.autoencoder import frames

    s = ae.Session(AeConfig(n_samples=400, latent=latent))
    s.step(3)
    doc = s.params_json()
    f = frames.frame(s.task, s.params, s.history, 0, probe=(0.3, -0.2), pair=(0, 4))
    x = np.asarray(s.task.data.x_test)
    codes = run(doc["encoder"], x)  # NumPy, from the exported encoder
    xy = np.c_[f["codes"]["x"], f["codes"]["y"]]
    if latent == 2:
        np.testing.assert_allclose(xy, codes, rtol=1e-4, atol=1e-4)
        assert f["codes"]["axes"] == "code" and f["codes"]["var"] is None
    else:  # the first two principal axes: same spread as the covariance's two largest eigenvalues
        c = codes - codes.mean(0)
        eig = np.sort(np.linalg.eigvalsh(c.T @ c))[::-1]
        np.testing.assert_allclose((xy**2).sum(0), eig[:2], rtol=1e-3)
        np.testing.assert_allclose(f["codes"]["var"], eig[:2] / eig.sum(), rtol=1e-3)
    # The grid: row 0 at the plane's top, column 0 at its left; each tile the decoder's image.
    p = f["plane"]
    _, _, _, mean, axes = frames.plane_of(codes)
    top_left = frames.to_code([[p["x0"], p["y1"]]], mean, axes)
    tiles = unb64(f["grid"]["data"]).reshape(frames.GRID**2, 8, 8) / 255
    want = run(doc["decoder"], top_left).reshape(8, 8)
    np.testing.assert_allclose(tiles[0], want, atol=0.5 / 255 + 1e-3)
    probe = unb64(f["decoded"]["pixels"]).reshape(8, 8) / 255
    want = run(doc["decoder"], frames.to_code([[0.3, -0.2]], mean, axes)).reshape(8, 8)
    np.testing.assert_allclose(probe, want, atol=0.5 / 255 + 1e-3)
    # Interpolation: its ends are the reconstructions of gallery images 0 and 4.
    steps = unb64(f["interp"]["pixels"]).reshape(frames.INTERP, 8, 8) / 255
    gal = frames.gallery_indices(np.asarray(s.task.data.labels_test), frames.GALLERY)
    ends = run(doc["decoder"], run(doc["encoder"], x[[gal[0], gal[4]]])).reshape(2, 8, 8)
    np.testing.assert_allclose(steps[[0, -1]], ends, atol=0.5 / 255 + 1e-3)


def test_points_frame_and_view_clicks_are_checked():
    from playground.zoo.autoencoder import frames, ui

    s = ae.Session(AeConfig(dataset="spiral", n_samples=200, latent=1))
    sc = frames.scene(s.task, s.table())
    assert not sc["images"] and sc["range"][1] > 0 and len(sc["labels"]) == len(s.task.data.x_test)
    f = frames.frame(s.task, s.params, s.history, 0, probe=(0.0, 0.0))
    assert len(f["recon"]) == len(f["test_points"]) == len(s.task.data.x_test)
    assert len(f["grid"]["data"]) == frames.GRID**2 and set(f["codes"]["y"]) == {0.0}  # a 1-D code
    np.testing.assert_allclose(f["decoded"]["point"], ae.decode(s.task, s.params, [[0.0]])[0], atol=1e-5)
    state = {}
    ui.on_view(s, state, "k.", "probe", {"x": 0.5, "y": -1})
    ui.on_view(s, state, "k.", "pair", {"a": 1, "b": 3})
    assert state == {"k.probe": (0.5, -1.0), "k.pair": (1, 3)}
    for event, bad in [
        ("probe", {"x": "1", "y": 0}),
        ("probe", {"x": float("nan"), "y": 0}),
        ("pair", {"a": -1, "b": 2}),
        ("pair", [1, 2]),
    ]:
        ui.on_view(s, state, "k.", event, bad)
        assert state.pop("k.error").startswith(f"ignored a {event}")
    assert state == {"k.probe": (0.5, -1.0), "k.pair": (1, 3)}


def test_a_too_big_decoder_is_named_by_its_own_line():
    with pytest.raises(ConfigError, match=r"decoder: layer 4: dense 256 relu brings the network to"):
        ae.make_task(AeConfig(decoder=("dense units=256 activation=relu",) * 4))
