"""The self-describing params format of any layer stack: {"layers": [...]} from input to output,
each with a `type`, so that a reader can run the network without this project's code (README,
"Command line"). Written from a stack's specs and its parameter pytree.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from playground.core import layers, sequence_layers


def _list(a) -> list:
    return np.asarray(a, dtype=float).tolist()


def _dense(p: dict, activation: str) -> dict:
    return {"kernel": _list(p["kernel"]), "bias": _list(p["bias"]), "activation": activation}


def _ln(p: dict) -> dict:
    return {"scale": _list(p["scale"]), "bias": _list(p["bias"]), "eps": sequence_layers.LN_EPS}


def layer_json(layer: layers.Layer, p: dict, in_shape) -> dict:
    """One layer in the params format (`p`: its parameters as a pure dict)."""
    k = layer.kind
    if k == "conv":
        return {
            "type": "conv",
            "kernel": _list(p["kernel"]),
            "bias": _list(p["bias"]),
            "stride": layer.stride,
            "padding": layer.padding,
            "activation": layer.activation,
        }
    if k == "convtranspose":  # z[s·i + a − crop, s·j + b − crop, o] += x[i, j, c]·K[a, b, c, o]
        return {
            "type": "convtranspose",
            "kernel": _list(p["kernel"]),
            "bias": _list(p["bias"]),
            "stride": layer.stride,
            "padding": layer.padding,
            "crop": list(layers.transpose_crop(layer.kernel, layer.stride, layer.padding)),
            "activation": layer.activation,
        }
    if k == "upsample":
        return {"type": "upsample", "factor": layer.factor}
    if k == "reshape":
        return {"type": "reshape", "shape": list(layers.check_stack((layer,), in_shape)[0])}
    if k in ("maxpool", "avgpool"):
        return {"type": k, "window": layer.window, "stride": layer.window}
    if k == "dense":
        return {"type": "dense", **_dense(p, layer.activation)}
    if k == "dropout":
        return {"type": "dropout", "rate": layer.rate}
    if k == "noise":
        return {"type": "noise", "std": layer.std}
    if k == "sample":  # input [μ, log σ²] (2L values): μ at evaluation, μ + exp(½ log σ²)·ε in training
        return {"type": "sample", "latent": in_shape[-1] // 2}
    if k == "embedding":
        return {"type": "embedding", "table": _list(p["table"])}
    if k == "positional":
        table = p["table"] if layer.encoding == "learned" else sequence_layers.sinusoidal(*in_shape)
        return {"type": "positional", "encoding": layer.encoding, "table": _list(table)}
    if k == "layernorm":
        return {"type": "layernorm", **_ln(p)}
    if k == "block":
        attention = {"heads": layer.heads, "causal": layer.causal == "true"}
        attention |= {name: _dense(p[name], "linear") for name in ("query", "key", "value", "out")}
        return {
            "type": "block",
            "ln1": _ln(p["ln1"]),
            "attention": attention,
            "ln2": _ln(p["ln2"]),
            "mlp": [_dense(p["mlp1"], layer.activation), _dense(p["mlp2"], "linear")],
        }
    if k == "rnn":
        out = {
            "type": "rnn",
            "cell": layer.cell,
            "activation": layer.activation if layer.cell == "rnn" else "tanh",
            "units": layer.units,
            "kernel": _list(p["kernel"]),
            "recurrent_kernel": _list(p["recurrent_kernel"]),
            "bias": _list(p["bias"]),
            "return_sequences": layer.return_sequences == "true",
        }
        if layer.cell == "gru":
            out["recurrent_bias"] = _list(p["recurrent_bias"])
        return out
    return {"type": k}  # flatten, last


def to_json(specs, in_shape, params) -> dict:
    """{"layers": [...]} of a stack (specs input to output, its input shape, its parameters)."""
    pure = nnx.to_pure_dict(params)["layers"]
    shapes = [tuple(in_shape), *layers.check_stack(specs, in_shape)]
    return {"layers": [layer_json(la, pure.get(i, {}), shapes[i]) for i, la in enumerate(specs)]}


def _pure_of(layer: layers.Layer, g: dict) -> dict:
    """The parameter arrays a params-format layer holds, keyed like the module's pure dict."""
    k = layer.kind
    if k in ("conv", "convtranspose", "dense"):
        return {"kernel": g["kernel"], "bias": g["bias"]}
    if k == "embedding":
        return {"table": g["table"]}
    if k == "positional":
        return {"table": g["table"]} if layer.encoding == "learned" else {}
    if k == "layernorm":
        return {"scale": g["scale"], "bias": g["bias"]}
    if k == "block":
        att, mlp = g["attention"], g["mlp"]
        out = {
            "ln1": _pure_of(layers.Layer("layernorm"), g["ln1"]),
            "ln2": _pure_of(layers.Layer("layernorm"), g["ln2"]),
        }
        out |= {
            name: {"kernel": att[name]["kernel"], "bias": att[name]["bias"]}
            for name in ("query", "key", "value", "out")
        }
        out |= {
            "mlp1": {"kernel": mlp[0]["kernel"], "bias": mlp[0]["bias"]},
            "mlp2": {"kernel": mlp[1]["kernel"], "bias": mlp[1]["bias"]},
        }
        return out
    if k == "rnn":
        names = ("kernel", "recurrent_kernel", "bias", *(("recurrent_bias",) if layer.cell == "gru" else ()))
        return {name: g[name] for name in names}
    return {}


def _check_arrays(got, want, where: str):
    """`got` (nested lists) shaped like `want` (arrays), as float32 arrays; ValueError naming the place."""
    if isinstance(want, dict):
        return {k: _check_arrays(got[k], v, f"{where} {k}") for k, v in want.items()}
    try:
        arr = np.asarray(got, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: not numbers") from None
    if arr.shape != np.shape(want):
        raise ValueError(f"{where} has shape {arr.shape}, the network needs {np.shape(want)}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{where} has NaN or infinite values")
    return arr


def from_json(specs, template, obj) -> object:
    """Parameters shaped like `template` (a stack's parameter pytree) from the params format.

    Raises:
      ValueError: naming the layer (1-based) and the array or type that does not fit.
    """
    got = obj.get("layers") if isinstance(obj, dict) else None
    if not isinstance(got, list) or len(got) != len(specs):
        n = len(got) if isinstance(got, list) else "no"
        raise ValueError(f"params: {n} layers, this network has {len(specs)} (with its output layer)")
    ref = nnx.to_pure_dict(template)["layers"]
    pure = {}
    for i, (layer, g) in enumerate(zip(specs, got)):
        where = f"params layer {i + 1}"
        if not isinstance(g, dict) or g.get("type") != layer.kind:
            t = g.get("type") if isinstance(g, dict) else type(g).__name__
            raise ValueError(f"{where}: type {str(t)[:40]!r}, this network has {layer.kind} there")
        if i not in ref:
            continue
        try:
            arrays = _pure_of(layer, g)
        except (KeyError, TypeError, IndexError) as e:
            raise ValueError(f"{where}: {e} missing") from None
        pure[i] = _check_arrays(arrays, ref[i], where)
    nnx.replace_by_pure_dict(template, {"layers": jax.tree.map(jnp.asarray, pure)})
    return template
