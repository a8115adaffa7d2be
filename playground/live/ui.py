"""What the pages need besides figures, kept out of them so they stay thin and
testable: widget <-> config mapping, lesson-link hiding, dependent choices.
No Streamlit here: `state` arguments are plain mappings (st.session_state is one).
"""

from __future__ import annotations

import dataclasses
import functools

from playground.core import engine, losses
from playground.core.config import CHOICES, RANGES, Config, ConfigError, from_query
from playground.core.optimizers import OPTIMIZERS
from playground.data.points import DATASETS, FEATURES, MAX_CSV_MB, DataError, generate

GRID = 50  # grid points per side for the heatmaps
UPLOAD_MB = MAX_CSV_MB  # the uploader's limit is the parser's (Streamlit counts 2**20 bytes a MB)
UPLOAD_LIMIT = f"{MAX_CSV_MB} MB"
LAYER_OPS = ("add_layer", "del_layer", "add_neuron", "del_neuron")
# Page styles: charts stay drawn while a rerun is pending (no grey-out flicker), a slimmer top
# margin so controls, network, plane and curve fit one 1280x720 screen, feature pills wrap.
PAGE_CSS = (
    "<style>[data-stale='true']{opacity:1 !important; transition:none !important}"
    "[data-testid='stMainBlockContainer']{padding-top:2.6rem !important; padding-bottom:1rem !important;"
    " padding-left:2rem !important; padding-right:2rem !important}"
    "section[data-testid='stSidebar']{width:256px !important; min-width:256px !important}"
    ".st-key-pg-features div{flex-wrap:wrap !important; overflow:visible !important}"
    # On a narrow window the control rows wrap instead of squeezing labels to "P…".
    ".st-key-pg-top [data-testid='stHorizontalBlock'], .st-key-pg-opts [data-testid='stHorizontalBlock']"
    "{flex-wrap:wrap !important; row-gap:0.4rem}"
    ".st-key-pg-top [data-testid='stColumn']{min-width:92px !important}"
    ".st-key-pg-opts [data-testid='stColumn']{min-width:118px !important}</style>"
)
CLASS_NAMES = ("orange", "blue", "green", "pink", "purple", "brown")  # figures.CLASS_COLORS order
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_RATES = (0.0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
REGULARIZATION = ("none", "L1", "L2", "L1 + L2")
# Widgets that map to config fields one to one, plus the two that share l1/l2.
WIDGET_FIELDS = (
    "learning_rate",
    "activation",
    "optimizer",
    "regularization",
    "reg_rate",
    "loss",
    "output_activation",
    "init",
    "gd_variant",
    "batch_size",
    "activations",
    "momentum",
    "beta1",
    "beta2",
    "rho",
    "eps",
    "weight_decay",
    "dropout",
    "early_stopping_patience",
    "dataset",
    "n_classes",
    "train_ratio",
    "noise",
    "n_samples",
    "seed",
    "features",
)


def config_from_query(query: dict) -> tuple[Config, list[str]]:
    """A config from URL query parameters; warnings name each ignored value."""
    return from_query(query)


# Widgets that set several config fields: hiding any of the fields hides the widget.
WIDGET_SETS = {"regularization": ("l1", "l2"), "reg_rate": ("l1", "l2")}
HIDEABLE = (*(f.name for f in dataclasses.fields(Config)), *WIDGET_SETS)


def hidden_controls(query: dict) -> set[str]:
    """Fields a lesson link hides: `?learning_rate_hide=1` hides the learning rate.

    Any config field can be hidden (`hidden_hide` hides the layer and neuron buttons,
    `dataset_hide` the data choice, the CSV upload and clicking points in); unknown
    names are ignored.
    """
    return {k[: -len("_hide")] for k in query if k.endswith("_hide") and k[: -len("_hide")] in HIDEABLE}


def is_hidden(widget_field: str, hidden: set[str]) -> bool:
    return widget_field in hidden or any(f in hidden for f in WIDGET_SETS.get(widget_field, ()))


def widget_values(c: Config) -> dict:
    """The value each widget shows for a config."""
    values = {f: getattr(c, f) for f in WIDGET_FIELDS if hasattr(c, f)}
    values["features"] = list(c.features)
    values["activations"] = ",".join(c.activations)
    reg = ("L1" if c.l1 else "") + (" + " if c.l1 and c.l2 else "") + ("L2" if c.l2 else "")
    values["regularization"] = reg or "none"
    values["reg_rate"] = c.l1 or c.l2
    return values


def widget_to_config(values: dict) -> dict:
    """Config fields from widget values (the inverse of widget_values)."""
    d = {k: v for k, v in values.items() if k not in ("regularization", "reg_rate")}
    if "features" in d:
        d["features"] = tuple(d["features"] or ())
    if "regularization" in values:
        kind, rate = values["regularization"], float(values.get("reg_rate") or 0.0)
        d["l1"] = rate if "L1" in kind else 0.0
        d["l2"] = rate if "L2" in kind else 0.0
    return d


def options(field: str, c: Config) -> list:
    """Choices for a slider, always including the config's current value."""
    base = {"learning_rate": LEARNING_RATES, "reg_rate": REG_RATES}[field]
    return with_value(base, getattr(c, field))


def with_value(choices, value) -> list:
    """A select slider's choices with `value` among them (a link may hold any valid number; a
    slider that lacks it would show another value than the one in use)."""
    return sorted({*choices, value})


def data_kind(session, dataset: str | None) -> str:
    """'binary', 'multiclass' or 'regression' for a dataset name."""
    dataset = dataset or session.config.dataset
    if dataset == "csv":
        data = session.csv or session.task.data
        return losses.task_kind(data.task, data.n_classes)
    if DATASETS[dataset].task == "regression":
        return "regression"
    return "multiclass" if dataset == "blobs" else "binary"


def loss_choices(session, dataset: str | None) -> list[str]:
    kind = data_kind(session, dataset)
    return [name for name, spec in losses.LOSSES.items() if kind in spec.tasks]


def output_choices(loss: str) -> list[str]:
    return list(losses.LOSSES[loss].outputs)


def fix_dependent_choices(state, prefix: str, session) -> None:
    """Keep loss and output activation valid for the chosen data, before they are read."""
    kind = data_kind(session, state.get(prefix + "dataset"))
    choices = loss_choices(session, state.get(prefix + "dataset"))
    loss = state.get(prefix + "loss", session.config.loss)
    if loss not in choices:
        loss = "ce" if kind == "multiclass" else choices[0]
        state[prefix + "loss"] = loss
    outs = output_choices(loss)
    if state.get(prefix + "output_activation") not in outs:
        state[prefix + "output_activation"] = "sigmoid" if "sigmoid" in outs and kind == "binary" else outs[0]


def optimizer_fields(c: Config) -> tuple[str, ...]:
    return OPTIMIZERS[c.optimizer].fields


def bounds(field: str) -> dict:
    lo, hi = RANGES[field]
    return {"min_value": float(lo), "max_value": float(hi)}


def edit_layers(c: Config, op: str, layer: int | None = None) -> dict:
    """Config changes for the +/- layer and neuron buttons (within the caps)."""
    hidden = list(c.hidden)
    if op == "add_layer" and len(hidden) < 8:
        hidden.append(hidden[-1] if hidden else 4)
    elif op == "del_layer" and hidden:
        hidden.pop()
    elif op == "add_neuron" and hidden[layer] < 32:
        hidden[layer] += 1
    elif op == "del_neuron" and hidden[layer] > 1:
        hidden[layer] -= 1
    acts = c.layer_activations()
    activations = tuple((list(acts) + [c.activation] * 8)[: len(hidden)]) if c.activations else ()
    return {"hidden": tuple(hidden), "activations": activations}


def layer_event(c: Config, event) -> dict | None:
    """Config changes for a +/- click in the live view ({"op", "layer"} from the browser),
    or None when the event is not one the view can send (anything else is ignored)."""
    if not isinstance(event, dict) or event.get("op") not in LAYER_OPS:
        return None
    layer = event.get("layer")
    if event["op"] in ("add_neuron", "del_neuron"):
        if not isinstance(layer, int) or isinstance(layer, bool) or not 0 <= layer < len(c.hidden):
            return None
    return edit_layers(c, event["op"], layer)


# ---- what the page's own events do (its callbacks call these with st.session_state) ----------
def sync_widgets(session, state, prefix: str) -> None:
    """After the page itself changed the config (layers, upload, a clicked point)."""
    for field, value in widget_values(session.config).items():
        state[prefix + field] = value


def on_layer(session, state, prefix: str, hidden: set[str], event) -> None:
    """A +/- click in the live view; a lesson link hiding `hidden` turns the buttons off."""
    change = layer_event(session.config, event)
    if change is None or "hidden" in hidden:
        return
    try:
        session.apply(session.config.replace(**change))
        sync_widgets(session, state, prefix)
        state[prefix + "rerun_app"] = True  # the address bar is set by the whole script
    except ConfigError as e:
        state[prefix + "error"] = str(e)


def on_click(session, state, prefix: str, hidden: set[str], event) -> None:
    """A click on the output plane ({"x1", "x2"} from the browser) adds a point of the chosen class."""
    label = state.get(prefix + "add_class")
    if "dataset" in hidden or label not in CLASS_NAMES or not isinstance(event, dict):
        return
    try:
        session.add_point(float(event["x1"]), float(event["x2"]), CLASS_NAMES.index(label))
        sync_widgets(session, state, prefix)
        state[prefix + "rerun_app"] = True  # the data box sits outside the fragment
    except (KeyError, TypeError, ValueError, DataError) as e:
        state[prefix + "error"] = f"could not add that point: {e}"


def on_upload(session, state, prefix: str, hidden: set[str], name: str, raw: bytes) -> None:
    """An uploaded CSV: the data on success, else a message naming the file (data kept)."""
    if "dataset" in hidden:
        return
    try:
        session.set_csv(raw)
        sync_widgets(session, state, prefix)
        state.pop(prefix + "csv_error", None)
    except (DataError, ConfigError) as e:
        state[prefix + "csv_error"] = f"{name}: {e}. The previous data is kept."


@functools.lru_cache(maxsize=1)
def thumbnails() -> dict:
    """A small picture of every built-in dataset (the same for every user)."""
    from playground.live.figures import dataset_thumbnail

    out = {}
    for name, spec in DATASETS.items():
        points, labels = generate(name, 200, 0, 0, 3)
        out[name] = dataset_thumbnail(points, labels, spec.task, 3 if name == "blobs" else 2)
    return out


# ---- widget layout: (widget, field, label, keyword arguments) ------------------------------
# The page turns each row into `st.<widget>(label, key=prefix + field, **kwargs)`, so the page
# stays a loop and the list of controls (and their ranges) lives here, beside the config.
def top_row(c: Config) -> list[tuple]:
    return [
        ("select_slider", "learning_rate", "Learning rate", {"options": options("learning_rate", c)}),
        ("selectbox", "activation", "Activation", {"options": CHOICES["activation"]}),
        ("selectbox", "optimizer", "Optimizer", {"options": CHOICES["optimizer"]}),
        ("selectbox", "regularization", "Regularization", {"options": REGULARIZATION}),
        ("select_slider", "reg_rate", "L1/L2 rate", {"options": REG_RATES}),
    ]


def more_settings(session, state, prefix: str) -> list[list[tuple]]:
    """The "More settings" expander, column by column."""
    c = session.config
    loss = state.get(prefix + "loss", c.loss)
    return [
        [
            ("selectbox", "loss", "Loss", {"options": loss_choices(session, state.get(prefix + "dataset"))}),
            ("selectbox", "output_activation", "Output activation", {"options": output_choices(loss)}),
            ("selectbox", "init", "Initialization", {"options": CHOICES["init"]}),
        ],
        [
            ("radio", "gd_variant", "Gradient descent",
             {"options": CHOICES["gd_variant"], "horizontal": True}),
            ("number_input", "batch_size", "Batch size (mini-batch)", {"min_value": 1, "max_value": 1000}),
            ("text_input", "activations", "Per-layer activations (comma list, blank = all the same)", {}),
        ],
        [("number_input", f, f, {"format": "%g", **bounds(f)})
         for f in optimizer_fields(c) if f != "learning_rate"],
        [
            ("slider", "dropout", "Dropout rate (hidden layers)",
             {"min_value": 0.0, "max_value": 0.9, "step": 0.05}),
            ("number_input", "early_stopping_patience", "Early stopping patience (0 = off)",
             {"min_value": 0, "max_value": 10000, "step": 10}),
        ],
    ]  # fmt: skip


def data_controls(state, prefix: str) -> list[tuple]:
    rows = [("selectbox", "dataset", "Dataset", {"options": CHOICES["dataset"]})]
    if state.get(prefix + "dataset") == "blobs":
        rows.append(("slider", "n_classes", "Classes", {"min_value": 3, "max_value": 6}))
    return rows + [
        ("slider", "train_ratio", "Ratio of training data",
         {"min_value": 0.1, "max_value": 0.9, "step": 0.05}),
        ("slider", "noise", "Noise", {"min_value": 0, "max_value": 50, "step": 5}),
        ("slider", "n_samples", "Points", {"min_value": 10, "max_value": 2000, "step": 10}),
        ("number_input", "seed", "Seed", {"min_value": 0, "max_value": 2**31 - 1, "step": 1}),
        ("pills", "features", "Input features",
         {"options": list(FEATURES), "selection_mode": "multi", "label_visibility": "collapsed"}),
    ]  # fmt: skip


def status_text(session) -> str:
    """The 'Epoch N' line with the current losses (markdown)."""
    m = session.metrics()
    parts = [f"### Epoch {session.epoch:,}"]
    if "train_loss" in m:
        parts.append(f"train loss **{m['train_loss']:.4f}** · test loss **{m['test_loss']:.4f}**")
    return "  \n".join(parts)


def metrics_table(session, epochs_per_frame: int | None = None) -> list[dict]:
    m = session.metrics()
    rows = [("parameters", f"{m['parameters']:,}")]
    if epochs_per_frame:
        rows.append(("epochs per live frame", f"{epochs_per_frame:,}"))
    for key in engine.metric_names(session.task):
        if key in m:
            value = f"{100 * m[key]:.1f}%" if "accuracy" in key else f"{m[key]:.5f}"
            rows.append((key.replace("_", " "), value))
    return [{"metric": k, "value": v} for k, v in rows]


__all__ = ["CHOICES"]
