"""Layer kinds against an independent NumPy implementation, gradients against finite differences,
the builder's shape and parameter table against the built model, and bad stacks by name."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from playground.core import layers
from playground.core.layers import Layer, LayerError


# ---- an independent NumPy reference ------------------------------------------------------
def np_conv(x, k, b, stride, padding):
    """Direct loops over output positions; XLA's 'same' padding (smaller half first)."""
    n, h, w, c = x.shape
    kh, kw, _, f = k.shape
    if padding == "same":
        ph = max((-(-h // stride) - 1) * stride + kh - h, 0)
        pw = max((-(-w // stride) - 1) * stride + kw - w, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    oh = (x.shape[1] - kh) // stride + 1
    ow = (x.shape[2] - kw) // stride + 1
    out = np.zeros((n, oh, ow, f))
    for i, j in itertools.product(range(oh), range(ow)):
        patch = x[:, i * stride : i * stride + kh, j * stride : j * stride + kw, :]
        out[:, i, j, :] = np.tensordot(patch, k, axes=([1, 2, 3], [0, 1, 2])) + b
    return out


def np_conv_transpose(x, k, b, stride, padding):
    """Scatter: every input pixel adds its value times the kernel to the output at stride
    spacing; "valid" keeps all (h − 1)·s + k rows, "same" keeps the h·s rows from ⌊(k − s)/2⌋
    (zeros where that reaches outside)."""
    n, h, w, c = x.shape
    kh, kw, _, f = k.shape
    full = np.zeros((n, (h - 1) * stride + kh, (w - 1) * stride + kw, f))
    for i, j in itertools.product(range(h), range(w)):
        full[:, i * stride : i * stride + kh, j * stride : j * stride + kw] += np.einsum(
            "nc,abcf->nabf", x[:, i, j], k
        )
    if padding == "same":
        lo = (kh - stride) // 2
        pad = max(-lo, 0) + stride  # room on both sides for a crop that reaches outside
        full = np.pad(full, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
        full = full[:, pad + lo : pad + lo + h * stride, pad + lo : pad + lo + w * stride]
    return full + b


def np_pool(x, window, op):
    n, h, w, c = x.shape
    oh, ow = h // window, w // window
    x = x[:, : oh * window, : ow * window].reshape(n, oh, window, ow, window, c)
    return x.max(axis=(2, 4)) if op == "maxpool" else x.mean(axis=(2, 4))


def np_forward(stack_layers, params, x):
    """Run a stack from its params dicts with NumPy only."""
    acts = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "linear": lambda z: z}
    for layer, p in zip(stack_layers, params):
        if layer.kind == "conv":
            x = acts[layer.activation](np_conv(x, p["kernel"], p["bias"], layer.stride, layer.padding))
        elif layer.kind == "convtranspose":
            x = acts[layer.activation](
                np_conv_transpose(x, p["kernel"], p["bias"], layer.stride, layer.padding)
            )
        elif layer.kind == "upsample":
            x = x.repeat(layer.factor, axis=1).repeat(layer.factor, axis=2)
        elif layer.kind == "reshape":
            x = x.reshape(len(x), layer.height, layer.width, -1)
        elif layer.kind in ("maxpool", "avgpool"):
            x = np_pool(x, layer.window, layer.kind)
        elif layer.kind == "flatten":
            x = x.reshape(len(x), -1)
        elif layer.kind == "dense":
            x = acts[layer.activation](x @ p["kernel"] + p["bias"])
    return x


def params_list(params, n):
    pure = nnx.to_pure_dict(params)["layers"]
    return [{k: np.asarray(v, np.float64) for k, v in pure.get(i, {}).items()} for i in range(n)]


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("kernel", [1, 2, 3, 4])
def test_conv_matches_numpy(padding, stride, kernel):
    rng = np.random.default_rng(kernel * 10 + stride)
    x = rng.normal(size=(2, 7, 9, 3)).astype(np.float32)
    stack = (
        layers.make("conv", filters=4, kernel=kernel, stride=stride, padding=padding, activation="linear"),
    )
    graphdef, params = layers.build(stack, (7, 9, 3), "glorot", 1)
    z, _ = nnx.merge(graphdef, params)(jnp.asarray(x))
    p = params_list(params, 1)[0]
    want = np_conv(x.astype(np.float64), p["kernel"], p["bias"], stride, padding)
    assert z.shape == want.shape == (2, *layers.check_stack(stack, (7, 9, 3))[0])
    np.testing.assert_allclose(np.asarray(z), want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("kernel", [1, 2, 3, 4])
def test_transposed_conv_matches_a_numpy_scatter(padding, stride, kernel):
    rng = np.random.default_rng(kernel * 10 + stride)
    x = rng.normal(size=(2, 3, 4, 3)).astype(np.float32)
    stack = (
        layers.make(
            "convtranspose", filters=2, kernel=kernel, stride=stride, padding=padding, activation="linear"
        ),
    )
    graphdef, params = layers.build(stack, (3, 4, 3), "glorot", 1)
    z, _ = nnx.merge(graphdef, params)(jnp.asarray(x))
    p = params_list(params, 1)[0]
    want = np_conv_transpose(x.astype(np.float64), p["kernel"], p["bias"], stride, padding)
    assert z.shape == want.shape == (2, *layers.check_stack(stack, (3, 4, 3))[0])
    if padding == "same":
        assert want.shape[1:3] == (3 * stride, 4 * stride)
    np.testing.assert_allclose(np.asarray(z), want, rtol=1e-4, atol=1e-5)
    assert layers.n_params(stack[0], (3, 4, 3)) == p["kernel"].size + p["bias"].size == kernel**2 * 3 * 2 + 2


def test_transposed_conv_is_the_adjoint_of_the_strided_conv():
    """<convT_K(x), y> = <x, conv_K(y)> for valid padding: the transposed convolution is the
    transpose (the backward pass) of the convolution with the same kernel, its in/out swapped."""
    rng = np.random.default_rng(5)
    k, s = 3, 2
    x = rng.normal(size=(1, 4, 4, 3))
    kernel = rng.normal(size=(k, k, 3, 2))
    y = rng.normal(size=(1, (4 - 1) * s + k, (4 - 1) * s + k, 2))
    up = np_conv_transpose(x, kernel, np.zeros(2), s, "valid")
    down = np_conv(y, kernel.transpose(0, 1, 3, 2), np.zeros(3), s, "valid")
    assert (up * y).sum() == pytest.approx((x * down).sum(), rel=1e-10)


def test_a_decoder_stack_matches_numpy():
    stack = (
        layers.make("dense", units=12, activation="tanh"),
        layers.make("reshape", height=2, width=3),
        layers.make("convtranspose", filters=3, kernel=3, stride=2, activation="relu"),
        layers.make("upsample", factor=3),
        layers.make("conv", filters=1, kernel=3, activation="linear"),
        layers.make("flatten"),
    )
    assert layers.check_stack(stack, (5,)) == [(12,), (2, 3, 2), (4, 6, 3), (12, 18, 3), (12, 18, 1), (216,)]
    x = np.random.default_rng(2).normal(size=(3, 5)).astype(np.float32)
    graphdef, params = layers.build(stack, (5,), "he", 4)
    z, _ = nnx.merge(graphdef, params)(jnp.asarray(x))
    want = np_forward(stack, params_list(params, len(stack)), x.astype(np.float64))
    np.testing.assert_allclose(np.asarray(z), want, rtol=1e-4, atol=1e-5)
    # reshape is flatten's inverse, row-major: value (i·W + j)·C + c lands at pixel (i, j), channel c.
    r = nnx.merge(graphdef, params).layers[1](jnp.arange(12.0)[None])
    assert float(r[0, 1, 2, 1]) == (1 * 3 + 2) * 2 + 1


@pytest.mark.parametrize("op", ["maxpool", "avgpool"])
@pytest.mark.parametrize("window", [2, 3, 4])
def test_pool_and_flatten_match_numpy(op, window):
    rng = np.random.default_rng(window)
    x = rng.normal(size=(3, 9, 10, 2)).astype(np.float32)
    stack = (layers.make(op, window=window), layers.make("flatten"))
    graphdef, params = layers.build(stack, (9, 10, 2), "glorot", 0)
    _, trace = nnx.merge(graphdef, params)(jnp.asarray(x))
    pooled = np_pool(x.astype(np.float64), window, op)
    np.testing.assert_allclose(np.asarray(trace[0][1]), pooled, rtol=1e-5, atol=1e-6)
    # Flatten is row-major over h, w, c: element (i, j, k) lands at (i*W + j)*C + k.
    flat = np.asarray(trace[1][1])
    _, hh, ww, cc = pooled.shape
    i, j, k = hh - 1, 0, cc - 1
    assert flat[1, (i * ww + j) * cc + k] == pytest.approx(pooled[1, i, j, k], rel=1e-5)
    np.testing.assert_allclose(flat, pooled.reshape(3, -1), rtol=1e-5, atol=1e-6)


LENET = (
    layers.make("conv", filters=3, kernel=3, padding="same", activation="relu"),
    layers.make("maxpool", window=2),
    layers.make("conv", filters=4, kernel=2, stride=2, padding="valid", activation="tanh"),
    layers.make("avgpool", window=2),
    layers.make("flatten"),
    layers.make("dropout", rate=0.5),
    layers.make("dense", units=5, activation="tanh"),
    Layer("dense", units=3, activation="linear"),
)


def test_whole_stack_matches_numpy_and_the_shape_table():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 12, 12, 2)).astype(np.float32)
    graphdef, params = layers.build(LENET, (12, 12, 2), "he", 3)
    z, trace = nnx.merge(graphdef, params)(jnp.asarray(x))
    want = np_forward(LENET, params_list(params, len(LENET)), x.astype(np.float64))
    np.testing.assert_allclose(np.asarray(z), want, rtol=1e-4, atol=1e-5)
    # The builder's table (shapes, parameter counts) against the built model.
    shapes = layers.check_stack(LENET, (12, 12, 2))
    assert [tuple(a.shape[1:]) for _, a in trace] == shapes
    assert shapes == [(12, 12, 3), (6, 6, 3), (3, 3, 4), (1, 1, 4), (4,), (4,), (5,), (3,)]
    in_shapes = [(12, 12, 2), *shapes[:-1]]
    counted = [layers.n_params(la, s) for la, s in zip(LENET, in_shapes)]
    actual = [sum(v.size for v in p.values()) for p in params_list(params, len(LENET))]
    assert counted == actual == [3 * 3 * 2 * 3 + 3, 0, 2 * 2 * 3 * 4 + 4, 0, 0, 0, 4 * 5 + 5, 5 * 3 + 3]


def test_gradient_matches_finite_differences_in_float64():
    with jax.enable_x64(True):
        rng = np.random.default_rng(1)
        x = jnp.asarray(rng.normal(size=(3, 8, 8, 1)))
        y = jnp.asarray(rng.normal(size=(3, 3)))
        stack = tuple(la for la in LENET if la.kind != "dropout")
        graphdef, params = layers.build(stack, (8, 8, 1), "he", 2)
        params = jax.tree.map(lambda v: v.astype(jnp.float64), params)

        def loss(p):
            z, _ = nnx.merge(graphdef, p)(x)
            return jnp.sum((z - y) ** 2)

        grads = jax.grad(loss)(params)
        leaves, tree = jax.tree.flatten(params)
        g_leaves = jax.tree.leaves(grads)
        eps = 1e-6
        checked = 0
        for li, (leaf, g) in enumerate(zip(leaves, g_leaves)):
            flat = np.asarray(leaf).ravel()
            for j in rng.choice(flat.size, size=min(4, flat.size), replace=False):
                bumped = []
                for sign in (1, -1):
                    f = flat.copy()
                    f[j] += sign * eps
                    new = [jnp.asarray(f.reshape(leaf.shape)) if k == li else v for k, v in enumerate(leaves)]
                    bumped.append(float(loss(jax.tree.unflatten(tree, new))))
                fd = (bumped[0] - bumped[1]) / (2 * eps)
                assert np.asarray(g).ravel()[j] == pytest.approx(fd, rel=1e-5, abs=1e-7)
                checked += 1
        assert checked >= 16


def test_text_round_trip_and_defaults():
    for layer in LENET[:-1]:
        assert layers.parse(layer.text()) == layer
    assert layers.parse("conv") == layers.make("conv")
    assert layers.parse("  dense units=10   activation=tanh ") == layers.make(
        "dense", units=10, activation="tanh"
    )
    assert layers.parse("conv filters=8 kernel=5").label == "conv 8@5×5 same relu"


@pytest.mark.parametrize(
    "text, words",
    [
        ("lstm units=3", "unknown layer kind 'lstm'"),
        ("conv filters=33", "filters must be a whole number from 1 to 32"),
        ("conv kernel=2.5", "kernel must be a whole number"),
        ("conv padding=full", "padding 'full' unknown"),
        ("maxpool window=5", "window must be a whole number from 2 to 4"),
        ("dense units=3 kernel=3", "dense has no field 'kernel'"),
        ("dense units=many", "'many' is not a number"),
        ("dropout rate=0.95", "rate must be a number from 0 to 0.9"),
        ("conv 8", "write key=value"),
        ("", "empty layer"),
        ("dense activation=softmax", "activation 'softmax' unknown"),
    ],
)
def test_bad_layer_text_is_named(text, words):
    with pytest.raises(LayerError, match=words):
        layers.parse(text)


@pytest.mark.parametrize(
    "texts, in_shape, words",
    [
        (["maxpool window=4"] * 2, (8, 8, 1), "layer 2: maxpool: window 4 shrinks the 2×2 input to 0×0"),
        (["flatten", "conv"], (8, 8, 1), "layer 2: conv needs an image.*put it before the flatten"),
        (["conv", "dense units=4"], (8, 8, 1), "layer 2: dense needs a vector.*add a flatten layer"),
        (["conv kernel=7 padding=valid"], (4, 4, 1), "layer 1: conv: a 7×7 kernel with valid padding"),
        (["dense units=10", "reshape height=2 width=4"], (3,), "layer 2: reshape: 10 values do not fill 2×4"),
        (["convtranspose"], (6,), "layer 1: convtranspose needs an image.*with a reshape layer first"),
        (["upsample factor=4"] * 3, (8, 8, 2), "layer 3: upsample makes a 512×512×2 image; at most 65,536"),
        (
            ["flatten", "dense units=256", "dense units=256", "dense units=256", "dense units=256"],
            (28, 28, 1),
            r"layer 2: dense 256 relu brings the network to 200,960 parameters; at most 200,000",
        ),
    ],
)
def test_impossible_stacks_name_the_layer(texts, in_shape, words):
    with pytest.raises(LayerError, match=words) as e:
        layers.check_stack(tuple(layers.parse(t) for t in texts), in_shape)
    assert e.value.index == int(words.split()[1].rstrip(":")) - 1


def test_too_many_layers():
    with pytest.raises(LayerError, match="25 layers; at most 24"):
        layers.check_stack((layers.make("dropout"),) * 25, (8,))
