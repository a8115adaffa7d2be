"""What the CNN page shows, as numbers: feature maps, filters, one convolution explained,
test-set predictions (confusion matrix, most confident mistakes). Pure functions of a task and
its parameters; the forward passes are jitted once per architecture.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from playground.core import engine, models
from playground.core.activations import ACTIVATIONS

MAX_CELL = 24  # images shown for one confusion-matrix cell
N_MISTAKES = 8


@functools.lru_cache(maxsize=32)
def _probe(arch: engine.Arch):
    """jit(params, x (k, h, w, c)) -> (activations after each layer, class probabilities)."""
    graphdef = engine.graph_of(arch)

    def run(params, x):
        z, trace = models.apply(graphdef, params, x)
        return [a for _, a in trace], jax.nn.softmax(z, -1)

    return jax.jit(run)


@functools.lru_cache(maxsize=32)
def _predict(arch: engine.Arch):
    """jit(params, x (n, h, w, c)) -> probabilities (n, classes), in slices (memory)."""
    graphdef = engine.graph_of(arch)

    def one(params, xi):
        return jax.nn.softmax(models.apply(graphdef, params, xi[None])[0][0], -1)

    return jax.jit(lambda params, x: jax.lax.map(lambda xi: one(params, xi), x, batch_size=engine.EVAL_SLICE))


def probe(task: engine.Task, params, image: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """One image (h, w, c) through the network.

    Returns:
      (maps, probs): per layer its output for this image ((h, w, c) or (n,)), and the
      class probabilities (classes,).
    """
    acts, probs = _probe(task.arch)(params, jnp.asarray(image, jnp.float32)[None])
    return [np.asarray(a[0]) for a in acts], np.asarray(probs[0])


def first_conv(task: engine.Task) -> int | None:
    """Index of the first conv layer, or None (a dense-only stack)."""
    return next((i for i, la in enumerate(task.arch.specs) if la.kind == "conv"), None)


def layer_params(params, i: int) -> dict[str, np.ndarray]:
    pure = nnx.to_pure_dict(params)["layers"]
    return {k: np.asarray(v) for k, v in pure.get(i, {}).items()}


def explain(task: engine.Task, params, image: np.ndarray, layer: int, channel: int, y: int, x: int) -> dict:
    """One output of a conv or pooling layer, computed out loud with the real numbers.

    conv: the input patch under the kernel (zeros where `same` padding reaches outside), the
    kernel of that output channel, their element-wise products, the sum, bias, z and the
    activation's output. Pools: the window's values and the result.

    Raises:
      ValueError: naming what is out of range.
    """
    specs = task.arch.specs
    if not 0 <= layer < len(specs) or specs[layer].kind not in ("conv", "maxpool", "avgpool"):
        raise ValueError(f"layer {layer}: pick a conv or pooling layer")
    spec = specs[layer]
    maps, _ = probe(task, params, image)
    src = np.asarray(image, np.float32) if layer == 0 else maps[layer - 1]  # the layer's input
    out_map = maps[layer]
    h, w, c = out_map.shape
    if not (0 <= channel < c and 0 <= y < h and 0 <= x < w):
        raise ValueError(f"position ({y}, {x}, channel {channel}) is outside the {h}×{w}×{c} output")
    base = {"layer": layer, "channel": channel, "y": y, "x": x, "out": float(out_map[y, x, channel])}
    if spec.kind != "conv":
        k = spec.window
        vals = src[y * k : (y + 1) * k, x * k : (x + 1) * k, channel]
        return {**base, "kind": spec.kind, "window": k, "values": vals.ravel().tolist()}
    k, s = spec.kernel, spec.stride
    hi, wi, cin = src.shape
    top = left = 0
    if spec.padding == "same":  # XLA: total padding max((ceil(n/s)-1)*s + k - n, 0), smaller half first
        top = max((-(-hi // s) - 1) * s + k - hi, 0) // 2
        left = max((-(-wi // s) - 1) * s + k - wi, 0) // 2
    patch = np.zeros((k, k, cin), np.float32)
    for dy in range(k):
        for dx in range(k):
            r, q = y * s + dy - top, x * s + dx - left
            if 0 <= r < hi and 0 <= q < wi:
                patch[dy, dx] = src[r, q]
    p = layer_params(params, layer)
    kernel = p["kernel"][:, :, :, channel]
    products = patch * kernel
    total = float(products.sum(dtype=np.float64))
    bias = float(p["bias"][channel])
    z = total + bias
    out = float(ACTIVATIONS[spec.activation].fn(jnp.float32(z)))
    return {
        **base,
        "kind": "conv",
        "kh": k,
        "kw": k,
        "cin": cin,
        "patch": patch.ravel().tolist(),
        "kernel": kernel.ravel().tolist(),
        "products": products.ravel().tolist(),
        "sum": total,
        "bias": bias,
        "z": z,
        "activation": spec.activation,
        "out_computed": out,
    }


def predictions(task: engine.Task, params) -> np.ndarray:
    """Class probabilities of every test image, (n_test, classes)."""
    return np.asarray(_predict(task.arch)(params, task.x_test))


def confusion(labels: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """(n_classes, n_classes) counts: rows the true class, columns the predicted one."""
    m = np.zeros((n_classes, n_classes), np.int64)
    np.add.at(m, (np.asarray(labels, int), np.asarray(predicted, int)), 1)
    return m


def mistakes(labels: np.ndarray, probs: np.ndarray, n: int = N_MISTAKES) -> list[dict]:
    """The n most confident wrong predictions: [{index, label, pred, confidence}], most confident first."""
    pred = probs.argmax(1)
    wrong = np.flatnonzero(pred != labels)
    order = wrong[np.argsort(-probs[wrong, pred[wrong]], kind="stable")][:n]
    return [
        {
            "index": int(i),
            "label": int(labels[i]),
            "pred": int(pred[i]),
            "confidence": float(probs[i, pred[i]]),
        }
        for i in order
    ]


def cell(
    labels: np.ndarray, predicted: np.ndarray, true: int, pred: int, limit: int = MAX_CELL
) -> tuple[list[int], int]:
    """Test indices of one confusion-matrix cell (at most `limit`) and the cell's count."""
    idx = np.flatnonzero((labels == true) & (predicted == pred))
    return idx[:limit].tolist(), len(idx)
