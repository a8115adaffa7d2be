"""The sections of an exported GAN: the real samples, the generator and the discriminator as
Flax NNX modules written from their layer lists, the four losses, one optimizer each, and the
game's loop (k discriminator updates, then one generator update, the app's key splits), so that
the script's history equals `train --net gan --out`'s."""

from __future__ import annotations

import pprint

from playground.export import stack
from playground.export.script import _ACTS, _INITS, _OPTIMIZERS, VERSION, Section, _array
from playground.zoo.gan import train

LOSSES = {
    "nonsaturating": (
        "jax.nn.softplus(-l_real).mean() + jax.nn.softplus(l_fake).mean()",
        "jax.nn.softplus(-l_fake)",
    ),
    "minimax": (
        "jax.nn.softplus(-l_real).mean() + jax.nn.softplus(l_fake).mean()",
        "-jax.nn.softplus(l_fake)",
    ),
    "leastsquares": (
        "0.5 * jnp.square(l_real - 1).mean() + 0.5 * jnp.square(l_fake).mean()",
        "0.5 * jnp.square(l_fake - 1)",
    ),
    "wgan-gp": ("l_fake.mean() - l_real.mean()", "-l_fake"),
}


def sections(task: train.GanTask, epochs: int) -> list[Section]:
    c, a = task.config, task.arch
    acts = sorted({s.activation for s in (*a.g_specs, *a.d_specs)} | {"linear", "sigmoid"})
    act_lines = ",\n".join(f"    {name!r}: {_ACTS[name]}" for name in acts)
    init_fn, bias_value = _INITS[c.init]
    out = []
    out.append(
        Section(
            f"Neural Network Playground GAN: {c.dataset}, {c.loss} loss",
            f"Exported by the app (version {VERSION}). Reproduces the app's game exactly: the same real "
            "samples, the same initial weights and the same updates of the generator and the "
            "discriminator. Needs only jax, flax, optax and numpy.",
            "import argparse\nimport functools\nimport json\n\nimport jax\nimport jax.numpy as jnp\n"
            "import numpy as np\nimport optax\nfrom flax import nnx",
        )
    )
    config_text = pprint.pformat(c.to_dict(), width=100, sort_dicts=False)
    out.append(
        Section(
            "The experiment",
            "Every setting of the game, as the app holds it (its `GanConfig`).",
            f"CONFIG = {config_text}\nEPOCHS = {int(epochs)!r}",
        )
    )
    what = "digits, 64 pixels in [0, 1] each" if a.images else "points (x, y)"
    out.append(
        Section(
            "The real samples",
            f"The {a.n_real} real samples the discriminator sees: {what}.",
            _array("REAL", task.target.x) + "\nREAL = jnp.asarray(REAL)",
        )
    )
    rows_g = stack.layer_rows(a.g_specs, (a.noise_dim,), "sigmoid" if a.images else "linear")
    rows_d = stack.layer_rows(a.d_specs, (a.dim,), "linear")
    out.append(
        Section(
            "The two networks",
            "Flax NNX modules written from the app's layer lists: the generator turns noise into a "
            "sample (sigmoid pixels for digits), the discriminator gives one number a sample (a logit, "
            "or the critic's score for wgan-gp). Each draws its parameters from its own seed.",
            f"ACTIVATIONS = {{\n{act_lines},\n}}\n"
            f"# Each layer: its kind, its numbers, the activation after it (None: none).\n"
            f"NETWORKS = {{\n    'generator': [\n{_indent(rows_g)}\n    ],\n"
            f"    'discriminator': [\n{_indent(rows_d)}\n    ],\n}}\n"
            f"KERNEL_INIT = {init_fn}\nBIAS_INIT = {bias_value!r}\n\n\n"
            + stack.modules_code({s.kind for s in (*a.g_specs, *a.d_specs)})
            + "\n\ngenerator = Network(CONFIG['seed'], 'generator')\n"
            "discriminator = Network(CONFIG['seed'] + 1, 'discriminator')\n"
            "g_graph, g_params = nnx.split(generator, nnx.Param)\n"
            "d_graph, d_params = nnx.split(discriminator, nnx.Param)",
        )
    )
    d_loss, g_loss = LOSSES[c.loss]
    shown = "jax.nn.sigmoid(l)" if c.loss in ("nonsaturating", "minimax") else "l"
    noise = (
        "jax.random.uniform(key, (n, NOISE_DIM), minval=-1.0, maxval=1.0)"
        if c.noise == "uniform"
        else "jax.random.normal(key, (n, NOISE_DIM))"
    )
    out.append(
        Section(
            "The game",
            f"Noise ({c.noise}, {c.noise_dim} numbers), the generator's samples, the discriminator's "
            f"output, and the `{c.loss}` losses"
            + (" with the gradient penalty λ(‖∇D(x̂)‖ − 1)²." if c.loss == "wgan-gp" else "."),
            f"""NOISE_DIM, BATCH, N_REAL, IMAGES = {a.noise_dim!r}, {a.batch!r}, {a.n_real!r}, {a.images!r}
D_SITES = {_sites(a.d_specs, (a.dim,))!r}  # dropout: (layer, mask shape, rate)
G_SITES = {_sites(a.g_specs, (a.noise_dim,))!r}


def noise(key, n):
    return {noise}


def keep_masks(sites, key, n):
    if not sites:
        return None
    keep = [None] * 32
    for i, shape, rate in sites:
        u = jax.random.uniform(jax.random.fold_in(key, i), (n, *shape))
        keep[i] = (u >= rate).astype(jnp.float32) / (1 - rate)
    return keep


def generate(g_params, z, keep=None):
    out = nnx.merge(g_graph, g_params)(z, keep)
    return jax.nn.sigmoid(out) if IMAGES else out


def critic(d_params, x, keep=None):
    return nnx.merge(d_graph, d_params)(x, keep)[:, 0]


def d_loss(l_real, l_fake):
    return {d_loss}


def g_loss_each(l_fake):
    return {g_loss}


def shown(l):  # what D says of a sample, as the history records it
    return {shown}


def gradient_penalty(d_params, real, fake, eps):
    x_hat = eps * real + (1 - eps) * fake
    grads = jax.vmap(jax.grad(lambda x: critic(d_params, x[None])[0]))(x_hat)
    norm = jnp.sqrt(jnp.sum(jnp.square(grads), axis=1) + 1e-12)
    return jnp.square(norm - 1).mean()""",
        )
    )
    opts = []
    for net in ("g", "d"):
        fn, hypers = _OPTIMIZERS[getattr(c, f"{net}_optimizer")]
        fields = {"learning_rate": f"{net}_learning_rate"}
        args = ", ".join(f"{kw}=np.float32(CONFIG[{fields.get(field, field)!r}])" for kw, field in hypers)
        opts.append(f"{net}_optimizer = optax.inject_hyperparams({fn})({args})")
    out.append(
        Section(
            "The optimizers",
            "One optax optimizer a network, its numbers injected as float32 like the app's.",
            "\n".join(opts) + "\ng_opt, d_opt = g_optimizer.init(g_params), d_optimizer.init(d_params)",
        )
    )
    gp = " + CONFIG['gp_weight'] * gradient_penalty(dp, real, fake, eps)" if c.loss == "wgan-gp" else ""
    out.append(
        Section(
            "Training",
            "An iteration: k discriminator updates (each on a batch of real samples and a batch of "
            "generated ones), then one generator update against the discriminator as it is. An epoch "
            "is `steps_per_epoch` iterations in one compiled call; a loss that is not finite stops the "
            "game and keeps the last weights.",
            f'''def d_update(state, key):
    g_params, d_params, g_opt, d_opt = state
    kr, kz, ke, kg, kd = jax.random.split(key, 5)
    real = REAL[jax.random.randint(kr, (BATCH,), 0, N_REAL)]
    fake = jax.lax.stop_gradient(generate(g_params, noise(kz, BATCH), keep_masks(G_SITES, kg, BATCH)))
    x, keep = jnp.concatenate([real, fake]), keep_masks(D_SITES, kd, 2 * BATCH)
    eps = jax.random.uniform(ke, (BATCH, 1))

    def loss(dp):
        out = critic(dp, x, keep)
        l_real, l_fake = out[:BATCH], out[BATCH:]
        return d_loss(l_real, l_fake){gp}, (shown(l_real).mean(), shown(l_fake).mean())

    (value, (d_real, d_fake)), grads = jax.value_and_grad(loss, has_aux=True)(d_params)
    updates, d_opt = d_optimizer.update(grads, d_opt, d_params)
    state = (g_params, optax.apply_updates(d_params, updates), g_opt, d_opt)
    return state, jnp.stack([value, d_real, d_fake])


def g_update(state, key):
    g_params, d_params, g_opt, d_opt = state
    kz, kg, kd = jax.random.split(key, 3)
    z, keep_g, keep_d = noise(kz, BATCH), keep_masks(G_SITES, kg, BATCH), keep_masks(D_SITES, kd, BATCH)

    def loss(gp):
        return g_loss_each(critic(d_params, generate(gp, z, keep_g), keep_d)).mean()

    value, grads = jax.value_and_grad(loss)(g_params)
    updates, g_opt = g_optimizer.update(grads, g_opt, g_params)
    return (optax.apply_updates(g_params, updates), d_params, g_opt, d_opt), value


def iteration(carry, _):
    state, key = carry
    key, sub = jax.random.split(key)
    acc = jnp.zeros(3)
    for j in range(CONFIG["d_steps"]):
        state, m = d_update(state, jax.random.fold_in(sub, j))
        acc = acc + m
    acc = acc / CONFIG["d_steps"]
    state, g = g_update(state, jax.random.fold_in(sub, 1 << 20))
    return (state, key), jnp.stack([acc[0], g, acc[1], acc[2]])


@jax.jit
def train_epoch(state, key):
    (state, key), m = jax.lax.scan(iteration, (state, key), None, length=CONFIG["steps_per_epoch"])
    return state, key, m.mean(0)


def run(epochs, verbose=True):
    """Play `epochs` epochs; returns the history (one dict an epoch)."""
    global state, key
    history = []
    for epoch in range(epochs):
        new_state, new_key, m = train_epoch(state, key)
        m = dict(zip(("d_loss", "g_loss", "d_real", "d_fake"), map(float, m)))
        if not all(np.isfinite(v) for v in m.values()):
            print(f"diverged at epoch {{epoch + 1}}: a loss is not finite; keeping epoch {{epoch}}")
            break
        state, key = new_state, new_key
        history.append({{"epoch": epoch + 1, **m}})
        if verbose:
            print(f"epoch {{epoch + 1:5d}}  D loss {{m['d_loss']:.5f}}  G loss {{m['g_loss']:.5f}}")
    return history


state = (g_params, d_params, g_opt, d_opt)
key = jax.random.key(CONFIG["seed"] + 2)''',
        )
    )
    return out


def _sites(specs, in_shape):
    from playground.core import layers

    return [(i, tuple(shape), rate) for i, shape, rate in layers.dropout_sites(specs, in_shape)]


def _indent(rows: str) -> str:
    return "\n".join("    " + r for r in rows.splitlines())
