"""The model section of an exported layer stack (the CNN page's networks): a Flax NNX module
written from the stack's layer specs, one small module a kind, with the app's initialization
order (each kernel drawn from the seed in layer order) and its forward pass."""

from __future__ import annotations

from playground.core import layers

KINDS = ("conv", "maxpool", "avgpool", "flatten", "dense", "dropout")


class ExportError(ValueError):
    """An experiment this exporter cannot write (named)."""


def check(arch) -> None:
    for i, spec in enumerate(arch.specs):
        if spec.kind not in KINDS:
            raise ExportError(
                f"layer {i + 1} is a {spec.kind} layer; the exporter writes {', '.join(KINDS)} layers so far"
            )


def activations(arch) -> list[str]:
    """The activation of each layer that has one (the output's last)."""
    acts = [s.activation for s in arch.specs if layers.LAYER_KINDS[s.kind].activates]
    return acts[:-1] + [arch.output_activation]


def _layer(spec: layers.Layer, shape, last: bool, out_act: str) -> str:
    """One entry of LAYERS: (kind, its numbers, activation or None)."""
    act = out_act if last else (spec.activation if layers.LAYER_KINDS[spec.kind].activates else None)
    if spec.kind == "conv":
        args = {
            "filters": spec.filters,
            "kernel": spec.kernel,
            "stride": spec.stride,
            "padding": spec.padding,
        }
        args["channels_in"] = shape[-1]
    elif spec.kind == "dense":
        args = {"units": spec.units, "inputs": shape[-1]}
    elif spec.kind in ("maxpool", "avgpool"):
        args = {"window": spec.window}
    elif spec.kind == "dropout":
        args = {"rate": spec.rate}
    else:
        args = {}
    return f"    ({spec.kind!r}, {args!r}, {act!r}),"


MODULES = '''class Conv(nnx.Module):
    """z = conv(x, K) + b over NHWC images, K of shape (k, k, c_in, c_out); XLA's padding."""

    def __init__(self, filters, kernel, stride, padding, channels_in, rngs):
        shape = (kernel, kernel, channels_in, filters)
        self.kernel = nnx.Param(KERNEL_INIT(rngs.params(), shape).astype(jnp.float32))
        self.bias = nnx.Param(jnp.full((filters,), BIAS_INIT, jnp.float32))
        self.stride, self.padding = stride, padding.upper()

    def __call__(self, x):
        strides, dims = (self.stride, self.stride), ("NHWC", "HWIO", "NHWC")
        z = jax.lax.conv_general_dilated(x, self.kernel[...], strides, self.padding, dimension_numbers=dims)
        return z + self.bias[...]


class Dense(nnx.Module):
    def __init__(self, units, inputs, rngs):
        self.kernel = nnx.Param(KERNEL_INIT(rngs.params(), (inputs, units)).astype(jnp.float32))
        self.bias = nnx.Param(jnp.full((units,), BIAS_INIT, jnp.float32))

    def __call__(self, x):
        return x @ self.kernel[...] + self.bias[...]


class Pool(nnx.Module):
    """Max or average over non-overlapping windows (valid padding)."""

    def __init__(self, window, average):
        self.window, self.average = window, average

    def __call__(self, x):
        w = (1, self.window, self.window, 1)
        if not self.average:
            return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, w, w, "VALID")
        return jax.lax.reduce_window(x, 0.0, jax.lax.add, w, w, "VALID") / self.window**2


class Flatten(nnx.Module):
    def __call__(self, x):
        return x.reshape(x.shape[0], -1)


class Identity(nnx.Module):
    """Dropout's place: the training loop multiplies its output by a keep mask."""

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, x):
        return x


def make_layer(kind, numbers, rngs):
    if kind == "conv":
        return Conv(**numbers, rngs=rngs)
    if kind == "dense":
        return Dense(**numbers, rngs=rngs)
    if kind in ("maxpool", "avgpool"):
        return Pool(numbers["window"], kind == "avgpool")
    return Flatten() if kind == "flatten" else Identity(**numbers)


class Network(nnx.Module):
    def __init__(self, seed):
        rngs = nnx.Rngs(params=seed)
        self.layers = nnx.List([make_layer(kind, numbers, rngs) for kind, numbers, _ in LAYERS])

    def __call__(self, x, keep=None):
        """The output layer's pre-activation; keep: per layer, dropout multipliers or None."""
        for i, (layer, (_, _, act)) in enumerate(zip(self.layers, LAYERS)):
            z = layer(x)
            x = ACTIVATIONS[act](z) if act else z
            if keep is not None and keep[i] is not None:
                x = x * keep[i]
        return z


model = Network(CONFIG["seed"])
'''


def model_section(arch, config, act_lines: str, init_fn: str, bias_value: float, weights: str, start: bool):
    from playground.export.script import Section

    shapes = [tuple(arch.in_shape), *layers.check_stack(arch.specs, arch.in_shape)]
    rows = "\n".join(
        _layer(spec, shapes[i], i == len(arch.specs) - 1, arch.output_activation)
        for i, spec in enumerate(arch.specs)
    )
    load = (
        "for layer, (w, b) in zip([m for m in model.layers if hasattr(m, 'kernel')], START):\n"
        "    layer.kernel[...], layer.bias[...] = jnp.asarray(w), jnp.asarray(b)\n"
        if start
        else ""
    )
    code = (
        f"ACTIVATIONS = {{\n{act_lines},\n}}\n"
        f"# Each layer: its kind, its numbers, the activation after it (None: none).\nLAYERS = [\n{rows}\n]\n"
        f"OUTPUT_ACTIVATION = {arch.output_activation!r}\n"
        f"KERNEL_INIT = {init_fn}\nBIAS_INIT = {bias_value!r}{weights}\n\n\n"
        + MODULES
        + load
        + "graphdef, params = nnx.split(model, nnx.Param)"
    )
    return Section(
        "The model",
        "A Flax NNX module written from the app's layer list: conv, pooling, flatten, dense and "
        "dropout layers, each conv and dense followed by its activation. Kernels are drawn in layer "
        "order from the seed" + (", then replaced by the exported weights." if start else "."),
        code,
    )
