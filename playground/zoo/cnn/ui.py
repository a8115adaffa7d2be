"""What the CNN page needs besides the view: the layer builder's rows <-> layer texts, the
widgets' fields and choices, and a drawn digit made to look like the data set's. No Streamlit.
"""

from __future__ import annotations

import numpy as np

from playground.core import layers
from playground.core.activations import ACTIVATIONS
from playground.core.config import ConfigError
from playground.core.models import INITS as _INITS
from playground.core.optimizers import OPTIMIZERS as _OPTIMIZERS
from playground.live.ui import LEARNING_RATES, REG_RATES
from playground.zoo.cnn.config import PRESETS

# The builder's columns: "size" is a conv's filters or a dense layer's units.
COLUMNS = ("kind", "size", "kernel", "stride", "padding", "window", "rate", "activation")
# The kinds for images (the autoencoder's own: a VAE's `sample` code layer and the decoder's kinds).
KINDS = tuple(k for k in layers.LAYER_KINDS if k not in (*layers.SEQUENCE_KINDS, *layers.DECODER_KINDS))
PADDINGS = ("same", "valid")
ACTIVATION_NAMES = tuple(ACTIVATIONS)
SIZE_FIELD = {"conv": "filters", "dense": "units"}
SIDEBAR_FIELDS = (
    "dataset",
    "n_samples",
    "noise",
    "train_ratio",
    "seed",
    "optimizer",
    "gd_variant",
    "batch_size",
    "l2",
    "init",
    "early_stopping_patience",
)
TOP_FIELDS = ("learning_rate",)
WIDGET_FIELDS = (*SIDEBAR_FIELDS, *TOP_FIELDS)
CHOICES = {"learning_rate": LEARNING_RATES, "l2": REG_RATES}
CUSTOM = "custom"
VIEW_EVENTS = ("pick", "draw", "clear", "explain", "cell", "filters")  # what the live view sends back
OPTIMIZERS = tuple(_OPTIMIZERS)
INITS = tuple(_INITS)
# The builder's column limits (the layer kinds check each value again and name the layer).
SIZE_RANGE = (1, 256)


def rows_from_texts(texts) -> list[dict]:
    """One builder row per layer text; fields the kind does not read are None (blank cells)."""
    out = []
    for text in texts:
        layer = layers.parse(text)
        fields = layers.LAYER_KINDS[layer.kind].fields
        row = dict.fromkeys(COLUMNS)
        row["kind"] = layer.kind
        for col in COLUMNS[1:]:
            name = SIZE_FIELD.get(layer.kind) if col == "size" else col
            if name in fields:
                row[col] = getattr(layer, name)
        out.append(row)
    return out


def texts_from_rows(rows: list[dict]) -> tuple[str, ...]:
    """The layer texts of the builder's rows; blank cells take the kind's defaults, cells the
    kind does not read are ignored. Rows without a kind are skipped (a half-added row).

    Raises:
      ConfigError: on "layers", naming the row (1-based) and what is wrong.
    """
    out = []
    for i, row in enumerate(rows):
        kind = row.get("kind")
        if kind is None or (isinstance(kind, float) and np.isnan(kind)) or kind == "":
            continue
        values = {}
        for col in COLUMNS[1:]:
            v = row.get(col)
            if v is None or (isinstance(v, float) and np.isnan(v)):
                continue
            name = SIZE_FIELD.get(kind) if col == "size" else col
            if name in layers.LAYER_KINDS.get(kind, layers.LAYER_KINDS["flatten"]).fields:
                values[name] = v.item() if hasattr(v, "item") else v
        try:
            out.append(layers.make(kind, **values).text())
        except layers.LayerError as e:
            raise ConfigError("layers", f"layer {i + 1}: {e}") from None
    return tuple(out)


def editor_rows(base: list[dict], edits) -> list[dict]:
    """The builder's rows after the user's edits, from Streamlit's data-editor state
    ({"edited_rows": {row: {column: value}}, "added_rows": [{column: value}], "deleted_rows": [row]},
    positions in `base`). Anything malformed is ignored: the rows stay as they were."""
    if not isinstance(edits, dict):
        return [dict(r) for r in base]
    rows = [dict(r) for r in base]
    for i, change in (edits.get("edited_rows") or {}).items():
        try:
            i = int(i)
        except (TypeError, ValueError):
            continue
        if 0 <= i < len(rows) and isinstance(change, dict):
            rows[i].update({k: v for k, v in change.items() if k in COLUMNS})
    deleted = set()
    for i in edits.get("deleted_rows") or []:
        try:
            deleted.add(int(i))
        except (TypeError, ValueError):
            continue
    rows = [r for i, r in enumerate(rows) if i not in deleted]
    for added in edits.get("added_rows") or []:
        if isinstance(added, dict):
            rows.append({**dict.fromkeys(COLUMNS), **{k: v for k, v in added.items() if k in COLUMNS}})
    return rows


def preset_of(texts) -> str:
    """The preset these layers are, or CUSTOM."""
    return next((name for name, p in PRESETS.items() if tuple(p) == tuple(texts)), CUSTOM)


def normalize_drawing(pixels, shape) -> np.ndarray:
    """A drawn image made to look like the data set's: the ink's bounding box scaled to fit
    (MNIST digits sit in a 20×20 box of 28×28; the 8×8 digits fill their frame), then centred
    by its centre of mass. A blank drawing stays blank.

    Args:
      pixels: h*w numbers in [0, 1] (row-major) or an (h, w) array.
      shape: the data set's (h, w, c).

    Raises:
      ValueError: when the pixels are not h*w finite numbers.
    """
    h, w, c = shape
    img = np.asarray(pixels, dtype=np.float64)
    if img.size != h * w or not np.all(np.isfinite(img)):
        raise ValueError(f"a drawing needs {h}×{w} finite numbers")
    img = np.clip(img.reshape(h, w), 0, 1)
    ys, xs = np.nonzero(img > 0.05)
    if not len(ys):
        return np.zeros(shape, np.float32)
    crop = img[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    box = max(1, round(h * 20 / 28)) if h >= 16 else h
    scale = box / max(crop.shape)
    nh, nw = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    rows = np.linspace(0, crop.shape[0] - 1, nh)
    cols = np.linspace(0, crop.shape[1] - 1, nw)
    small = np.array([[_bilinear(crop, r, q) for q in cols] for r in rows])
    out = np.zeros((h, w))
    top, left = (h - nh) // 2, (w - nw) // 2
    out[top : top + nh, left : left + nw] = small
    total = out.sum()
    if total > 0:  # centre of mass to the middle
        cy = (out.sum(1) * np.arange(h)).sum() / total
        cx = (out.sum(0) * np.arange(w)).sum() / total
        out = _shift(out, round((h - 1) / 2 - cy), round((w - 1) / 2 - cx))
    return np.clip(out, 0, 1).astype(np.float32).reshape(h, w, 1).repeat(c, -1)


def _bilinear(a, r, q):
    r0, q0 = int(np.floor(r)), int(np.floor(q))
    r1, q1 = min(r0 + 1, a.shape[0] - 1), min(q0 + 1, a.shape[1] - 1)
    fr, fq = r - r0, q - q0
    return (a[r0, q0] * (1 - fr) + a[r1, q0] * fr) * (1 - fq) + (a[r0, q1] * (1 - fr) + a[r1, q1] * fr) * fq


def _shift(a, dy, dx):
    """Shift without wrapping (what leaves one side is lost, the other fills with 0)."""
    out = np.zeros_like(a)
    h, w = a.shape
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[yd, xd] = a[ys, xs]
    return out


def _int(v, lo: int, hi: int) -> int:
    """An int in [lo, hi] from untrusted input (bools and non-whole numbers refused)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v or v != int(v) or not lo <= v <= hi:
        raise ValueError(f"expected a whole number from {lo} to {hi}, got {str(v)[:20]}")
    return int(v)


def on_view(session, state, prefix: str, event: str, value) -> None:
    """A click in the live view (untrusted input), checked before use: `pick` a gallery image
    ({index}: a test image), `draw` ({pixels}), `clear`, `explain` ({layer, channel, y, x}:
    a scene layer index, checked again when explained), `cell` ({true, pred}), `filters`
    ({layer}: show that conv layer's filters)."""
    n_test, n_classes = len(session.task.data.x_test), session.task.data.n_classes
    try:
        if event == "pick":
            state[prefix + "choice"] = {"index": _int(value["index"], 0, n_test - 1)}
        elif event == "draw":
            pixels = value["pixels"] if isinstance(value, dict) else None
            if not isinstance(pixels, list):
                raise ValueError("a drawing is a list of pixel values")
            state[prefix + "choice"] = {
                "source": "drawn",
                "pixels": normalize_drawing(pixels, session.task.data.shape),
            }
        elif event == "clear":
            state[prefix + "choice"] = {"index": state.get(prefix + "choice", {}).get("index")}
        elif event == "explain":
            n = len(session.task.arch.specs)
            state[prefix + "explain"] = {k: _int(value[k], 0, 10_000) for k in ("channel", "y", "x")} | {
                "layer": _int(value["layer"], 1, n)
            }
            if session.task.arch.specs[state[prefix + "explain"]["layer"] - 1].kind == "conv":
                state[prefix + "filters"] = state[prefix + "explain"]["layer"]  # its filters beside it
        elif event == "cell":
            state[prefix + "cell"] = {k: _int(value[k], 0, n_classes - 1) for k in ("true", "pred")}
        elif event == "filters":
            layer = _int(value["layer"], 1, len(session.task.arch.specs))
            if session.task.arch.specs[layer - 1].kind != "conv":
                raise ValueError(f"layer {layer} is not a conv layer")
            state[prefix + "filters"] = layer
        else:
            return
        state.pop(prefix + "error", None)
    except (ValueError, KeyError, TypeError) as e:
        state[prefix + "error"] = f"ignored a {event} from the view: {e}"


def editor_frame(texts):
    """The builder's table as a DataFrame: numbers as floats (blank: NaN), names as strings
    (blank: missing), so that cells a kind does not read show empty."""
    import pandas as pd

    frame = pd.DataFrame(rows_from_texts(texts), columns=COLUMNS)
    for col in ("size", "kernel", "stride", "window", "rate"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    for col in ("kind", "padding", "activation"):
        frame[col] = frame[col].astype("string")
    return frame


def summary_rows(table: list[dict]) -> list[dict]:
    """The builder's summary: each layer's output shape and parameters (thousands separated)."""
    return [{"layer": r["layer"], "output": r["output"], "parameters": f"{r['parameters']:,}"} for r in table]
