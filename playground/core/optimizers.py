"""Optimizers: optax's own, wrapped so every hyper-parameter lives in the state.

`optax.inject_hyperparams` puts learning rate, momentum, betas and friends into
the optimizer state as arrays, so changing them between training chunks is a
state edit, never a recompile.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import jax.numpy as jnp
import numpy as np
import optax


@dataclasses.dataclass(frozen=True)
class Optimizer:
    """An optax optimizer and the config fields it reads.

    Attributes:
      factory: optax alias (possibly partially applied with static options).
      hypers: pairs (config field, optax keyword) of its injectable numbers.
      description: one line for the UI.
    """

    factory: Callable[..., optax.GradientTransformation]
    hypers: tuple[tuple[str, str], ...]
    description: str

    @property
    def fields(self) -> tuple[str, ...]:
        """Config fields this optimizer uses, learning_rate first."""
        return tuple(f for f, _ in self.hypers)


OPTIMIZERS: dict[str, Optimizer] = {
    "sgd": Optimizer(optax.sgd, (("learning_rate", "learning_rate"),), "plain gradient descent"),
    "momentum": Optimizer(
        optax.sgd,
        (("learning_rate", "learning_rate"), ("momentum", "momentum")),
        "heavy-ball momentum",
    ),
    "nesterov": Optimizer(
        functools.partial(optax.sgd, nesterov=True),
        (("learning_rate", "learning_rate"), ("momentum", "momentum")),
        "Nesterov accelerated gradient",
    ),
    "adagrad": Optimizer(
        optax.adagrad,
        (("learning_rate", "learning_rate"), ("eps", "eps")),
        "per-weight rates from summed squared gradients",
    ),
    "rmsprop": Optimizer(
        optax.rmsprop,
        (("learning_rate", "learning_rate"), ("rho", "decay"), ("eps", "eps")),
        "per-weight rates from a moving average of squared gradients",
    ),
    "adam": Optimizer(
        optax.adam,
        (("learning_rate", "learning_rate"), ("beta1", "b1"), ("beta2", "b2"), ("eps", "eps")),
        "momentum plus RMSProp scaling, bias-corrected",
    ),
    "adamw": Optimizer(
        optax.adamw,
        (
            ("learning_rate", "learning_rate"),
            ("beta1", "b1"),
            ("beta2", "b2"),
            ("eps", "eps"),
            ("weight_decay", "weight_decay"),
        ),
        "Adam with decoupled weight decay",
    ),
}


def hyper_values(config) -> dict[str, jnp.ndarray]:
    """The optimizer's injectable values from a config, as float32 arrays by optax keyword."""
    spec = OPTIMIZERS[config.optimizer]
    return {kw: jnp.float32(getattr(config, field)) for field, kw in spec.hypers}


def make_optimizer(config) -> optax.GradientTransformation:
    """Build the optimizer for a config, with every number injectable."""
    spec = OPTIMIZERS[config.optimizer]
    return optax.inject_hyperparams(spec.factory)(**hyper_values(config))


def set_hypers(opt_state, config):
    """Return `opt_state` with its hyper-parameters taken from `config` (no recompile).

    Values are float32 arrays shaped like the ones they replace, so a vmapped
    state (one value per network) stays vmapped.
    """
    new = {}
    spec = OPTIMIZERS[config.optimizer]
    if not {kw for _, kw in spec.hypers} <= set(opt_state.hyperparams):
        raise ValueError(
            f"this state was not made by {config.optimizer!r}: changing the optimizer needs a reset"
        )
    for field, kw in spec.hypers:
        old = opt_state.hyperparams[kw]
        value = np.broadcast_to(np.asarray(getattr(config, field), np.float32), np.shape(old))
        new[kw] = jnp.asarray(value)  # built on the host: no eager op to compile
    return opt_state._replace(hyperparams={**opt_state.hyperparams, **new})
