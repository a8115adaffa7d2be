"""The CNN page's live view data: a scene (layers, gallery) and frames (feature maps, filters,
probabilities, curves; on a batch's last frame the test-set views), for `cnn.js`.

Images travel as one byte a pixel (base64): inputs 0 = paper to 255 = ink; activations and
filters on a diverging code, 128 = 0, 0 and 255 = -/+ the layer's largest magnitude (`scale`).
"""

from __future__ import annotations

import hashlib
import pathlib

import numpy as np

from playground.data.images import IMAGE_SETS, image_to_uint8
from playground.live.frames import _num, b64, new_points
from playground.zoo.cnn import views

HERE = pathlib.Path(__file__).parent
MODULE = (HERE.parent / "player.js", HERE / "cnn.js")  # the view: the zoo's shared player, then its own
GALLERY = 32  # test images offered to pick from
MAX_MAP_BYTES = 40_000  # per frame: a layer wider than this (after the first) sends its first channels only


def signed_bytes(a: np.ndarray, floor: float = 0.0) -> tuple[np.ndarray, float]:
    """Values -> bytes on the diverging code, and the scale (largest magnitude, at least `floor`:
    values bounded by 1, such as tanh states, keep their colours from frame to frame)."""
    a = np.nan_to_num(np.asarray(a, np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    scale = max(float(np.abs(a).max(initial=0.0)), floor) or 1.0
    return np.clip(np.round(128 + 127 * a / scale), 0, 255).astype(np.uint8), scale


def gallery_indices(labels: np.ndarray, n: int = GALLERY) -> list[int]:
    """Test images for the gallery: round-robin over the classes, so each class shows."""
    by_class = [list(np.flatnonzero(labels == k)) for k in range(int(labels.max(initial=0)) + 1)]
    out = []
    while len(out) < min(n, len(labels)):
        for idx in by_class:
            if idx and len(out) < n:
                out.append(int(idx.pop(0)))
    return out


def scene(task, table: list[dict]) -> dict:
    """What does not change while the network trains: layers, gallery, class names."""
    data = task.data
    h, w, c = data.shape
    gal = gallery_indices(data.y_test)
    pixels = np.stack([image_to_uint8(data.x_test[i]) for i in gal]) if gal else np.zeros((0, h, w))
    layers = [
        {
            "kind": r["kind"],
            "label": r["layer"],
            "shape": [int(v) for v in r["output"].split("×")],
            "params": r["parameters"],
        }
        for r in table
    ]
    body = {
        "kind": "cnn",
        "classes": list(data.class_names),
        "input": {"h": h, "w": w, "c": c},
        "layers": layers,
        "gallery": {
            "n": len(gal),
            "h": h,
            "w": w,
            "pixels": b64(pixels),
            "labels": [int(data.y_test[i]) for i in gal],
            "indices": gal,
        },
        "metrics": ["train_loss", "test_loss", "train_accuracy", "test_accuracy"],
        "credit": IMAGE_SETS[data.name].credit,
    }
    key = repr((task.config.to_dict(), [r["output"] for r in table])).encode()
    body["id"] = hashlib.sha1(key).hexdigest()[:12]
    return body


def chosen_image(task, choice: dict) -> tuple[np.ndarray, dict]:
    """The image the user chose: a gallery (test) image or the drawn one. choice: {"source",
    "index"} or {"source": "drawn", "pixels": (h, w) floats}."""
    if choice.get("source") == "drawn" and choice.get("pixels") is not None:
        img = np.asarray(choice["pixels"], np.float32).reshape(task.data.shape)
        return img, {"source": "drawn", "index": None, "label": None}
    i = choice.get("index")
    i = gallery_indices(task.data.y_test, 1)[0] if i is None else int(i) % len(task.data.x_test)
    return task.data.x_test[i], {"source": "gallery", "index": i, "label": int(task.data.y_test[i])}


def frame(
    task,
    params,
    history: dict,
    since: int,
    choice: dict,
    *,
    last: bool,
    explain: dict | None = None,
    cell: dict | None = None,
    filters: int | None = None,
    progress: tuple[int, int] = (0, 1),
) -> dict:
    """One frame: the chosen image through the network, new curve points; with `last`, the
    test-set views (and the explained position and confusion cell the user picked)."""
    image, chosen = chosen_image(task, choice)
    maps, probs = views.probe(task, params, image)
    out_maps, budget = [], MAX_MAP_BYTES
    for i, a in enumerate(maps[:-1]):  # the output layer is the probabilities
        if task.arch.specs[i].kind in ("dropout",):
            continue
        if a.ndim == 3:  # channel-major: each channel a contiguous h*w tile
            a = np.moveaxis(a, -1, 0)
            keep = max(1, min(a.shape[0], budget // max(1, a[0].size)))
            a = a[:keep]
        q, scale = signed_bytes(a)
        budget = max(0, budget - q.size)
        shape = [int(a.shape[1]), int(a.shape[2]), int(a.shape[0])] if a.ndim == 3 else [int(a.size)]
        out_maps.append({"layer": i + 1, "shape": shape, "scale": _num(scale), "data": b64(q)})
    f = {
        "epoch": int(history["epoch"][-1]) if history["epoch"] else 0,
        "points": new_points(history, since),
        "chosen": chosen,
        "input": b64(image_to_uint8(image)),
        "maps": out_maps,
        "probs": [_num(p) for p in probs],
        "part": int(progress[0]),  # parts of the next epoch done (a big data set's epoch comes in parts)
        "parts": int(progress[1]),
    }
    conv = views.first_conv(task)
    if (
        filters is not None
        and 0 < filters <= len(task.arch.specs)
        and task.arch.specs[filters - 1].kind == "conv"
    ):
        conv = filters - 1  # the user picked another conv layer (a scene index)
    if conv is not None:
        k = views.layer_params(params, conv)["kernel"]  # (kh, kw, cin, cout)
        q, scale = signed_bytes(np.transpose(k, (3, 2, 0, 1)))
        f["filters"] = {"layer": conv + 1, "shape": list(k.shape), "scale": _num(scale), "data": b64(q)}
    if last:
        f.update(test_views(task, params, cell))
        if explain is not None:
            try:
                d = views.explain(
                    task, params, image, explain["layer"] - 1, explain["channel"], explain["y"], explain["x"]
                )
                f["detail"] = {**d, "layer": d["layer"] + 1}
            except (ValueError, KeyError, TypeError):
                f["detail"] = None
    return f


def test_views(task, params, cell: dict | None) -> dict:
    """Confusion matrix, accuracy, the most confident mistakes and one cell's images."""
    probs = views.predictions(task, params)
    labels = np.asarray(task.data.y_test)
    pred = probs.argmax(1)
    out = {
        "confusion": views.confusion(labels, pred, task.data.n_classes).tolist(),
        "accuracy": _num((pred == labels).mean()) if len(labels) else None,
        "mistakes": [
            {
                **m,
                "confidence": _num(m["confidence"]),
                "pixels": b64(image_to_uint8(task.data.x_test[m["index"]])),
            }
            for m in views.mistakes(labels, probs)
        ],
    }
    if cell is not None:
        idx, count = views.cell(labels, pred, int(cell["true"]), int(cell["pred"]))
        h, w, _ = task.data.shape
        px = (
            np.stack([image_to_uint8(task.data.x_test[i]) for i in idx])
            if idx
            else np.zeros((0, h, w), np.uint8)
        )
        out["cell"] = {
            "true": int(cell["true"]),
            "pred": int(cell["pred"]),
            "count": count,
            "indices": idx,
            "pixels": b64(px),
        }
    return out
