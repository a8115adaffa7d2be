"""The sequence pages' live view data: a scene (task, network, gallery) and frames (the chosen
sequence through the network: outputs; a recurrent layer's states, gates and gradient norms; a
transformer's attention, tables and embeddings), for `recurrent.js` and `transformer.js`.

The protocol is written out in those files' headers. Heatmaps travel as one byte a cell
(base64): signed values on a diverging code (128 = 0, 1 and 255 = -/+ `scale`), values in
[0, 1] (gates, attention weights) as 0..255, scores on a per-head linear code lo..hi.
"""

from __future__ import annotations

import hashlib
import pathlib

import numpy as np

from playground.data.sequences import SEQUENCE_TASKS
from playground.live.frames import _num, b64, new_points
from playground.zoo.cnn.frames import signed_bytes
from playground.zoo.sequence import views
from playground.zoo.sequence.config import SeqConfig

HERE = pathlib.Path(__file__).parent
PLAYER = HERE.parent / "player.js"
MODULES = {"recurrent": (PLAYER, HERE / "recurrent.js"), "transformer": (PLAYER, HERE / "transformer.js")}
GALLERY = 12  # test sequences offered to pick from
VIEW_LENGTH = 64  # positions the attention maps cover (the first ones)
SAMPLE_CHARS = 160  # characters a live sample generates
SHOWN = {"\n": "↵", "\t": "⇥"}  # in labels; spaces stay spaces (the views mark them in token strips)


def token_text(tokens: tuple[str, ...], ids) -> str:
    """Token ids as text: characters joined, digits and words spaced; invisible characters shown."""
    names = [SHOWN.get(tokens[i], tokens[i]) for i in np.asarray(ids).reshape(-1)]
    return "".join(names) if all(len(t) == 1 for t in tokens) and len(tokens) > 10 else " ".join(names)


def sequence_label(data, i: int) -> str:
    """A gallery entry: the input as text (tokens) or its first values, and the last-step target."""
    x = data.x_test[i]
    if data.vocab:
        text = token_text(data.vocab, x)
    else:
        vals = np.asarray(x).reshape(-1)
        text = " ".join(f"{v:+.2f}" for v in vals[:4]) + (" …" if len(vals) > 4 else "")
    if not data.per_step:
        y = data.y_test[i]
        answer = class_names(data)[int(y)] if data.n_classes else f"{float(y):+.2f}"
        text += f" → {answer}"
    return text[:60]


CLASS_NAMES = {"parens": {0: "unbalanced", 1: "balanced"}}


def class_names(data) -> list[str]:
    if not data.n_classes:
        return []
    if data.task in CLASS_NAMES:
        return [CLASS_NAMES[data.task][k] for k in range(data.n_classes)]
    return list(data.vocab[: data.n_classes])


def scene(task, table: list[dict], config: SeqConfig) -> dict:
    """What does not change while the network trains: task, network, gallery."""
    data, t = task.data, SEQUENCE_TASKS[config.task]
    recurrent = config.net != "transformer"
    body = {
        "kind": "recurrent" if recurrent else "transformer",
        "task": {
            "name": t.name,
            "description": t.description,
            "kind": t.kind,
            "tokens": t.tokens,
            "per_step": t.per_step,
        },
        "tokens": list(data.vocab),
        "classes": class_names(data),
        "length": int(data.length),
        "gallery": [
            {"index": i, "label": sequence_label(data, i)} for i in range(min(GALLERY, len(data.x_test)))
        ],
        "metrics": ["train_loss", "test_loss"]
        + (["train_accuracy", "test_accuracy"] if data.n_classes else []),
        "layers": [{"label": r["layer"], "shape": r["output"], "params": r["parameters"]} for r in table],
        "params": sum(r["parameters"] for r in table),
        "sample": sampling(task) is None,
    }
    if recurrent:
        i = views.first_recurrent(task)
        body |= {
            "cell": config.net,
            "activation": config.activation,
            "hidden": config.hidden,
            "gates": {"lstm": ["input", "forget", "output"], "gru": ["reset", "update"]}.get(config.net, []),
            "first_layer": i + 1,
        }
    else:
        name = views.PATTERNS.get(config.task) if config.causal == "false" else None
        body |= {
            "blocks": config.blocks,
            "heads": config.heads,
            "width": config.width,
            "causal": config.causal == "true",
            "positions": config.positions,
            "view_length": min(int(data.length), VIEW_LENGTH),
            "pattern": {"name": name, "about": PATTERN_ABOUT[name]} if name else None,
        }
    key = repr((config.to_dict(), [r["output"] for r in table], len(data.x_test), data.vocab)).encode()
    body["id"] = hashlib.sha1(key).hexdigest()[:12]
    return body


PATTERN_ABOUT = {
    "anti-diagonal": "to write the digits backwards, output position t reads input position T−1−t",
    "sorted order": "output position t reads wherever the t-th smallest digit sits",
    "diagonal": "to copy, output position t reads input position t",
}


def sampling(task) -> str | None:
    """None when the network can generate text live (a next-character model that sees only the
    past), else why not."""
    if task.data.task != "text":
        return "only the text task generates text"
    if any(la.kind == "block" and la.causal != "true" for la in task.arch.specs):
        return "an encoder sees the next characters: set causal to generate text"
    return None


def chosen_index(task, index) -> int:
    n = len(task.data.x_test)
    return 0 if index is None else int(index) % n


def frame(
    task,
    params,
    history: dict,
    since: int,
    index: int | None,
    *,
    last: bool,
    temperature: float | None = None,
    seed: int = 0,
    progress: tuple[int, int] = (0, 1),
) -> dict:
    """One frame: the chosen test sequence through the network, new curve points; on a batch's
    last frame of a text model, a sample at `temperature` (prompted by the chosen sequence)."""
    data = task.data
    i = chosen_index(task, index)
    x, y = data.x_test[i], data.y_test[i]
    out = views.outputs(task, params, x)
    f = {
        "epoch": int(history["epoch"][-1]) if history["epoch"] else 0,
        "points": new_points(history, since),
        "part": int(progress[0]),
        "parts": int(progress[1]),
        "chosen": i,
        "input": [int(v) for v in x] if data.vocab else [_num(v) for v in np.asarray(x).reshape(-1)],
        "target": [int(v) if data.n_classes else _num(v) for v in np.asarray(y).reshape(-1)],
    }
    if data.n_classes:
        probs = out.reshape(-1, out.shape[-1])
        f["output"] = [[round(float(p), 3) for p in row] for row in probs]
    else:
        f["output"] = [_num(v) for v in out.reshape(-1)]
    if views.first_recurrent(task) is not None:
        f |= recurrent_parts(task, params, x, y)
    else:
        f |= transformer_parts(task, params, x)
    if last and temperature is not None and sampling(task) is None:
        ids = views.sample(task, params, [int(v) for v in x], SAMPLE_CHARS, float(temperature), seed)
        f["sample"] = {
            "prompt": "".join(data.vocab[v] for v in x),
            "text": "".join(data.vocab[v] for v in ids),
            "temperature": float(temperature),
        }
    return f


def recurrent_parts(task, params, x, y) -> dict:
    """The first recurrent layer on x: hidden states, gates, cell state, ‖∂L/∂h_t‖."""
    rec = views.recurrent_steps(task, params, x)
    hidden = rec.pop("hidden")
    T, H = hidden.shape
    q, scale = signed_bytes(hidden, floor=1.0)  # tanh, lstm and gru states lie in [-1, 1]
    out = {"hidden": {"T": T, "H": H, "scale": _num(scale), "data": b64(q)}, "cell": None}
    if "cell" in rec:
        cq, cscale = signed_bytes(rec.pop("cell"))
        out["cell"] = {"scale": _num(cscale), "data": b64(cq)}
    out["gates"] = {k: b64(unit_bytes(v)) for k, v in rec.items()}
    target = (
        np.eye(task.data.n_classes, dtype=np.float32)[y] if task.data.n_classes else np.float32(y)[..., None]
    )
    out["grad"] = [_num(g) for g in views.hidden_gradient_norms(task, params, x, target)]
    return out


def unit_bytes(a) -> np.ndarray:
    """Values in [0, 1] as 0..255 (NaN as 0)."""
    a = np.nan_to_num(np.asarray(a, np.float32), nan=0.0)
    return np.clip(np.round(255 * a), 0, 255).astype(np.uint8)


def transformer_parts(task, params, x) -> dict:
    """Every block's attention on x (the first VIEW_LENGTH positions), the tables, the embedding's
    2-D projection, and for reverse/sort/copy the expected keys and how much attention they get."""
    V = min(len(x), VIEW_LENGTH)
    maps = views.attention_maps(task, params, x)
    attention = []
    for m in maps:
        w, s = m["weights"][:, :V, :V], m["scores"][:, :V, :V]
        masked = np.abs(s) >= 1e8  # the causal mask's cells (-1e9)
        lo = np.array([si[~mi].min() for si, mi in zip(s, masked)])
        hi = np.array([si[~mi].max() for si, mi in zip(s, masked)])
        code = np.round(255 * (s - lo[:, None, None]) / np.maximum(hi - lo, 1e-12)[:, None, None])
        code = np.where(masked, 0, np.clip(code, 0, 255)).astype(np.uint8)
        attention.append(
            {
                "weights": b64(unit_bytes(w)),
                "scores": b64(code),
                "lo": [_num(v) for v in lo],
                "hi": [_num(v) for v in hi],
            }
        )
    tab = views.tables(task, params)
    pos = tab["positional"][:V]
    q, scale = signed_bytes(pos)
    out = {
        "attention": attention,
        "positional": {"T": int(pos.shape[0]), "d": int(pos.shape[1]), "scale": _num(scale), "data": b64(q)},
        "embedding": None,
        "expected": None,
        "match": None,
    }
    if tab["embedding"] is not None:
        pts, share = views.project_2d(tab["embedding"])
        out["embedding"] = {
            "x": [_num(v) for v in pts[:, 0]],
            "y": [_num(v) for v in pts[:, 1]],
            "var": [_num(v) for v in share],
        }
    causal = any(la.kind == "block" and la.causal == "true" for la in task.arch.specs)
    expected = None if causal else views.expected_keys(task.data.task, x)
    if expected is not None:
        out["expected"] = expected[:V]
        out["match"] = [[_num(v) for v in views.pattern_match(m["weights"], expected)] for m in maps]
    return out
