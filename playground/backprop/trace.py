"""The backprop tracer: every number of one training step, in float64.

`trace` runs one step the way it is taught: (1) forward, each layer's weighted
sums z and activations a; (2) the error, the loss and each output's share of it;
(3) backward, each neuron's delta = dL/dz by the chain rule, written out by hand
with the activation derivatives of the registry (so comparing with `jax.grad` is
an independent check), and every weight's and bias's gradient (delta times the
input it multiplies, plus the L1/L2 penalty's part); (4) the update, by optax's
own optimizer from `optimizers.make_optimizer`, as training does it, with the
optimizer's state before and after.

Everything runs inside a `jax.enable_x64(True)` scope (thread-local, so the
engine elsewhere keeps float32) and comes back as plain NumPy float64 arrays.
Parameters use the CLI's layer-list format: [{"kernel": (in, out), "bias": (out,)}].
Dropout is not part of the trace (it explains the deterministic step).
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax

from playground.core import optimizers
from playground.core.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from playground.core.config import Config

MAX_BATCH = 64  # examples one trace explains
MAX_REPEAT = 10_000

# The classic worked example (Matt Mazur, "A Step by Step Backpropagation Example"):
# 2 inputs, 2 sigmoid hidden, 2 sigmoid outputs, squared error, plain SGD at 0.5.
# Our mse is the mean over the K=2 outputs of (a - y)^2, which equals his sum of
# (1/2)(target - out)^2, so his published numbers are ours.
PRESET_CONFIG = Config(
    hidden=(2,), activation="sigmoid", output_activation="sigmoid", loss="mse", optimizer="sgd",
    learning_rate=0.5, gd_variant="stochastic",
)  # fmt: skip
PRESET_X = (0.05, 0.10)
PRESET_Y = (0.01, 0.99)
PRESET_LAYERS = (
    {"kernel": ((0.15, 0.25), (0.20, 0.30)), "bias": (0.35, 0.35)},  # w1 w3 / w2 w4, b1
    {"kernel": ((0.40, 0.50), (0.45, 0.55)), "bias": (0.60, 0.60)},  # w5 w7 / w6 w8, b2
)


@dataclasses.dataclass(frozen=True)
class Trace:
    """Every number of one training step. Arrays are float64; B examples, layer l has n_l units.

    Attributes:
      config: the experiment (activations, loss, optimizer, l1, l2).
      x: (B, n_in) network inputs; y: (B, n_out) targets.
      layers: parameters before the step, [{"kernel": (n_{l-1}, n_l), "bias": (n_l,)}].
      activations: activation name of each layer, output last.
      z, a: per layer (B, n_l) weighted sums and activations.
      fprime: per layer (B, n_l) f'(z); None for a softmax output (a Jacobian, not elementwise).
      loss: data loss, mean over examples; penalty: l1*sum|W| + l2*sum W^2 (kernels only).
      contributions: (B, n_out) each output's share of each example's loss (rows sum to it).
      dloss_da: (B, n_out) dL/da at the output, or None where the loss is taken from the
        logits z (bce, ce); L is the mean over examples, so it includes 1/B.
      deltas: per layer (B, n_l) dL/dz.
      data_grads, penalty_grads, grads: per layer {"kernel", "bias"}; grads = data + penalty.
      updates: optax's step per parameter (new value minus old).
      layers_after: parameters after the step.
      opt_before, opt_after: optimizer state by slot name ("trace", "mu", "nu",
        "sum_of_squares", ...): a layer list per slot, or a number ("count").
      loss_after: data loss on the same examples with layers_after.
    """

    config: Config
    x: np.ndarray
    y: np.ndarray
    layers: list[dict]
    activations: tuple[str, ...]
    z: list[np.ndarray]
    a: list[np.ndarray]
    fprime: list[np.ndarray | None]
    loss: float
    penalty: float
    contributions: np.ndarray
    dloss_da: np.ndarray | None
    deltas: list[np.ndarray]
    data_grads: list[dict]
    penalty_grads: list[dict]
    grads: list[dict]
    updates: list[dict]
    layers_after: list[dict]
    opt_before: dict
    opt_after: dict
    loss_after: float

    @property
    def widths(self) -> list[int]:
        """Units per column, inputs first."""
        return [self.x.shape[1], *(k.shape[1] for k in (la["kernel"] for la in self.layers))]

    @property
    def objective(self) -> float:
        return self.loss + self.penalty


# ---- checking user input ------------------------------------------------------------------
def _numbers(value, what: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: not numbers") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what}: has NaN or infinite values")
    return arr


def check_layers(config: Config, layers, n_outputs: int | None = None) -> list[dict]:
    """The parameters as float64 arrays, checked against the config's network.

    Args:
      config: gives the inputs (len(features)) and hidden widths.
      layers: [{"kernel": (in, out), "bias": (out,)}, ...], input to output.
      n_outputs: the output width the network must have (default: the last kernel's).

    Raises:
      ValueError: naming the layer and array whose shape or values are wrong.
    """
    n_layers = len(config.hidden) + 1
    if not isinstance(layers, (list, tuple)) or len(layers) != n_layers:
        got = len(layers) if isinstance(layers, (list, tuple)) else type(layers).__name__
        raise ValueError(
            f"params: expected {n_layers} layers ({len(config.hidden)} hidden + output), got {got}"
        )
    out = []
    n_in = len(config.features)
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict):
            raise ValueError(f"params layer {i}: expected an object with kernel and bias")
        arrays = {}
        for name in ("kernel", "bias"):
            if name not in layer:
                raise ValueError(f"params layer {i}: {name} missing")
            arrays[name] = _numbers(layer[name], f"params layer {i}: {name}")
        if i < len(config.hidden):
            units = config.hidden[i]
        else:
            kernel_shape = arrays["kernel"].shape
            units = n_outputs or (kernel_shape[1] if len(kernel_shape) == 2 else 1)
        for name, want in (("kernel", (n_in, units)), ("bias", (units,))):
            if arrays[name].shape != want:
                raise ValueError(
                    f"params layer {i}: {name} has shape {arrays[name].shape}, the network needs {want}"
                )
        out.append(arrays)
        n_in = units
    if config.output_activation == "softmax" and n_in < 2:
        raise ValueError("output_activation: softmax needs at least 2 outputs")
    return out


def check_example(config: Config, x, y, n_outputs: int) -> tuple[np.ndarray, np.ndarray]:
    """x as (B, n_in) and y as (B, n_out) float64; a single example may be given flat.

    Raises:
      ValueError: naming x or y and the count expected.
    """
    n_in = len(config.features)
    x = np.atleast_2d(_numbers(x, "x"))
    y = np.atleast_2d(_numbers(y, "y"))
    if x.ndim != 2 or x.shape[1] != n_in:
        raise ValueError(
            f"x: expected {n_in} value{'s' * (n_in > 1)} per example (one per feature: "
            f"{', '.join(config.features)}), got {x.shape[-1]}"
        )
    if y.ndim != 2 or y.shape[1] != n_outputs:
        raise ValueError(
            f"y: expected {n_outputs} value{'s' * (n_outputs > 1)} (one per output), got {y.shape[-1]}"
        )
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} examples but y has {len(y)}")
    if not 1 <= len(x) <= MAX_BATCH:
        raise ValueError(f"x: give 1 to {MAX_BATCH} examples, got {len(x)}")
    return x, y


# ---- the step, by hand ----------------------------------------------------------------------
def _act(name: str):
    return OUTPUT_ACTIVATIONS.get(name) or ACTIVATIONS[name]


def _forward(layers, x, acts):
    zs, as_ = [], []
    a = x
    for layer, act in zip(layers, acts):
        z = a @ layer["kernel"] + layer["bias"]
        a = _act(act).fn(z)
        zs.append(z)
        as_.append(a)
    return zs, as_


def _contributions(loss: str, z, a, y):
    """(B, K) each output's share of each example's loss."""
    k = z.shape[-1]
    d = a - y
    if loss == "mse":
        return d * d / k
    if loss == "huber":
        return jnp.where(jnp.abs(d) <= 1, 0.5 * d * d, jnp.abs(d) - 0.5) / k
    if loss == "bce":  # -[y log s(z) + (1-y) log(1-s(z))] = log(1+e^z) - y z
        return (jnp.logaddexp(0.0, z) - y * z) / k
    if loss == "ce":
        return -y * jax.nn.log_softmax(z, axis=-1)
    if loss == "hinge":
        return jnp.maximum(0.0, 1 - y * a) / k
    raise ValueError(f"loss: unknown {loss!r}")


def _output_delta(loss: str, out_act: str, z, a, y):
    """(dL/da or None, dL/dz) per example (not yet divided by B)."""
    k = z.shape[-1]
    d = a - y
    if loss == "bce":
        return None, (jax.nn.sigmoid(z) - y) / k
    if loss == "ce":
        return None, jax.nn.softmax(z, axis=-1) * y.sum(-1, keepdims=True) - y
    if loss == "mse":
        g = 2 * d / k
    elif loss == "huber":
        g = jnp.clip(d, -1.0, 1.0) / k
    elif loss == "hinge":
        g = jnp.where(1 - y * a > 0, -y, 0.0) / k
    else:
        raise ValueError(f"loss: unknown {loss!r}")
    if out_act == "softmax":  # dL/dz_j = sum_k g_k a_k([k=j] - a_j)
        return g, a * (g - (g * a).sum(-1, keepdims=True))
    return g, g * _act(out_act).grad(z)


def _backward(config: Config, layers, acts, x, y, zs, as_):
    b = x.shape[0]
    g, delta = _output_delta(config.loss, acts[-1], zs[-1], as_[-1], y)
    g = None if g is None else g / b
    deltas = [delta / b]
    for i in range(len(layers) - 2, -1, -1):  # hidden layers, from the output back
        back = deltas[0] @ layers[i + 1]["kernel"].T  # sum over downstream delta * w
        deltas.insert(0, back * _act(acts[i]).grad(zs[i]))
    inputs = [x, *as_[:-1]]
    data = [{"kernel": a_in.T @ d, "bias": d.sum(0)} for a_in, d in zip(inputs, deltas)]
    penalty = [
        {"kernel": config.l1 * jnp.sign(la["kernel"]) + 2 * config.l2 * la["kernel"],
         "bias": jnp.zeros_like(la["bias"])}
        for la in layers
    ]  # fmt: skip
    return g, deltas, data, penalty


def _penalty(config: Config, layers):
    return sum(
        config.l1 * jnp.abs(la["kernel"]).sum() + config.l2 * (la["kernel"] ** 2).sum() for la in layers
    )


def _data_loss(config: Config, layers, acts, x, y):
    zs, as_ = _forward(layers, x, acts)
    return _contributions(config.loss, zs[-1], as_[-1], y).sum(-1).mean()


# ---- the optimizer ----------------------------------------------------------------------
def _hyper64(config: Config) -> dict:
    return {kw: jnp.float64(getattr(config, f)) for f, kw in optimizers.OPTIMIZERS[config.optimizer].hypers}


def _opt_init(config: Config, params, opt_state=None):
    """optax's state for `params`: fresh, or `opt_state` (from training) in float64."""
    opt = optimizers.make_optimizer(config)
    if opt_state is None:
        state = opt.init(params)
    else:
        state = opt_state_to_layers(opt_state)
    return opt, state._replace(hyperparams={**state.hyperparams, **_hyper64(config)})


def opt_state_to_layers(opt_state):
    """An engine optimizer state (parameter-shaped parts as nnx.State) with every
    parameter-shaped part as a layer list and every float as float64 (call inside x64)."""
    from flax import nnx

    from playground.core import models

    def convert(node):
        if isinstance(node, nnx.State):
            return [
                {k: jnp.asarray(v, jnp.float64) for k, v in la.items()}
                for la in models.params_to_layers(node)
            ]
        if jnp.issubdtype(jnp.asarray(node).dtype, jnp.floating):
            return jnp.asarray(node, jnp.float64)
        return jnp.asarray(node)

    return jax.tree.map(convert, opt_state, is_leaf=lambda n: isinstance(n, nnx.State))


def opt_slots(opt_state) -> dict:
    """The optimizer's internal state by slot name: layer lists, and counts as numbers."""
    slots: dict = {}

    def walk(node):
        if isinstance(node, tuple) and hasattr(node, "_fields"):
            for name in node._fields:
                value = getattr(node, name)
                if isinstance(value, list):
                    slots[name] = _np_layers(value)
                elif name == "count":
                    slots[name] = int(np.asarray(value))
                else:
                    walk(value)
        elif isinstance(node, (tuple, list)):
            for v in node:
                walk(v)

    walk(opt_state.inner_state)
    return slots


def _np_layers(layers) -> list[dict]:
    return [{k: np.asarray(v, np.float64) for k, v in la.items()} for la in layers]


# ---- public API -----------------------------------------------------------------------------
def trace(config: Config, layers, x, y, n_outputs: int | None = None, opt_state=None) -> Trace:
    """One training step on (x, y), every number of it.

    Args:
      config: the network (features, hidden, activations, output activation), loss,
        l1/l2 and optimizer with its numbers.
      layers: parameters, [{"kernel": (in, out), "bias": (out,)}, ...] (lists or arrays).
      x: (n_in,) one example or (B, n_in) a small batch of network inputs.
      y: (n_out,) or (B, n_out) targets.
      n_outputs: required output width (default: the last kernel's).
      opt_state: optional optimizer state from the engine (`TrainState.opt_state`)
        to continue from; default a fresh one.

    Returns:
      A Trace (plain NumPy float64 data).

    Raises:
      ValueError: naming the bad argument (shapes, counts, non-finite numbers).
    """
    checked = check_layers(config, layers, n_outputs)
    x, y = check_example(config, x, y, checked[-1]["bias"].shape[0])
    acts = (*config.layer_activations(), config.output_activation)
    with jax.enable_x64(True):
        params = [{k: jnp.asarray(v) for k, v in la.items()} for la in checked]
        xj, yj = jnp.asarray(x), jnp.asarray(y)
        zs, as_ = _forward(params, xj, acts)
        contrib = _contributions(config.loss, zs[-1], as_[-1], yj)
        g, deltas, data, penalty = _backward(config, params, acts, xj, yj, zs, as_)
        grads = jax.tree.map(lambda d, p: d + p, data, penalty)
        opt, state = _opt_init(config, params, opt_state)
        updates, new_state = opt.update(grads, state, params)
        after = optax.apply_updates(params, updates)
        loss_after = _data_loss(config, after, acts, xj, yj)
        fprime = [None if act == "softmax" else _act(act).grad(z) for act, z in zip(acts, zs)]
        return Trace(
            config=config,
            x=x,
            y=y,
            layers=checked,
            activations=acts,
            z=[np.asarray(v) for v in zs],
            a=[np.asarray(v) for v in as_],
            fprime=[None if v is None else np.asarray(v) for v in fprime],
            loss=float(contrib.sum(-1).mean()),
            penalty=float(_penalty(config, params)),
            contributions=np.asarray(contrib),
            dloss_da=None if g is None else np.asarray(g),
            deltas=[np.asarray(d) for d in deltas],
            data_grads=_np_layers(data),
            penalty_grads=_np_layers(penalty),
            grads=_np_layers(grads),
            updates=_np_layers(updates),
            layers_after=_np_layers(after),
            opt_before=opt_slots(state),
            opt_after=opt_slots(new_state),
            loss_after=float(loss_after),
        )


@functools.lru_cache(maxsize=32)
def _repeat_fn(config: Config, n_steps: int):
    acts = (*config.layer_activations(), config.output_activation)
    opt = optimizers.make_optimizer(config)

    def run(params, state, x, y):
        def step(carry, _):
            p, s = carry
            zs, as_ = _forward(p, x, acts)
            _, _, data, penalty = _backward(config, p, acts, x, y, zs, as_)
            grads = jax.tree.map(lambda d, q: d + q, data, penalty)
            updates, s = opt.update(grads, s, p)
            p = optax.apply_updates(p, updates)
            return (p, s), _data_loss(config, p, acts, x, y)

        (p, _), losses = jax.lax.scan(step, (params, state), None, length=n_steps)
        return jnp.concatenate([_data_loss(config, params, acts, x, y)[None], losses]), p

    return jax.jit(run)


def repeat(config: Config, layers, x, y, n_steps: int, n_outputs: int | None = None, opt_state=None):
    """Repeat the traced step `n_steps` times on the same example(s).

    Returns:
      (losses, layers): the data loss (n_steps + 1,) before and after each step, and
      the parameters after the last one (a layer list of float64 arrays).
    """
    if not isinstance(n_steps, int) or not 1 <= n_steps <= MAX_REPEAT:
        raise ValueError(f"steps: give a whole number from 1 to {MAX_REPEAT}, got {n_steps!r}")
    checked = check_layers(config, layers, n_outputs)
    x, y = check_example(config, x, y, checked[-1]["bias"].shape[0])
    # Only the structure decides the compiled code; the numbers travel in the state.
    key = Config().replace(
        **{f: getattr(config, f) for f in ("features", "hidden", "activation", "activations",
                                           "output_activation", "loss", "optimizer", "l1", "l2")},
        dataset=config.dataset,
    )  # fmt: skip
    with jax.enable_x64(True):
        params = [{k: jnp.asarray(v) for k, v in la.items()} for la in checked]
        _, state = _opt_init(config, params, opt_state)
        losses, after = _repeat_fn(key, n_steps)(params, state, jnp.asarray(x), jnp.asarray(y))
        return np.asarray(losses), _np_layers(after)


def to_json_layers(layers) -> dict:
    """Layer lists in the CLI's params format: {"layers": [{"kernel": [[...]], "bias": [...]}]}."""
    return {"layers": [{k: np.asarray(v, float).tolist() for k, v in la.items()} for la in layers]}


def preset_layers() -> list[dict]:
    return [{k: np.array(v, np.float64) for k, v in la.items()} for la in PRESET_LAYERS]


def trace_json(t: Trace) -> dict:
    """The CLI's `trace --json` object (example 1 of the trace)."""
    rows = lambda v: np.asarray(v, float)[0].tolist()  # noqa: E731
    return {
        "forward": [{"z": rows(z), "a": rows(a)} for z, a in zip(t.z, t.a)],
        "loss": t.loss,
        "penalty": t.penalty,
        "contributions": rows(t.contributions),
        "deltas": [rows(d) for d in t.deltas],
        "grads": to_json_layers(t.grads),
        "updates": to_json_layers(t.updates),
        "params_after": to_json_layers(t.layers_after),
        "loss_after": t.loss_after,
    }


def trace_text(t: Trace) -> str:
    """A readable summary of a trace (the CLI's `trace` without --json)."""
    fmt = lambda v: " | ".join(" ".join(f"{x:+.6f}" for x in row) for row in np.atleast_2d(v))  # noqa: E731
    c = t.config
    lines = [f"network {'-'.join(map(str, t.widths))}, {'/'.join(t.activations)}, loss {c.loss}, "
             f"optimizer {c.optimizer} (learning rate {c.learning_rate:g})", f"x  {fmt(t.x[0])}"]  # fmt: skip
    lines.append("1. forward")
    for i, (z, a) in enumerate(zip(t.z, t.a), 1):
        lines += [f"   layer {i}  z {fmt(z[0])}", f"            a {fmt(a[0])}"]
    lines += [
        "2. error",
        f"   y  {fmt(t.y[0])}",
        f"   loss {t.loss:.9f}  (per output {fmt(t.contributions[0])})",
    ]
    if c.l1 or c.l2:
        lines.append(f"   penalty {t.penalty:.9f}, total {t.objective:.9f}")
    lines.append("3. backward (delta = dL/dz, from the output; dW row i = input i)")
    for i in range(len(t.deltas), 0, -1):
        g = t.grads[i - 1]
        lines += [f"   layer {i}  delta {fmt(t.deltas[i - 1][0])}", f"            dW {fmt(g['kernel'])}",
                  f"            db {fmt(g['bias'])}"]  # fmt: skip
    lines.append(f"4. update ({c.optimizer})")
    for i, la in enumerate(t.layers_after, 1):
        lines += [f"   layer {i}  W {fmt(la['kernel'])}", f"            b {fmt(la['bias'])}"]
    lines.append(f"loss on this example: {t.loss:.9f} -> {t.loss_after:.9f}")
    return "\n".join(lines)
