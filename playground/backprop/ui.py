"""What the Backprop page needs besides the tracer and its figures: the preset's
editable tables (build, read back with clear errors), the choices of network, and
the Playground's network as a traceable example. No Streamlit here.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd

from playground.backprop import trace as backprop
from playground.core.activations import ACTIVATIONS
from playground.core.config import Config, Record, check_fields
from playground.core.losses import LOSSES
from playground.core.optimizers import OPTIMIZERS

SHAPES = ("2", "3", "2,2", "3,2")  # hidden layers of the preset; "2" is the worked example
# (loss, output activation) pairs offered for the preset's two outputs.
LOSS_OUTPUTS = tuple(f"{loss} · {out}" for loss, spec in LOSSES.items() for out in spec.outputs)
SOURCES = ("Tiny preset (editable)", "The Playground's current network")


@dataclasses.dataclass(frozen=True)
class BackpropConfig(Record):
    """The preset's choices on the Backprop page (a lesson step's config there); its numbers are
    the worked example's, or seeded ones for the other shapes."""

    shape: str = "2"
    activation: str = "sigmoid"
    loss_output: str = "mse · sigmoid"
    optimizer: str = "sgd"
    learning_rate: float = 0.5

    def __post_init__(self):
        choices = {"shape": SHAPES, "activation": tuple(ACTIVATIONS), "loss_output": LOSS_OUTPUTS}
        check_fields(self, {"learning_rate": (1e-4, 10.0)}, choices | {"optimizer": tuple(OPTIMIZERS)})


FIELDS = tuple(f.name for f in dataclasses.fields(BackpropConfig))  # the widgets keyed K + field


@dataclasses.dataclass(frozen=True)
class Example:
    """A network with weights and one example: everything a trace needs."""

    config: Config
    layers: list
    x: np.ndarray
    y: np.ndarray
    opt_state: object = None
    note: str | None = None  # a caveat to show
    label: str = ""  # where the example comes from

    def key(self) -> str:
        """A string that changes whenever any number or choice changes (a cache key)."""
        layers = [{k: np.asarray(v, float).tolist() for k, v in la.items()} for la in self.layers]
        return json.dumps([self.config.to_dict(), layers, np.asarray(self.x, float).tolist(),
                           np.asarray(self.y, float).tolist(), id(self.opt_state)])  # fmt: skip

    def trace(self) -> backprop.Trace:
        return backprop.trace(self.config, self.layers, self.x, self.y, opt_state=self.opt_state)


# ---- the preset -----------------------------------------------------------------------------
def preset_config(shape: str = "2", loss_output: str = "mse · sigmoid", **changes) -> Config:
    """The preset's config: 2 inputs, `shape` hidden, 2 outputs, with the chosen loss and output.

    Softmax with mse or huber is only valid for multi-class data, so the config names blobs then.
    """
    loss, out = (s.strip() for s in loss_output.split("·"))
    dataset = "blobs" if out == "softmax" and loss != "ce" else "circle"
    hidden = tuple(int(w) for w in shape.split(","))
    base = dataclasses.replace(backprop.PRESET_CONFIG, dataset=dataset, loss=loss, output_activation=out)
    return base.replace(hidden=hidden, **changes)


def preset_values(shape: str = "2") -> dict:
    """Inputs, targets and weights of the preset: the worked example's, or seeded random ones."""
    if shape == "2":
        layers = backprop.preset_layers()
    else:
        rng = np.random.default_rng(len(shape))
        widths = [2, *(int(w) for w in shape.split(",")), 2]
        layers = [
            {
                "kernel": np.round(rng.uniform(-0.6, 0.6, (a, b)), 2),
                "bias": np.round(rng.uniform(-0.3, 0.3, b), 2),
            }
            for a, b in zip(widths[:-1], widths[1:])
        ]
    return {"x": np.array(backprop.PRESET_X), "y": np.array(backprop.PRESET_Y), "layers": layers}


def targets_for(config: Config, y) -> np.ndarray:
    """Targets that fit the loss: one-hot for ce or softmax, 0/1 for bce, -1/+1 for hinge; else as given."""
    y = np.asarray(y, float)
    if config.loss == "ce" or config.output_activation == "softmax":
        return np.eye(len(y))[int(np.argmax(y))]
    if config.loss == "bce":
        return (y > 0.5).astype(float)
    if config.loss == "hinge":
        return np.where(y > 0, 1.0, -1.0)
    return y


def example_table(x, y) -> pd.DataFrame:
    names = [f"x{i + 1}" for i in range(len(x))] + [f"y{i + 1} (target)" for i in range(len(y))]
    return pd.DataFrame({"value": [_cell(v) for v in [*x, *y]]}, index=names)


def layer_table(layer: dict, index: int) -> pd.DataFrame:
    """Weights w[i, j] of layer `index` (1-based): row i from the previous column, column j; bias last."""
    kernel, bias = np.asarray(layer["kernel"]), np.asarray(layer["bias"])
    prev = "x" if index == 1 else "a"
    rows = [f"from {prev}{i + 1}" for i in range(kernel.shape[0])] + ["bias"]
    data = np.vstack([kernel, bias[None]])
    return pd.DataFrame(
        {f"to {j + 1}": [_cell(v) for v in data[:, j]] for j in range(data.shape[1])}, index=rows
    )


def _cell(v) -> str:
    return f"{float(v):.6g}"


def read_table(df: pd.DataFrame, what: str) -> np.ndarray:
    """The numbers of an edited table.

    Raises:
      ValueError: naming the table, row and column of the first cell that is not a finite number.
    """
    out = np.empty(df.shape)
    for r, row in enumerate(df.index):
        for c, col in enumerate(df.columns):
            raw = df.iat[r, c]
            try:
                value = float(str(raw).strip()) if raw is not None else math.nan
            except ValueError:
                raise ValueError(
                    f"{what}, row {row!r}, column {col!r}: {str(raw)[:20]!r} is not a number"
                ) from None
            if not math.isfinite(value):
                raise ValueError(
                    f"{what}, row {row!r}, column {col!r}: needs a finite number, got {str(raw)[:20]!r}"
                )
            out[r, c] = value
    return out


def read_preset(example: pd.DataFrame, layers: list[pd.DataFrame], n_in: int = 2) -> dict:
    """Inputs, targets and layers from the edited tables (see read_table for errors)."""
    ex = read_table(example, "inputs and targets")[:, 0]
    out = []
    for i, df in enumerate(layers, 1):
        values = read_table(df, f"layer {i} weights")
        out.append({"kernel": values[:-1], "bias": values[-1]})
    return {"x": ex[:n_in], "y": ex[n_in:], "layers": out}


def same_values(a: dict, b: dict) -> bool:
    """Whether two preset value dicts (x, y, layers) hold the same numbers."""
    flat = lambda d: [d["x"], d["y"], *(v for la in d["layers"] for v in (la["kernel"], la["bias"]))]  # noqa: E731
    return all(
        np.shape(u) == np.shape(v) and np.array_equal(u, v) for u, v in zip(flat(a), flat(b), strict=True)
    )


# ---- the Playground's network ---------------------------------------------------------------
def playground_example(session, point: int) -> Example:
    """Training point `point` of a Playground Session, its current weights and optimizer state."""
    task = session.task
    n = len(task.x_train)
    if not 0 <= point < n:
        raise ValueError(f"point: choose 0 to {n - 1}, got {point}")
    note = "Dropout is left out: the trace shows the step without it." if session.config.dropout else None
    return Example(
        session.config, session.layers(), np.asarray(task.x_train[point], float),
        np.asarray(task.y_train[point], float), session.state.opt_state, note,
        f"Playground at epoch {session.epoch}, training point {point}",
    )  # fmt: skip


def describe(config: Config, widths: list[int]) -> str:
    acts = "/".join(dict.fromkeys(config.layer_activations())) or "none"
    return (
        f"network {'-'.join(map(str, widths))} · hidden {acts} · output {config.output_activation} · "
        f"loss {config.loss} · {config.optimizer} (η = {config.learning_rate:g})"
        + (f" · L1 {config.l1:g}" if config.l1 else "")
        + (f" · L2 {config.l2:g}" if config.l2 else "")
    )
