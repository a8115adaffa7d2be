"""The model section of an exported layer stack (the CNN page's networks): a Flax NNX module
written from the stack's layer specs, one small module a kind, with the app's initialization
order (each kernel drawn from the seed in layer order) and its forward pass."""

from __future__ import annotations

from playground.core import layers

KINDS = ("conv", "maxpool", "avgpool", "flatten", "dense", "dropout", "embedding", "positional", "block")
KINDS += ("layernorm", "rnn", "last", "noise", "sample", "convtranspose", "upsample", "reshape")


class ExportError(ValueError):
    """An experiment this exporter cannot write (named)."""


def check(arch) -> None:
    for i, spec in enumerate(arch.specs):
        if spec.kind not in KINDS:
            raise ExportError(
                f"layer {i + 1} is a {spec.kind} layer; the exporter writes {', '.join(KINDS)} layers so far"
            )


def activations(arch) -> list[str]:
    """Every activation the network uses: after conv and dense layers (the output's last), and
    inside recurrent layers and transformer blocks."""
    acts = [s.activation for s in arch.specs[:-1] if layers.LAYER_KINDS[s.kind].activates]
    inner = [s.activation for s in arch.specs if s.kind in ("rnn", "block")]
    return acts + [arch.output_activation] + inner


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
    elif spec.kind == "convtranspose":
        crop = layers.transpose_crop(spec.kernel, spec.stride, spec.padding)
        args = {"filters": spec.filters, "kernel": spec.kernel, "stride": spec.stride, "crop": crop}
        args["channels_in"] = shape[-1]
    elif spec.kind == "upsample":
        args = {"factor": spec.factor}
    elif spec.kind == "reshape":
        args = {"shape": layers.check_stack((spec,), shape)[0]}
    elif spec.kind == "dense":
        args = {"units": spec.units, "inputs": shape[-1]}
    elif spec.kind in ("maxpool", "avgpool"):
        args = {"window": spec.window}
    elif spec.kind == "dropout":
        args = {"rate": spec.rate}
    elif spec.kind == "noise":
        args = {"std": spec.std}
    elif spec.kind == "embedding":
        args = {"vocab": spec.vocab, "units": spec.units}
    elif spec.kind == "positional":
        args = {"encoding": spec.encoding, "length": shape[0], "width": shape[-1]}
    elif spec.kind == "block":
        args = {"width": shape[-1], "heads": spec.heads, "causal": spec.causal == "true", "units": spec.units}
        args["activation"] = spec.activation
    elif spec.kind == "layernorm":
        args = {"width": shape[-1]}
    elif spec.kind == "rnn":
        args = {"cell": spec.cell, "inputs": shape[-1], "units": spec.units, "activation": spec.activation}
        args["every_step"] = spec.return_sequences == "true"
    else:
        args = {}
    return f"    ({spec.kind!r}, {args!r}, {act!r}),"


PARAM = """def param(shape):
    return nnx.Param(KERNEL_INIT(RNGS.params(), shape).astype(jnp.float32)), nnx.Param(
        jnp.full((shape[-1],), BIAS_INIT, jnp.float32)
    )
"""
# One module a kind (only the kinds a network uses are written), each drawing its parameters
# from RNGS in the app's order.
MODULES = {
    "conv": """class Conv(nnx.Module):
    \"\"\"z = conv(x, K) + b over NHWC images, K of shape (k, k, c_in, c_out); XLA's padding.\"\"\"

    def __init__(self, filters, kernel, stride, padding, channels_in):
        self.kernel, self.bias = param((kernel, kernel, channels_in, filters))
        self.stride, self.padding = stride, padding.upper()

    def __call__(self, x):
        strides, dims = (self.stride, self.stride), ("NHWC", "HWIO", "NHWC")
        z = jax.lax.conv_general_dilated(x, self.kernel[...], strides, self.padding, dimension_numbers=dims)
        return z + self.bias[...]
""",
    "convtranspose": """class ConvTranspose(nnx.Module):
    \"\"\"A transposed convolution: each input pixel stamps the kernel, scaled by its value, at
    stride spacing, z[s·i + a − lo, s·j + b − lo, o] = Σ x[i, j, c]·K[a, b, c, o] + b[o], with
    (lo, hi) = crop rows and columns cut from the start and the end; computed as a convolution of
    the stride-dilated input with the flipped kernel.\"\"\"

    def __init__(self, filters, kernel, stride, crop, channels_in):
        self.kernel, self.bias = param((kernel, kernel, channels_in, filters))
        self.stride, (lo, hi) = stride, crop
        self.pads = ((kernel - 1 - lo, kernel - 1 - hi),) * 2

    def __call__(self, x):
        dims, s = ("NHWC", "HWIO", "NHWC"), (self.stride, self.stride)
        flipped = self.kernel[...][::-1, ::-1]
        z = jax.lax.conv_general_dilated(
            x, flipped, (1, 1), self.pads, lhs_dilation=s, dimension_numbers=dims
        )
        return z + self.bias[...]
""",
    "upsample": """class Upsample(nnx.Module):
    \"\"\"Nearest neighbour: each pixel becomes a factor×factor block.\"\"\"

    def __init__(self, factor):
        self.factor = factor

    def __call__(self, x):
        return jnp.repeat(jnp.repeat(x, self.factor, axis=1), self.factor, axis=2)
""",
    "reshape": """class Reshape(nnx.Module):
    \"\"\"A vector laid out as an image (the inverse of flatten).\"\"\"

    def __init__(self, shape):
        self.shape = tuple(shape)

    def __call__(self, x):
        return x.reshape(x.shape[0], *self.shape)
""",
    "dense": """class Dense(nnx.Module):
    \"\"\"z = x W + b (on a sequence, at every step).\"\"\"

    def __init__(self, units, inputs):
        self.kernel, self.bias = param((inputs, units))

    def __call__(self, x):
        return x @ self.kernel[...] + self.bias[...]
""",
    "maxpool": """class Pool(nnx.Module):
    \"\"\"Max or average over non-overlapping windows (valid padding).\"\"\"

    def __init__(self, window, average=False):
        self.window, self.average = window, average

    def __call__(self, x):
        w = (1, self.window, self.window, 1)
        if not self.average:
            return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, w, w, "VALID")
        return jax.lax.reduce_window(x, 0.0, jax.lax.add, w, w, "VALID") / self.window**2
""",
    "flatten": """class Flatten(nnx.Module):
    def __call__(self, x):
        return x.reshape(x.shape[0], -1)
""",
    "dropout": """class Dropout(nnx.Module):
    \"\"\"The identity: the training loop multiplies this layer's output by a keep mask.\"\"\"

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, x):
        return x
""",
    "embedding": """class Embedding(nnx.Module):
    \"\"\"Token ids (n, T) -> rows of a learned table (n, T, units).\"\"\"

    def __init__(self, vocab, units):
        self.table = nnx.Param(jax.random.normal(RNGS.params(), (vocab, units), jnp.float32))

    def __call__(self, x):
        return self.table[...][x.astype(jnp.int32)]
""",
    "positional": """def sinusoidal(length, d):
    t = jnp.arange(length, dtype=jnp.float32)[:, None]
    angle = t * 10000.0 ** (-(jnp.arange(d) // 2 * 2).astype(jnp.float32) / d)
    return jnp.where(jnp.arange(d) % 2 == 0, jnp.sin(angle), jnp.cos(angle))


class Positional(nnx.Module):
    \"\"\"Adds a position table (T, d): learned, or sinusoids.\"\"\"

    def __init__(self, encoding, length, width):
        self.learned, self.shape = encoding == "learned", (length, width)
        if self.learned:
            self.table = nnx.Param(0.1 * jax.random.normal(RNGS.params(), self.shape, jnp.float32))

    def __call__(self, x):
        return x + (self.table[...] if self.learned else sinusoidal(*self.shape))
""",
    "layernorm": """class LayerNorm(nnx.Module):
    \"\"\"(x - mean) / sqrt(var + 1e-5) * scale + bias over each step's vector.\"\"\"

    def __init__(self, width):
        self.scale = nnx.Param(jnp.ones((width,), jnp.float32))
        self.bias = nnx.Param(jnp.zeros((width,), jnp.float32))

    def __call__(self, x):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / jnp.sqrt(var + 1e-5) * self.scale[...] + self.bias[...]
""",
    "block": """class Block(nnx.Module):
    \"\"\"Pre-norm transformer block: x += attention(LN1(x)); x += mlp(LN2(x)).\"\"\"

    def __init__(self, width, heads, causal, units, activation):
        self.heads, self.causal, self.act = heads, causal, activation
        self.ln1, self.ln2 = LayerNorm(width), LayerNorm(width)
        self.query, self.key, self.value, self.out = (Dense(width, width) for _ in range(4))
        self.mlp1, self.mlp2 = Dense(units, width), Dense(width, units)

    def __call__(self, x):
        n, t, d = x.shape
        split = lambda a: a.reshape(n, t, self.heads, d // self.heads).transpose(0, 2, 1, 3)  # noqa: E731
        y = self.ln1(x)
        q, k, v = split(self.query(y)), split(self.key(y)), split(self.value(y))
        scores = q @ k.transpose(0, 1, 3, 2) / jnp.sqrt(d / self.heads)
        if self.causal:  # a step sees only itself and the steps before it
            scores = jnp.where(jnp.tril(jnp.ones((t, t), bool)), scores, -1e9)
        mixed = (jax.nn.softmax(scores, -1) @ v).transpose(0, 2, 1, 3).reshape(n, t, d)
        x = x + self.out(mixed)
        return x + self.mlp2(ACTIVATIONS[self.act](self.mlp1(self.ln2(x))))
""",
    "rnn": """GATES = {"rnn": 1, "lstm": 4, "gru": 3}


class Recurrent(nnx.Module):
    \"\"\"rnn: h' = act(xW + hU + b); lstm: i, f, g, o blocks, c' = f*c + i*g, h' = o*tanh(c');
    gru: r, z, n blocks, h' = (1 - z)*n + z*h. Initial state zero.\"\"\"

    def __init__(self, cell, inputs, units, activation, every_step):
        self.cell, self.units, self.act, self.every = cell, units, activation, every_step
        g = GATES[cell] * units
        self.kernel, self.bias = param((inputs, g))
        self.recurrent_kernel, _ = param((units, g))
        if cell == "lstm":  # the forget gate starts open
            self.bias = nnx.Param(self.bias[...].at[units : 2 * units].set(1.0))
        if cell == "gru":
            self.recurrent_bias = nnx.Param(jnp.zeros((g,), jnp.float32))

    def __call__(self, x):
        xw = jnp.einsum("ntf,fg->tng", x, self.kernel[...]) + self.bias[...]
        u = self.recurrent_kernel[...]
        blocks = lambda a: jnp.split(a, GATES[self.cell], axis=-1)  # noqa: E731
        h0 = jnp.zeros((x.shape[0], self.units), x.dtype)

        def step(carry, xt):
            h, c = carry
            if self.cell == "rnn":
                h = ACTIVATIONS[self.act](xt + h @ u)
            elif self.cell == "lstm":
                i, f, g, o = blocks(xt + h @ u)
                c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
                h = jax.nn.sigmoid(o) * jnp.tanh(c)
            else:
                xr, xz, xn = blocks(xt)
                hr, hz, hn = blocks(h @ u + self.recurrent_bias[...])
                r, z = jax.nn.sigmoid(xr + hr), jax.nn.sigmoid(xz + hz)
                h = (1 - z) * jnp.tanh(xn + r * hn) + z * h
            return (h, c), h

        _, hs = jax.lax.scan(step, (h0, h0), xw)
        return jnp.swapaxes(hs, 0, 1) if self.every else hs[-1]
""",
    "noise": """class Noise(nnx.Module):
    \"\"\"The identity at evaluation; while training the loop adds N(0, std²) noise.\"\"\"

    def __init__(self, std):
        self.std = std

    def __call__(self, x):
        return x
""",
    "sample": """class Sample(nnx.Module):
    \"\"\"A VAE's code: reads [μ, log σ²], gives μ (training adds σ·ε, see Network).\"\"\"

    def __call__(self, x):
        return x[..., : x.shape[-1] // 2]
""",
    "last": """class Last(nnx.Module):
    def __call__(self, x):
        return x[:, -1]
""",
}
BUILD = {
    "conv": "Conv(**numbers)",
    "dense": "Dense(**numbers)",
    "maxpool": "Pool(**numbers)",
    "avgpool": "Pool(**numbers, average=True)",
    "flatten": "Flatten()",
    "dropout": "Dropout(**numbers)",
    "embedding": "Embedding(**numbers)",
    "positional": "Positional(**numbers)",
    "layernorm": "LayerNorm(**numbers)",
    "block": "Block(**numbers)",
    "rnn": "Recurrent(**numbers)",
    "last": "Last()",
    "noise": "Noise(**numbers)",
    "sample": "Sample()",
    "convtranspose": "ConvTranspose(**numbers)",
    "upsample": "Upsample(**numbers)",
    "reshape": "Reshape(**numbers)",
}
NETWORK = """class Network(nnx.Module):
    \"\"\"The layers of NETWORKS[name], each conv or dense layer followed by its activation.\"\"\"

    def __init__(self, seed, name):
        global RNGS
        RNGS = nnx.Rngs(params=seed)  # every layer draws its parameters from it, in layer order
        self.name = name
        self.layers = nnx.List([make_layer(kind, numbers) for kind, numbers, _ in NETWORKS[name]])

    def __call__(self, x, keep=None, stats=None):
        \"\"\"The output layer's pre-activation. keep: per layer, its training draw or None (dropout:
        multipliers; noise: what to add; sample: the normal draws ε). stats: a list that gets a
        sampling layer's input [μ, log σ²].\"\"\"
        for i, (layer, (kind, _, act)) in enumerate(zip(self.layers, NETWORKS[self.name])):
            z = layer(x)
            a = ACTIVATIONS[act](z) if act else z
            if kind == "sample" and stats is not None:
                stats.append(x)
            if keep is not None and keep[i] is not None:
                if kind == "noise":
                    a = a + keep[i]
                elif kind == "sample":  # z = μ + σ·ε
                    a = a + jnp.exp(0.5 * x[..., a.shape[-1] :]) * keep[i]
                else:
                    a = a * keep[i]
            x = a
        return z
"""


def modules_code(kinds: set[str]) -> str:
    """The module classes the kinds need (a block needs dense and layernorm), then make_layer."""
    need = set(kinds) | ({"dense", "layernorm"} if "block" in kinds else set())
    need = {"maxpool" if k == "avgpool" else k for k in need}
    order = [k for k in MODULES if k in need]
    dispatch = "\n".join(f"    if kind == {k!r}:\n        return {BUILD[k]}" for k in BUILD if k in kinds)
    make = f"def make_layer(kind, numbers):\n{dispatch}\n    raise ValueError(kind)\n"
    return PARAM + "\n\n" + "\n\n".join(MODULES[k] for k in order) + "\n\n" + make + "\n\n" + NETWORK


def layer_rows(specs, in_shape, output_activation: str) -> str:
    """The LAYERS literal's rows of a stack."""
    shapes = [tuple(in_shape), *layers.check_stack(specs, in_shape)]
    return "\n".join(
        _layer(spec, shapes[i], i == len(specs) - 1, output_activation) for i, spec in enumerate(specs)
    )


def model_section(arch, config, act_lines: str, init_fn: str, bias_value: float, weights: str, start: bool):
    from playground.export.script import Section

    rows = layer_rows(arch.specs, arch.in_shape, arch.output_activation)
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
        + modules_code({spec.kind for spec in arch.specs})
        + '\n\nNETWORKS = {"main": LAYERS}\nmodel = Network(CONFIG["seed"], "main")\n'
        + load
        + "graphdef, params = nnx.split(model, nnx.Param)"
    )
    return Section(
        "The model",
        "A Flax NNX module written from the app's layer list (a small module a kind), each conv "
        "and dense layer followed by its activation. Parameters are drawn in layer order from the seed"
        + (", then replaced by the exported weights." if start else "."),
        code,
    )
