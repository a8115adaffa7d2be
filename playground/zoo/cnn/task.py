"""A CNN config bound to its images: the engine's Task, and the CNN's session.

The Session is the zoo's (`zoo/session.py`) on images. No Streamlit.
"""

from __future__ import annotations

import jax.numpy as jnp

from playground.core import engine, losses, params_format
from playground.data.images import ImageData, make_images
from playground.zoo.cnn.config import CnnConfig
from playground.zoo.session import StackSession


def load_data(config: CnnConfig) -> ImageData:
    return make_images(config.dataset, config.samples, config.noise, config.train_ratio, config.seed)


def make_task(config: CnnConfig, data: ImageData | None = None) -> engine.Task:
    """Bind a config to its images (made from the config when not given)."""
    data = data if data is not None else load_data(config)

    def targets(y):
        return jnp.asarray(losses.encode_targets(y, "multiclass", "ce", "softmax", data.n_classes))

    return engine.stack_task(config, data, config.stack(), data.shape, "ce", "softmax", "multiclass", targets)


def params_json(task: engine.Task, params) -> dict:
    """The self-describing params format: {"layers": [...]} input to output, each with its type."""
    return params_format.to_json(task.arch.specs, task.arch.in_shape, params)


def params_from_json(task: engine.Task, obj) -> object:
    """Parameters for this task's network from the params format.

    Raises:
      ValueError: naming the layer and what does not match this network.
    """
    return params_format.from_json(task.arch.specs, engine.build(task.arch, "glorot", 0)[1], obj)


class Session(StackSession):
    """One user's CNN experiment: config + images + training state + history."""

    data_fields = ("dataset", "n_samples", "noise", "train_ratio", "seed")
    config_class = CnnConfig

    def make_task(self, config, data=None) -> engine.Task:
        return make_task(config, data)
