"""A sequence config bound to its task's data: the layer stack and the engine's Task.

Recurrent: [embedding] → rnn layers → dense per step (per-step targets) or on the last h.
Transformer: embedding (tokens) or dense (numbers) to the width → positional → blocks →
layernorm → [last step] → dense. Classification ends in softmax and cross-entropy, regression in
a linear output and squared error.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from playground.core import engine, layers
from playground.data.points import DataError
from playground.data.sequences import SEQUENCE_TASKS, SequenceData, _check_text, make_sequences
from playground.zoo.sequence.config import SeqConfig
from playground.zoo.session import StackSession


def load_data(config: SeqConfig, text: str | None = None) -> SequenceData:
    return make_sequences(
        config.task,
        config.n_samples,
        config.length,
        config.train_ratio,
        config.seed,
        noise=config.noise,
        vocab=config.vocab,
        text=text,
    )


def stack(config: SeqConfig, data: SequenceData) -> tuple[layers.Layer, ...]:
    """The network's layers, input to output (the output layer included)."""
    t = SEQUENCE_TASKS[config.task]
    out = []
    if config.net == "transformer":
        d = config.width
        out.append(
            layers.make("embedding", vocab=len(data.vocab), units=d)
            if t.tokens
            else layers.make("dense", units=d, activation="linear")
        )
        out.append(layers.make("positional", encoding=config.positions))
        out += [layers.make("block", heads=config.heads, causal=config.causal, units=2 * d)] * config.blocks
        out.append(layers.make("layernorm"))
        if not t.per_step:
            out.append(layers.make("last"))
    else:
        if t.tokens:
            out.append(layers.make("embedding", vocab=len(data.vocab), units=min(16, config.hidden)))
        for i in range(config.rnn_layers):
            every = t.per_step or i < config.rnn_layers - 1
            out.append(
                layers.make(
                    "rnn",
                    cell=config.net,
                    units=config.hidden,
                    activation=config.activation,
                    return_sequences="true" if every else "false",
                )
            )
    n_out = data.n_classes if t.kind == "classification" else 1
    out.append(
        layers.Layer("dense", units=n_out, activation="softmax" if t.kind == "classification" else "linear")
    )
    return tuple(out)


def make_task(config: SeqConfig, data: SequenceData | None = None, text: str | None = None) -> engine.Task:
    """Bind a config to its sequences (made from the config when not given)."""
    data = data if data is not None else load_data(config, text)
    t = SEQUENCE_TASKS[config.task]
    specs = stack(config, data)
    in_shape = tuple(data.x_train.shape[1:])
    layers.check_stack(specs, in_shape)
    classification = t.kind == "classification"

    def targets(y):
        y = np.asarray(y)
        if classification:
            return jnp.asarray(np.eye(data.n_classes, dtype=np.float32)[y])
        return jnp.asarray(y[..., None].astype(np.float32))

    if classification:
        return engine.stack_task(config, data, specs, in_shape, "ce", "softmax", "multiclass", targets)
    return engine.stack_task(config, data, specs, in_shape, "mse", "linear", "regression", targets)


class Session(StackSession):
    """One user's sequence experiment (recurrent or transformer): config + sequences (+ the
    user's text for the text task) + training state + history."""

    data_fields = ("task", "n_samples", "length", "noise", "vocab", "train_ratio", "seed")
    config_class = SeqConfig

    def __init__(self, config: SeqConfig | None = None, text: str | None = None):
        self.text = None if text is None else _check_text(text)[0]
        super().__init__(config)

    def make_task(self, config, data=None) -> engine.Task:
        return make_task(config, data, self.text if config.task == "text" else None)

    def set_text(self, text: str | None) -> str | None:
        """The text task's text (None: the built-in one). Checked first: on a DataError nothing
        changes. With the text task on, the data is remade and the weights reset (a note says so)."""
        if text is not None:
            _check_text(text)
            if len(text) <= self.config.length:
                raise DataError(
                    f"text is {len(text)} characters; a window of {self.config.length} needs "
                    f"at least {self.config.length + 1}"
                )
        if text == self.text:
            return None
        old = self.text
        self.text = text
        if self.config.task != "text":
            return None
        try:
            self._load(self.config)
        except Exception:
            self.text = old
            raise
        self.notice = "Weights reset: the text changed."
        return self.notice
