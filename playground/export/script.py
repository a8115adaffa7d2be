"""Export an experiment as a standalone JAX script: the same data, initial weights and updates
as the app's engine, written as plain `jax`, `flax.nnx`, `optax` and `numpy` code (never
`playground`), so that `python FILE.py --json` prints the history `train --out` writes.

The script is built from sections (a Markdown explanation and its code), which the notebook
exporter reuses. User values enter the code only as literals made by `repr` (numbers, and text
through `repr` of a str), never pasted in.
"""

from __future__ import annotations

import dataclasses
import pprint
import textwrap

import numpy as np

from playground.core import engine, layers
from playground.export import stack
from playground.export.stack import ExportError  # noqa: F401  (the exporter's error)

VERSION = "0.1.0"  # pyproject.toml's
MAX_EMBEDDED_FLOATS = 2_000_000  # data and weights written into one file
METRICS = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")
USAGE = """    python this_file.py [--epochs N] [--json]

prints the train and test loss of every epoch (--json: only the history, as the app's
`python -m playground train --out` file writes it)."""


# Gradient clipping by global norm (the sequence networks' `clip`).
CLIP = (
    "        norm = optax.tree.norm(grads)",
    "        scale = jnp.where(norm > CONFIG['clip'], CONFIG['clip'] / norm, 1.0)",
    "        grads = jax.tree.map(lambda g: g * scale, grads)",
)
# A stack measures a big set in slices of 512 (memory), as the app does.
SLICED = """if len(x) > 512:
        z = jax.lax.map(lambda xi: forward(params, xi[None])[0], x, batch_size=512)
    else:
        z = forward(params, x)"""


@dataclasses.dataclass(frozen=True)
class Section:
    title: str
    text: str  # Markdown: what the code does
    code: str


def _array(name: str, a, dtype: str = "np.float32") -> str:
    """A NumPy literal, one row a line, every float32 written so it reads back exactly."""
    a = np.asarray(a)
    if a.ndim == 1:
        body = ", ".join(repr(float(v)) for v in a)
        return f"{name} = np.array([{body}], {dtype})"
    rows = ",\n".join("    [" + ", ".join(repr(float(v)) for v in row) + "]" for row in a.reshape(len(a), -1))
    shape = "" if a.ndim == 2 else f".reshape({(len(a), *a.shape[1:])!r})"
    return f"{name} = np.array([\n{rows}\n], {dtype}){shape}"


_INITS = {
    "tfp": ("lambda key, shape: jax.random.uniform(key, shape, minval=-0.5, maxval=0.5)", 0.1),
    "glorot": ("jax.nn.initializers.glorot_uniform()", 0.0),
    "he": ("jax.nn.initializers.he_normal()", 0.0),
    "lecun": ("jax.nn.initializers.lecun_normal()", 0.0),
}
_ACTS = {
    "tanh": "jnp.tanh",
    "relu": "jax.nn.relu",
    "sigmoid": "jax.nn.sigmoid",
    "linear": "lambda z: z",
    "softmax": "lambda z: jax.nn.softmax(z, axis=-1)",
    "leaky_relu": "lambda z: jax.nn.leaky_relu(z, 0.01)",
    "elu": "jax.nn.elu",
    "gelu": "lambda z: jax.nn.gelu(z, approximate=False)",
    "silu": "jax.nn.silu",
    "softplus": "jax.nn.softplus",
}
_LOSSES = {
    "mse": "optax.squared_error(ACTIVATIONS[OUTPUT_ACTIVATION](z), y).mean(-1)",
    "bce": "optax.sigmoid_binary_cross_entropy(z, y).mean(-1)",
    "ce": "optax.softmax_cross_entropy(z, y)",
    "hinge": "optax.hinge_loss(ACTIVATIONS[OUTPUT_ACTIVATION](z), y).mean(-1)",
    "huber": "optax.huber_loss(ACTIVATIONS[OUTPUT_ACTIVATION](z), y, delta=1.0).mean(-1)",
}
_OPTIMIZERS = {
    "sgd": ("optax.sgd", (("learning_rate", "learning_rate"),)),
    "momentum": ("optax.sgd", (("learning_rate", "learning_rate"), ("momentum", "momentum"))),
    "nesterov": (
        "functools.partial(optax.sgd, nesterov=True)",
        (("learning_rate", "learning_rate"), ("momentum", "momentum")),
    ),
    "adagrad": ("optax.adagrad", (("learning_rate", "learning_rate"), ("eps", "eps"))),
    "rmsprop": ("optax.rmsprop", (("learning_rate", "learning_rate"), ("decay", "rho"), ("eps", "eps"))),
    "adam": (
        "optax.adam",
        (("learning_rate", "learning_rate"), ("b1", "beta1"), ("b2", "beta2"), ("eps", "eps")),
    ),
    "adamw": (
        "optax.adamw",
        (
            ("learning_rate", "learning_rate"),
            ("b1", "beta1"),
            ("b2", "beta2"),
            ("eps", "eps"),
            ("weight_decay", "weight_decay"),
        ),
    ),
}


def _site_value(spec) -> str:
    """What a layer's training draw u becomes in the script (see the Network's use of it)."""
    if spec.kind == "dropout":
        return f"(u >= {spec.rate!r}).astype(jnp.float32) / (1 - {spec.rate!r})"
    normal = "jax.scipy.special.ndtri(jnp.clip(u, 1e-7, 1 - 1e-7))"
    return f"{spec.std!r} * {normal}" if spec.kind == "noise" else normal


def check(task: engine.Task) -> None:
    """Raises ExportError for a network kind not written yet or data too big to embed."""
    if task.arch.stack:
        stack.check(task.arch)
    floats = sum(int(np.prod(np.shape(v))) for v in (task.x_train, task.y_train, task.x_test, task.y_test))
    if floats > MAX_EMBEDDED_FLOATS:
        raise ExportError(
            f"the data has {floats:,} numbers and at most {MAX_EMBEDDED_FLOATS:,} are written into a file: "
            "use fewer samples or smaller images"
        )


def sections(task: engine.Task, epochs: int, params=None) -> list[Section]:
    """The sections of an experiment's script: the Playground's MLP or a stack of the kinds in
    `stack.KINDS` (`params`: start from these weights, a list of {"kernel", "bias"} per layer
    that has them, instead of the seeded initialization)."""
    check(task)
    c, a = task.config, task.arch
    acts = stack.activations(a) if a.stack else [*c.layer_activations(), c.output_activation]
    used = sorted(set(acts) | {a.output_activation})
    opt_fn, hypers = _OPTIMIZERS[c.optimizer]
    opt_args = ", ".join(f"{kw}=np.float32(CONFIG[{field!r}])" for kw, field in hypers)
    init_fn, bias_value = _INITS[c.init]
    if a.stack:
        sites = [
            (i, shape, _site_value(a.specs[i])) for i, shape, _ in layers.draw_sites(a.specs, a.in_shape)
        ]
        name = getattr(c, "dataset", None) or f"{c.net} on the {c.task} task"
        title = f"{name}, {len(a.specs)} layers"
        if hasattr(c, "task"):
            what = "sequences (token ids, or numbers a step)"
        elif len(a.in_shape) == 3:
            what = f"images ({'×'.join(map(str, a.in_shape))}, pixels in [0, 1])"
        else:
            what = f"vectors of {a.in_shape[0]} numbers"
    else:
        rate = "CONFIG['dropout']"
        keep = f"(u >= {rate}).astype(jnp.float32) / (1 - {rate})"
        sites = [(i, (s.units,), keep) for i, s in enumerate(a.specs) if s.dropout]
        title = f"{c.dataset} data, network {'-'.join(map(str, [a.n_in, *c.hidden, a.n_out]))}"
        what = f"the features {', '.join(c.features)} of each point"
    sections = []
    sections.append(
        Section(
            f"Neural Network Playground experiment: {title}",
            f"Exported by the app (version {VERSION}). Reproduces the app's training exactly: the same "
            "data, the same initial weights (or the weights exported with it), the same minibatches, "
            "dropout masks and updates. Needs only jax, flax, optax and numpy.",
            "import argparse\nimport functools\nimport json\n\nimport jax\nimport jax.numpy as jnp\n"
            "import numpy as np\nimport optax\nfrom flax import nnx",
        )
    )
    config_text = pprint.pformat(c.to_dict(), width=100, sort_dicts=False)
    sections.append(
        Section(
            "The experiment",
            "Every setting of the experiment, as the app holds it (its `Config`).",
            f"CONFIG = {config_text}\nEPOCHS = {int(epochs)!r}",
        )
    )
    data_code = "\n".join(
        [
            f"# Inputs: {what}; targets as the loss wants them.",
            _array("X_TRAIN", task.x_train),
            _array("Y_TRAIN", task.y_train),
            _array("X_TEST", task.x_test),
            _array("Y_TEST", task.y_test),
            "X_TRAIN, Y_TRAIN, X_TEST, Y_TEST = map(jnp.asarray, (X_TRAIN, Y_TRAIN, X_TEST, Y_TEST))",
        ]
    )
    sections.append(
        Section(
            "The data",
            f"The {len(task.x_train)} training and {len(task.x_test)} test examples exactly as the "
            f"network sees them: {what} and the targets.",
            data_code,
        )
    )
    act_lines = ",\n".join(f"    {name!r}: {_ACTS[name]}" for name in used)
    weights = ""
    if params is not None:
        weights = "\n" + "\n".join(
            _array(f"START_{i}_KERNEL", p["kernel"]) + "\n" + _array(f"START_{i}_BIAS", p["bias"])
            for i, p in enumerate(params)
        )
        weights += (
            f"\nSTART = [{', '.join(f'(START_{i}_KERNEL, START_{i}_BIAS)' for i in range(len(params)))}]"
        )
    model = (
        stack.model_section(a, c, act_lines, init_fn, bias_value, weights, params is not None)
        if a.stack
        else Section(
            "The model",
            "A small Flax NNX module: dense layers, each followed by its activation; dropout after a "
            "hidden layer while training. Kernels are drawn in layer order from the seed"
            + (", then replaced by the exported weights." if params is not None else "."),
            f'''ACTIVATIONS = {{
{act_lines},
}}
LAYER_SIZES = {[a.n_in, *[s.units for s in a.specs]]!r}
LAYER_ACTIVATIONS = {acts!r}
OUTPUT_ACTIVATION = {a.output_activation!r}
KERNEL_INIT = {init_fn}
BIAS_INIT = {bias_value!r}{weights}


class Dense(nnx.Module):
    def __init__(self, n_in, n_out, rngs):
        self.kernel = nnx.Param(KERNEL_INIT(rngs.params(), (n_in, n_out)).astype(jnp.float32))
        self.bias = nnx.Param(jnp.full((n_out,), BIAS_INIT, jnp.float32))

    def __call__(self, x):
        w, b = self.kernel[...], self.bias[...]
        if x.shape[0] * w.shape[0] * w.shape[1] <= 65536:  # small: a fused multiply and sum
            return (x[:, :, None] * w[None]).sum(1) + b
        return x @ w + b


class MLP(nnx.Module):
    def __init__(self, seed):
        rngs = nnx.Rngs(params=seed)
        self.layers = nnx.List([Dense(i, o, rngs) for i, o in zip(LAYER_SIZES, LAYER_SIZES[1:])])

    def __call__(self, x, keep=None):
        """The output layer's pre-activation; keep: per layer, dropout multipliers or None."""
        for i, (layer, act) in enumerate(zip(self.layers, LAYER_ACTIVATIONS)):
            z = layer(x)
            x = ACTIVATIONS[act](z)
            if keep is not None and keep[i] is not None:
                x = x * keep[i]
        return z


model = MLP(CONFIG["seed"])
'''
            + (
                "for layer, (w, b) in zip(model.layers, START):\n"
                "    layer.kernel[...], layer.bias[...] = jnp.asarray(w), jnp.asarray(b)\n"
                if params is not None
                else ""
            )
            + "graphdef, params = nnx.split(model, nnx.Param)",
        )
    )
    sections.append(model)
    kind = a.kind
    if kind == "regression":
        accuracy = "correct = jnp.zeros_like(per)"
    elif a.n_out > 1 or a.stack:
        accuracy = (
            "right = (jnp.argmax(z, -1) == jnp.argmax(y, -1)).astype(jnp.float32)\n"
            "    correct = right.reshape(len(right), -1).mean(1)  # a sequence: its steps' share"
        )
    else:
        t = 0.5 if a.output_activation == "sigmoid" else 0.0
        accuracy = (
            f"out = ACTIVATIONS[OUTPUT_ACTIVATION](z[:, 0])\n"
            f"    correct = ((out > {t!r}) == (y[:, 0] > {t!r})).astype(jnp.float32)"
        )
    sections.append(
        Section(
            "The loss",
            f"Per-example loss `{a.loss}` on the output's pre-activation, plus L1/L2 on the kernels "
            "(never the biases) while training.",
            f'''def per_example_loss(z, y):
    per = {_LOSSES[a.loss]}
    return per.reshape(len(per), -1).mean(1)  # with a target at every step: their mean


def penalty(params):
    total = 0.0
    for path, leaf in jax.tree_util.tree_leaves_with_path(params):
        if "kernel" in jax.tree_util.keystr(path):
            total = total + CONFIG["l1"] * jnp.abs(leaf).sum() + CONFIG["l2"] * jnp.square(leaf).sum()
    return total


def forward(params, x, keep=None):
    return nnx.merge(graphdef, params)(x, keep)


def measure(params, x, y):
    """Each example's loss and whether it is classified right (no dropout, no penalty)."""
    {"z = forward(params, x)" if not a.stack else SLICED}
    per = per_example_loss(z, y)
    {accuracy}
    return per, correct''',
        )
    )
    sections.append(
        Section(
            "The optimizer",
            f"`{c.optimizer}` from optax, its numbers injected as float32 like the app's.",
            f"optimizer = optax.inject_hyperparams({opt_fn})({opt_args})\nopt_state = optimizer.init(params)",
        )
    )
    sections.append(
        Section(
            "Minibatches and dropout masks",
            "Each epoch shuffles the training set from its own key: two of 32 fixed random "
            "permutations, chosen by the key, composed with a rotation (the app's cheap shuffle). "
            "A short last minibatch is padded and masked. Dropout keeps a unit when a uniform draw "
            "is at least the rate, and scales it by 1/(1 − rate).",
            _orders_code(c, a, sites),
        )
    )
    sections.append(
        Section(
            "Training",
            "One compiled call per epoch: every minibatch's loss, gradient and update under "
            "`lax.scan`, then the loss (and accuracy) over the whole training and test sets. A loss "
            "that is not finite stops training and keeps the last weights"
            + ("; so does early stopping." if c.early_stopping_patience else "."),
            _train_code(c, a, kind),
        )
    )
    return sections


def _orders_code(c, a, sites) -> str:
    lines = [
        f"N_TRAIN, STEPS, BATCH, POOL = {a.n_train!r}, {a.steps!r}, {a.batch!r}, {engine.POOL!r}",
        "pool_rng = np.random.default_rng([CONFIG['seed'], N_TRAIN])",
        "PERM_POOL = jnp.asarray(",
        "    pool_rng.permuted(np.tile(np.arange(N_TRAIN, dtype=np.int32), (2, POOL, 1)), axis=2)",
        ")",
        "base_key = jax.random.key(CONFIG['seed'] + 1)",
        "",
        "",
        "def epoch_order(epoch_key):",
        '    """The epoch\'s minibatches as indices (STEPS, BATCH), and the padding mask or None."""',
    ]
    if a.shuffled:
        lines += [
            "    bits = jax.random.bits(jax.random.fold_in(epoch_key, 0), (3,), jnp.uint32)",
            "    i, j = (bits[0] % POOL).astype(jnp.int32), (bits[1] % POOL).astype(jnp.int32)",
            "    r = (bits[2] % N_TRAIN).astype(jnp.int32)",
            "    idx = PERM_POOL[0][i][(PERM_POOL[1][j] + r) % N_TRAIN]",
        ]
    else:
        lines.append("    idx = jnp.arange(N_TRAIN)")
    if a.padded:
        lines += [
            "    idx = jnp.pad(idx, (0, STEPS * BATCH - N_TRAIN))",
            "    mask = (jnp.arange(STEPS * BATCH) < N_TRAIN).astype(jnp.float32).reshape(STEPS, BATCH)",
        ]
    else:
        lines.append("    mask = None")
    lines += ["    return idx.reshape(STEPS, BATCH), mask", "", ""]
    lines += [
        "def dropout_masks(epoch_key, step=None):",
        '    """Per layer, its training draws (dropout masks, noise, normal draws): for every step of',
        '    the epoch, or for one step."""',
    ]
    if not sites:
        lines.append("    return None")
    else:
        lines += [
            f"    keep = [None] * {len(a.specs)}",
            "    # (layer, one example's draw shape, what a uniform draw u becomes)",
            f"    sites = [{', '.join(f'({i}, {shape!r}, lambda u: {value})' for i, shape, value in sites)}]",
            "    for i, shape, value in sites:",
            "        if step is None:",
            "            key = jax.random.fold_in(epoch_key, i + 1)",
            "            u = jax.random.uniform(key, (STEPS, BATCH, *shape))",
            "        else:",
            "            step_key = jax.random.fold_in(epoch_key, step)",
            "            u = jax.random.uniform(jax.random.fold_in(step_key, i + 1), (BATCH, *shape))",
            "        keep[i] = value(u)",
            "    return keep",
        ]
    return "\n".join(lines)


def _train_code(c, a, kind) -> str:
    accuracy = kind != "regression"
    vae = a.stack and layers.sample_index(a.specs) is not None
    per_step = a.big  # much data: each step draws its own masks (the app's choice, same numbers otherwise)
    objective = [
        "def objective(params, x, y, keep, mask):",
        "    per = per_example_loss(forward(params, x, keep), y)",
        "    data = per.mean() if mask is None else (per * mask).sum() / mask.sum()",
        "    return data + penalty(params)",
    ]
    if vae:
        objective = [
            "def kl(stats):",
            '    """KL(N(μ, σ²) ‖ N(0, 1)) of each example: ½ Σ (σ² + μ² − 1 − log σ²)."""',
            "    mu, logvar = jnp.split(stats, 2, axis=-1)",
            "    return 0.5 * (jnp.exp(logvar) + mu**2 - 1 - logvar).sum(-1)",
            "",
            "",
            "def objective(params, x, y, keep, mask):",
            '    """The reconstruction error plus β times the KL (the VAE\'s two terms)."""',
            "    stats = []",
            "    z = nnx.merge(graphdef, params)(x, keep, stats)",
            "    mean = (lambda v: v.mean()) if mask is None else (lambda v: (v * mask).sum() / mask.sum())",
            "    return mean(per_example_loss(z, y)) + CONFIG['beta'] * mean(kl(stats[0])) + penalty(params)",
            "",
            "",
            "def measure_kl(params, x):",
            "    stats = []",
            "    nnx.merge(graphdef, params)(x, None, stats)",
            "    return kl(stats[0])",
        ]
    lines = [
        *objective,
        "",
        "",
        "@jax.jit",
        "def train_epoch(params, opt_state, epoch):",
        "    epoch_key = jax.random.fold_in(base_key, epoch)",
        "    idx, mask = epoch_order(epoch_key)",
        "    keep_all = dropout_masks(epoch_key)" if not per_step else "    keep_all = None",
        "",
        "    def step(carry, j):",
        "        params, opt_state = carry",
        "        keep = "
        + (
            "dropout_masks(epoch_key, j)"
            if per_step
            else "None if keep_all is None else [None if k is None else k[j] for k in keep_all]"
        ),
        "        m = None if mask is None else mask[j]",
        "        grads = jax.grad(objective)(params, X_TRAIN[idx[j]], Y_TRAIN[idx[j]], keep, m)",
        *(CLIP if getattr(c, "clip", 0) else ()),
        "        updates, opt_state = optimizer.update(grads, opt_state, params)",
        "        return (optax.apply_updates(params, updates), opt_state), None",
        "",
        "    (params, opt_state), _ = jax.lax.scan(step, (params, opt_state), jnp.arange(STEPS))",
        "    x_all, y_all = jnp.concatenate([X_TRAIN, X_TEST]), jnp.concatenate([Y_TRAIN, Y_TEST])",
        "    per, correct = measure(params, x_all, y_all)",
        "    metrics = {'train_loss': per[:N_TRAIN].mean(), 'test_loss': per[N_TRAIN:].mean()}",
    ]
    if vae:
        lines.append(
            "    k = jax.lax.map(lambda xi: measure_kl(params, xi[None])[0], x_all, batch_size=512)"
            " if len(x_all) > 512 else measure_kl(params, x_all)\n"
            "    metrics['train_kl'], metrics['test_kl'] = k[:N_TRAIN].mean(), k[N_TRAIN:].mean()"
        )
    if accuracy:
        lines.append(
            "    metrics['train_accuracy'] = correct[:N_TRAIN].mean()\n"
            "    metrics['test_accuracy'] = correct[N_TRAIN:].mean()"
        )
    lines += [
        "    return params, opt_state, metrics",
        "",
        "",
        f"METRICS = {METRICS[: 4 if accuracy else 2] + (('train_kl', 'test_kl') if vae else ())!r}",
        "",
        "",
        "def run(epochs, verbose=True):",
        '    """Train `epochs` epochs from the initial weights; returns the history (one dict an epoch)."""',
        "    global params, opt_state",
        "    history, best, since = [], float('inf'), 0",
        "    for epoch in range(epochs):",
        "        new_params, new_state, m = train_epoch(params, opt_state, epoch)",
        "        m = {k: float(m[k]) for k in METRICS}",
        "        if not (np.isfinite(m['train_loss']) and np.isfinite(m['test_loss'])):",
        "            print(f'diverged at epoch {epoch + 1}: the loss is not finite; keeping epoch {epoch}')",
        "            break",
        "        params, opt_state = new_params, new_state",
        "        history.append({'epoch': epoch + 1, **m})",
        "        if verbose:",
        "            train, test = m['train_loss'], m['test_loss']",
        "            print(f'epoch {epoch + 1:5d}  train loss {train:.5f}  test loss {test:.5f}')",
    ]
    if c.early_stopping_patience:
        lines += [
            "        best, since = (m['test_loss'], 0) if m['test_loss'] < best else (best, since + 1)",
            "        if since >= CONFIG['early_stopping_patience']:",
            "            if verbose:",
            "                print(f'early stopping at epoch {epoch + 1}')",
            "            break",
        ]
    lines += ["    return history"]
    return "\n".join(lines)


MAIN = Section(
    "Run",
    "",
    """def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS, help="epochs to train")
    parser.add_argument("--json", action="store_true", help="print only the history, as JSON")
    args = parser.parse_args()
    history = run(args.epochs, verbose=not args.json)
    if args.json:
        print(json.dumps(history))


if __name__ == "__main__":
    main()""",
)


def script(sections: list[Section]) -> str:
    """The sections as one Python file: the first's title and text make the docstring, the last
    section runs `main`."""
    header, *rest = sections
    wrapped = textwrap.fill(header.text, 96)
    parts = [f'"""{header.title}.\n\n{wrapped}\n\n{USAGE}\n"""\n\n{header.code}']
    for s in [*rest, MAIN]:
        parts.append(f"# ---- {s.title.lower()} " + "-" * max(0, 90 - len(s.title)) + "\n" + s.code)
    return "\n\n\n".join(parts) + "\n"
