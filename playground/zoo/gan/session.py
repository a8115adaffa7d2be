"""One user's GAN: config + target + the game's state + history, with the interface the zoo
pages' controls use (`step`, `step_parts`, `running`, `reset`, `apply`, `params_json`), plus
Step D and Step G. New learning rates, λ or k apply to the running game; a new target or new
networks reset the weights with a note saying why. No Streamlit."""

from __future__ import annotations

import dataclasses

from playground.core import engine, params_format
from playground.live.session import EpochBudget
from playground.zoo.gan import train
from playground.zoo.gan.config import HYPER_FIELDS, GanConfig
from playground.zoo.session import StackSession, layer_table

TARGET_FIELDS = ("dataset", "n_samples", "spread", "drawn", "seed")


class GanSession(EpochBudget):
    part, parts = 0, 1  # a GAN epoch is short: one live frame each

    def __init__(self, config: GanConfig | None = None):
        engine.enable_compile_cache()
        self.notice: str | None = None
        self.last_moved: str | None = None  # "d", "g" or "both": which network the last action moved
        self._load(config or GanConfig())

    def _load(self, config: GanConfig, target=None):
        engine.relieve_code_maps()  # a new architecture compiles: keep the server under its map limit
        self.task = train.make_task(config, target)
        self.config = config
        self.reset()

    def reset(self):
        self.state = train.init_state(self.task)
        self.history = {"epoch": [], **{k: [] for k in train.METRICS}}
        self.stop_reason: str | None = None
        self.last_moved = None

    @property
    def epoch(self) -> int:
        return int(self.state.epoch)

    @property
    def running(self) -> bool:
        return int(self.state.status) == train.RUNNING and not self.budget_spent

    @property
    def params(self):
        return self.state.g_params, self.state.d_params

    def apply(self, config: GanConfig) -> str | None:
        """Switch to `config`; returns a note when the weights had to be reset. A refused config
        (ConfigError) changes nothing."""
        old = self.config
        if config == old:
            return None
        changed = {
            f.name for f in dataclasses.fields(config) if getattr(config, f.name) != getattr(old, f.name)
        }
        structural = changed - set(HYPER_FIELDS) - {"d_steps"}
        if not structural:
            self.config = config
            self.task = dataclasses.replace(self.task, config=config)
            self.state = train.set_hypers(self.state, config)
            return None
        same_target = not (structural & set(TARGET_FIELDS))
        self._load(config, self.task.target if same_target else None)
        what = "the networks changed" if same_target else "the target changed"
        self.notice = f"Weights reset: {what} ({', '.join(sorted(structural))})."
        return self.notice

    def step(self, n_epochs: int = 1, chunk: int | None = None) -> int:
        n_epochs = self.within_budget(n_epochs)
        if not self.running or n_epochs <= 0:
            return 0
        self.state, h, reason = train.advance(self.task, self.state, n_epochs, chunk)
        self._record(h, reason)
        self.last_moved = "both"
        return len(h["epoch"])

    def step_parts(self, n: int) -> tuple[int, int]:
        """The live view's n epochs, one compiled epoch at a time (one function, compiled once:
        a new chunk length would stall the stream while it compiles)."""
        done = self.step(n, chunk=1)
        return done, done

    def step_net(self, net: str):
        """Step D ("d") or Step G ("g"): one update of that network only."""
        if net not in ("d", "g"):
            raise ValueError(f"net is 'd' or 'g', got {net!r}")
        self.state = train.single_update(self.task, self.state, net)
        self.last_moved = net

    _record = StackSession._record  # the history extended (and thinned), the stop reason kept

    def tables(self) -> dict[str, list[dict]]:
        a = self.task.arch
        return {
            "generator": layer_table(a.g_specs, (a.noise_dim,)),
            "discriminator": layer_table(a.d_specs, (a.dim,)),
        }

    def params_json(self) -> dict:
        return params_json(self.task, self.state)

    def samples(self, n: int = train.N_FIXED):
        return train.samples(self.task, self.state, n)


def params_json(task: train.GanTask, state: train.GanState) -> dict:
    """{"generator": [...], "discriminator": [...]} in the self-describing params format; the
    generator's last layer carries its output activation (sigmoid for digits)."""
    a = task.arch
    g = params_format.to_json(a.g_specs, (a.noise_dim,), state.g_params)["layers"]
    d = params_format.to_json(a.d_specs, (a.dim,), state.d_params)["layers"]
    g[-1]["activation"] = "sigmoid" if a.images else "linear"
    return {"generator": g, "discriminator": d}
