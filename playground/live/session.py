"""One user's live playground, with no Streamlit in it: the page keeps a Session
in `st.session_state` and calls these methods; tests call them directly.

A Session owns the config, the data, the training state and the history, and
decides what a config change means: new data or a new architecture resets the
weights (with a note saying why); a new learning rate, regularization rate or
optimizer number is applied to the running state at once, weights kept.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from playground.core import engine, models
from playground.core.config import Config
from playground.data.points import MAX_CSV_ROWS, Data, DataError, data_from_csv
from playground.live import grid

DATA_FIELDS = ("dataset", "n_classes", "n_samples", "noise", "train_ratio", "seed")
HYPER_FIELDS = (
    "learning_rate",
    "momentum",
    "beta1",
    "beta2",
    "rho",
    "eps",
    "weight_decay",
    "l1",
    "l2",
    "early_stopping_patience",
)
MAX_HISTORY = 20_000  # points kept per metric; older ones are thinned 2:1 beyond it


def thinned(history: dict) -> dict:
    """The history itself, or beyond MAX_HISTORY points every other one (the last kept)."""
    n = len(history["epoch"])
    if n <= MAX_HISTORY:
        return history
    keep = [*range(0, n - 1, 2), n - 1]
    return {k: [v[i] for i in keep] for k, v in history.items()}


class EpochBudget:
    """An optional cap on a session's epochs (a lesson challenge's "epochs <= N"): training stops
    there, and `stop_reason` says why until Reset. A session subclasses it, asks `within_budget`
    how many of the epochs it is asked for it may train, and counts `budget_spent` as not running."""

    budget: int | None = None
    _stop_reason: str | None = None

    def within_budget(self, n_epochs: int) -> int:
        return n_epochs if self.budget is None else max(0, min(n_epochs, self.budget - self.epoch))

    @property
    def budget_spent(self) -> bool:
        return self.budget is not None and self.epoch >= self.budget

    @property
    def stop_reason(self) -> str | None:
        if self._stop_reason is None and self.budget_spent:
            return (
                f"This challenge allows {self.budget:,} epochs, and they are spent: submit the result, "
                "or press Reset to try again."
            )
        return self._stop_reason

    @stop_reason.setter
    def stop_reason(self, reason: str | None):
        self._stop_reason = reason


class Session(EpochBudget):
    """A user's experiment: config + data + state + history."""

    def __init__(self, config: Config | None = None, csv: Data | None = None):
        engine.enable_compile_cache()  # a restarted server starts warm
        self.config = config or Config()
        self.csv = csv  # parsed user data, kept across config changes
        self.notice: str | None = None
        self.playing = False
        self._load(self.config)

    # ---- building -------------------------------------------------------------
    def _load(self, config: Config):
        engine.relieve_code_maps()  # a new architecture compiles: keep the server under its map limit
        data = self.csv if config.dataset == "csv" else None
        self.task = engine.make_task(config, data if data is not None else engine.load_data(config))
        self.config = config
        self.reset()

    def reset(self):
        """Fresh weights from the config's seed; history cleared."""
        self.state = engine.init_state(self.task)
        self.history = {"epoch": [], **{k: [] for k in engine.metric_names(self.task)}}
        self.stop_reason: str | None = None
        self._grads = None

    def apply(self, config: Config) -> str | None:
        """Switch to `config`; returns a note when the weights had to be reset.

        Raises:
          ConfigError / DataError: the change does not fit the data; nothing changed.
        """
        old = self.config
        if config == old:
            return None
        fields = [f.name for f in dataclasses.fields(Config)]
        changed = {f for f in fields if getattr(config, f) != getattr(old, f)}
        if (config.dropout > 0) == (old.dropout > 0):
            changed.discard("dropout")  # only the rate moved: a hyper-parameter
        structural = changed - set(HYPER_FIELDS) - {"dropout"}
        if not structural:
            self.config = config
            self.task = dataclasses.replace(self.task, config=config)
            self.state = engine.set_hypers(self.state, config)
            self.stop_reason = engine.stop_message(self.state, None)
            self.notice = None
            return None
        previous = (self.task, self.config)
        try:
            self._load(config)
        except Exception:
            self.task, self.config = previous
            raise
        what = "the data changed" if structural & set(DATA_FIELDS) else "the network changed"
        self.notice = f"Weights reset: {what} ({', '.join(sorted(structural))})."
        return self.notice

    def set_csv(self, raw: bytes) -> Data:
        """Parse an uploaded CSV and switch to it; on error nothing changes.

        Raises:
          DataError: naming the line and column at fault.
        """
        data = data_from_csv(raw, self.config.train_ratio, self.config.seed)
        old = self.csv
        self.csv = data
        try:
            self._load(self.config.replace(dataset="csv"))
        except Exception:
            self.csv = old
            raise
        self.notice = f"Loaded {len(data.x_train) + len(data.x_test)} points from the CSV; weights reset."
        return data

    def add_point(self, x1: float, x2: float, label: int) -> str:
        """Add one training point (a click on the output plane); the weights are kept.

        The data becomes the user's own ("csv"), so it survives config changes and is in
        the data download. Returns a note; raises DataError when it cannot be done.
        """
        data = self.task.data
        if data.task != "classification":
            raise DataError("points can be added to classification data only")
        if not (0 <= label < data.n_classes and np.isfinite(x1) and np.isfinite(x2)):
            raise DataError(f"cannot add ({x1}, {x2}) with class {label} (classes 0..{data.n_classes - 1})")
        if len(data.x_train) + len(data.x_test) >= MAX_CSV_ROWS:
            raise DataError(f"at most {MAX_CSV_ROWS:,} points")
        point = np.array([[x1, x2]], np.float32)
        new = dataclasses.replace(
            data,
            x_train=np.concatenate([data.x_train, point]),
            y_train=np.concatenate([data.y_train, np.float32([label])]),
        )
        config = self.config.replace(dataset="csv")
        self.task = engine.make_task(config, new)
        self.config, self.csv = config, new
        self.state = engine.set_hypers(self.state, config)
        self._grads = None
        self.notice = f"Added a class {label} point at ({x1:.2f}, {x2:.2f}); weights kept."
        return self.notice

    # ---- training ---------------------------------------------------------------
    @property
    def epoch(self) -> int:
        return int(self.state.epoch)

    @property
    def running(self) -> bool:
        return int(self.state.status) == engine.RUNNING and not self.budget_spent

    def step(self, n_epochs: int = 1, chunk: int | None = None) -> int:
        """Train n_epochs (or until the run stops); returns epochs done."""
        n_epochs = self.within_budget(n_epochs)
        if not self.running or n_epochs <= 0:
            return 0
        self.state, h, reason = engine.advance(self.task, self.state, n_epochs, chunk=chunk)
        done = len(h["epoch"])
        for k, v in h.items():
            self.history[k].extend(v)
        self._thin()
        self._grads = None
        if reason:
            self.stop_reason = reason
            self.playing = False
        return done

    def _thin(self):
        self.history = thinned(self.history)

    # ---- views ------------------------------------------------------------------
    def layers(self) -> list[dict]:
        return models.params_to_layers(self.state.params)

    def gradients(self) -> list[dict]:
        """Full-batch gradient of the objective at the current weights (cached until the next step)."""
        if self._grads is None:
            self._grads = models.params_to_layers(engine.full_gradient(self.task, self.state))
        return self._grads

    def grid(self, n: int = 40) -> dict:
        return grid.evaluate_grid(self.task, self.state.params, n)

    def metrics(self) -> dict:
        """Latest metrics (empty before the first epoch) and the parameter count."""
        last = {k: v[-1] for k, v in self.history.items() if v}
        last["parameters"] = sum(layer["kernel"].size + layer["bias"].size for layer in self.layers())
        return last

    def history_csv(self) -> str:
        keys = list(self.history)
        rows = zip(*(self.history[k] for k in keys))
        return "\n".join([",".join(keys), *(",".join(f"{v:.8g}" for v in r) for r in rows)]) + "\n"

    def data_csv(self) -> str:
        d = self.task.data
        lines = ["x1,x2,label"]  # the upload format, so a download re-uploads as is
        for xs, ys in ((d.x_train, d.y_train), (d.x_test, d.y_test)):
            lines += [f"{x[0]:.7g},{x[1]:.7g},{y:.7g}" for x, y in zip(xs, ys)]
        return "\n".join(lines) + "\n"

    def params_json(self) -> dict:
        acts = [*self.task.config.layer_activations(), self.task.arch.output_activation]
        return {"layers": models.layers_json(self.state.params, acts)}
