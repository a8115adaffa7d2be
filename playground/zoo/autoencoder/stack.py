"""An autoencoder config's layer stack over an input shape: the user's encoder and decoder with the
layers the stack adds (noise, flatten, the code, the output), each layer's origin, and the check
that names a layer the data cannot take by its half and its line there. Needs only the input's
shape, so the config checks itself with it before any data is made."""

from __future__ import annotations

import math

from playground.core import layers
from playground.core.config import ConfigError


def plan(config, shape: tuple[int, ...]) -> list[tuple[layers.Layer, str, int]]:
    """The stack, each layer with where it comes from: ("encoder" | "decoder", its line there,
    1-based) or ("added", 0) for a layer the stack adds.

    [noise] → encoder → code → decoder → output. The noise layer (denoising) adds N(0,
    corruption²) to the inputs while training. A flatten is added where an image meets a layer
    that needs a vector, and before the code. The code: dense `latent`, linear; a VAE's: dense
    2·latent, linear ([μ, log σ²]), then `sample`. The output gives one value per input value
    (sigmoid for images, linear for points): a dense layer after a vector, or, after an image
    (a convolutional decoder), a 3×3 conv with the data's channels, then a flatten."""
    out = [(layers.make("noise", std=config.corruption), "added", 0)] if config.variant == "denoising" else []
    image = len(shape) == 3

    def add(texts, where):
        nonlocal image
        for line, text in enumerate(texts, 1):
            layer = layers.parse(text)
            if image and layers.LAYER_KINDS[layer.kind].needs == "vector" and layer.kind != "reshape":
                out.append((layers.make("flatten"), "added", 0))
                image = False
            out.append((layer, where, line))
            image = {"flatten": False, "reshape": True}.get(layer.kind, image)

    add(config.encoder, "encoder")
    if image:
        out.append((layers.make("flatten"), "added", 0))
    vae = config.variant == "vae"
    code = layers.make("dense", units=config.latent * (2 if vae else 1), activation="linear")
    out.append((code, "added", 0))
    out += [(layers.make("sample"), "added", 0)] if vae else []
    image = False
    add(config.decoder, "decoder")
    if image:
        conv = layers.make("conv", filters=shape[-1], kernel=3, activation="linear")
        out += [(conv, "added", 0), (layers.make("flatten"), "added", 0)]
    else:
        out.append((layers.Layer("dense", units=math.prod(shape), activation="linear"), "added", 0))
    return out


def stack(config, shape) -> tuple[layers.Layer, ...]:
    """The layers of `plan`."""
    return tuple(layer for layer, _, _ in plan(config, shape))


def code_index(config, shape) -> int:
    """The code layer's index in the stack (a VAE's: the sampling layer, whose output is μ at
    evaluation): the last layer the stack adds before the decoder's first."""
    rows = plan(config, shape)
    first_decoder = next((i for i, (_, where, _) in enumerate(rows) if where == "decoder"), None)
    if first_decoder is None:  # no decoder layers: the code is just before the output layer(s)
        first_decoder = len(rows) - (2 if rows[-1][0].kind == "flatten" else 1)
    return first_decoder - 1


def check(config, shape) -> tuple[layers.Layer, ...]:
    """The stack, checked over the input shape.

    Raises:
      ConfigError: on "encoder" or "decoder", naming the layer by its line in that half (the
        layers the stack adds by what they are), or a decoder whose image is not the data's size.
    """
    rows = plan(config, shape)
    specs = tuple(layer for layer, _, _ in rows)
    try:
        shapes = layers.check_stack(specs, shape)
    except layers.LayerError as e:
        # The whole stack's count and size are the encoder's to cut.
        msg, half = str(e), "encoder"
        if e.index is not None:
            layer, where, line = rows[e.index]
            after_code = e.index > code_index(config, shape)
            half = where if where != "added" else ("decoder" if after_code else "encoder")
            name = f"layer {line}:" if where != "added" else f"the added {layer.kind} layer:"
            if where == "added" and after_code and e.index >= len(rows) - 2:
                name = "the output layer:"
            msg = msg.replace(f"layer {e.index + 1}:", name, 1)
        raise ConfigError(half, msg) from None
    if shapes[-1] != (math.prod(shape),):  # a convolutional decoder's image is not the data's size
        raise ConfigError(
            "decoder",
            f"the decoder ends with a {'×'.join(map(str, shapes[-3]))} image, the data are "
            f"{'×'.join(map(str, shape))}: change its reshape, strides or upsampling",
        )
    return specs
