"""One user's experiment on a layer stack, for every zoo page: config, data, training state and
history. Mirrors the Playground's session (`live/session.py`): a new learning rate or optimizer
number is applied to the running state, weights kept; new data or a new stack resets the weights
with a note saying why. An epoch can run in parts (a big data set's epoch shows as several live
frames). A zoo member subclasses it with its `make_task` and `data_fields`. No Streamlit.
"""

from __future__ import annotations

import dataclasses
import math

from playground.core import engine, layers, params_format
from playground.live.session import HYPER_FIELDS, EpochBudget, thinned

PART_FLOATS = 400_000  # input floats per live-view part of an epoch (MNIST: 8 parts, digits: 1)


class StackSession(EpochBudget):
    """One user's experiment: config + data + training state + history."""

    data_fields: tuple[str, ...] = ()  # config fields that make new data (the others keep it)
    config_class: type = None  # the zoo member's config (its defaults start a session)
    hyper_fields: tuple[str, ...] = HYPER_FIELDS  # config fields applied to the running state

    def __init__(self, config=None):
        engine.enable_compile_cache()
        self.notice: str | None = None
        self._load(config or self.config_class())

    def make_task(self, config, data=None) -> engine.Task:
        """The config bound to its data (made from the config when None)."""
        raise NotImplementedError

    def _load(self, config, data=None):
        engine.relieve_code_maps()  # a new architecture compiles: keep the server under its map limit
        self.task = self.make_task(config, data)
        self.config = config
        self.reset()

    def reset(self):
        """Fresh weights from the config's seed; history cleared."""
        self.state = engine.init_state(self.task)
        self.history = {"epoch": [], **{k: [] for k in engine.metric_names(self.task)}}
        self.stop_reason: str | None = None
        self.part = 0  # parts of the current epoch done (live view); 0: at an epoch's start
        self.running_params = None  # (params, opt_state) mid-epoch

    @property
    def parts(self) -> int:
        """Parts an epoch is split into for the live view: about PART_FLOATS of input each, so
        a big data set's epoch shows as several frames (the weights move within it)."""
        arch = self.task.arch
        return max(1, min(arch.steps, round(arch.n_train * math.prod(arch.x_shape) / PART_FLOATS)))

    @property
    def params(self):
        """The weights now: mid-epoch, those after the parts done so far."""
        return self.running_params[0] if self.part else self.state.params

    def apply(self, config) -> str | None:
        """Switch to `config`; returns a note when the weights had to be reset. On an error
        (ConfigError, DataError) nothing changes: the last good network keeps training."""
        old = self.config
        if config == old:
            return None
        changed = {
            f.name for f in dataclasses.fields(config) if getattr(config, f.name) != getattr(old, f.name)
        }
        structural = changed - set(self.hyper_fields)
        if not structural:
            self.config = config
            self.task = dataclasses.replace(self.task, config=config)
            self.state = engine.set_hypers(self.state, config)
            if self.part:  # mid-epoch: the running optimizer state takes the new numbers too
                params, opt_state = self.running_params
                self.running_params = (
                    params,
                    engine.set_hypers(self.state._replace(opt_state=opt_state), config).opt_state,
                )
            self.stop_reason = engine.stop_message(self.state, None)
            self.notice = None
            return None
        same_data = not (structural & set(self.data_fields))
        self._load(config, self.task.data if same_data else None)
        what = "the network changed" if same_data else "the data changed"
        self.notice = f"Weights reset: {what} ({', '.join(sorted(structural))})."
        return self.notice

    @property
    def epoch(self) -> int:
        return int(self.state.epoch)

    @property
    def running(self) -> bool:
        return int(self.state.status) == engine.RUNNING and not self.budget_spent

    def step(self, n_epochs: int = 1, chunk: int | None = None) -> int:
        """Train n_epochs (or until the run stops); returns epochs done. An epoch in progress
        (parts done by the live view) is finished first and counts as one."""
        if not self.running:
            return 0
        done = 0
        while self.part and self.running:
            done += self.step_parts(1)[1]
        if done:
            n_epochs -= 1
        n_epochs = self.within_budget(n_epochs)
        if n_epochs <= 0 or not self.running:
            return done
        self.state, h, reason = engine.advance(self.task, self.state, n_epochs, chunk=chunk)
        self._record(h, reason)
        return done + len(h["epoch"])

    def step_parts(self, n: int) -> tuple[int, int]:
        """Train n parts of epochs (see `parts`); returns (parts done, epochs completed)."""
        done = epochs = 0
        parts = self.parts
        while done < n and self.running:
            running = self.running_params if self.part else (self.state.params, self.state.opt_state)
            start = int(self.state.epoch)
            self.state, running, m = engine.advance_part(self.task, self.state, running, self.part, parts)
            done += 1
            if m is None:
                self.part, self.running_params = self.part + 1, running
                continue
            self.part, self.running_params = 0, None
            names = engine.metric_names(self.task)
            accepted = bool(m["accepted"])
            h = {
                "epoch": [start + 1] if accepted else [],
                **{k: [float(m[k])] if accepted else [] for k in names},
            }
            epochs += len(h["epoch"])
            self._record(h, engine.stop_message(self.state, None))
        return done, epochs

    def _record(self, h: dict, reason: str | None):
        for k, v in h.items():
            self.history[k].extend(v)
        self.history = thinned(self.history)
        if reason:
            self.stop_reason = reason

    def table(self) -> list[dict]:
        """The builder's table: one row per layer (input first) with output shape and parameters."""
        return layer_table(self.task.arch.specs, self.task.arch.in_shape)

    def params_json(self) -> dict:
        """The weights now in the self-describing params format."""
        return params_format.to_json(self.task.arch.specs, self.task.arch.in_shape, self.params)


def layer_table(stack, in_shape) -> list[dict]:
    """Rows {layer, kind, output, parameters}; the last layer is called "output"."""
    shapes = layers.check_stack(stack, in_shape)
    rows = [{"layer": "input", "kind": "input", "output": "×".join(map(str, in_shape)), "parameters": 0}]
    prev = tuple(in_shape)
    for i, (layer, shape) in enumerate(zip(stack, shapes)):
        last = i == len(stack) - 1
        rows.append(
            {
                "layer": "output" if last else f"{i + 1}. {layer.label}",
                "kind": "output" if last else layer.kind,
                "output": "×".join(map(str, shape)),
                "parameters": layers.n_params(layer, prev),
            }
        )
        prev = shape
    return rows
