"""A Plotly figure of lines, markers and text as a list of drawing primitives, for the live
view's "shapes" kind: the browser draws them on a canvas mounted once, instead of Streamlit
mounting a new Plotly chart for every step. The figure builders stay the one description of
a diagram (and stay tested as Plotly figures); this only translates what they made.

Primitives, in data coordinates (the browser maps the figure's axis ranges onto its canvas):
  {"k": "path", "xy": [x0, y0, x1, y1, null, null, ...], "color", "width", "alpha"}
  {"k": "dots", "xy": [...], "size": [...], "fill": [...], "stroke": [...], "sw", "text": [...]}
  {"k": "text", "x", "y", "lines": [[text, colour, bold], ...], "size", "color", "anchor", "bg"}
No Streamlit.
"""

from __future__ import annotations

import hashlib
import html
import json
import re

import numpy as np

_TAG = re.compile(r"<[^>]+>")
_COLOR = re.compile(r"color\s*:\s*([#\w(),.\s]+)")


def _num(v) -> float | None:
    if v is None:
        return None
    v = float(v)
    return round(v, 5) if np.isfinite(v) else None


def _list(v, n: int) -> list:
    """A per-point attribute as a list of n values (Plotly allows a scalar or an array)."""
    if v is None:
        return [None] * n
    if isinstance(v, str) or np.ndim(v) == 0:
        return [v] * n
    return list(v)


def _lines(text: str) -> list[list]:
    """Plotly annotation text (with <br>, <b>, <span style='color:...'>) as [text, colour, bold] lines."""
    out = []
    for part in re.split(r"<br\s*/?>", text or ""):
        color = _COLOR.search(part)
        out.append(
            [html.unescape(_TAG.sub("", part)), color.group(1).strip() if color else None, "<b>" in part]
        )
    return out


def from_figure(fig) -> dict:
    """The primitives of `fig` and its x/y ranges: {"range": [x0, x1, y0, y1], "items": [...]}."""
    items = []
    for tr in fig.data:
        mode = getattr(tr, "mode", None) or ""
        if getattr(tr, "type", "scatter") != "scatter" or getattr(tr, "visible", True) is False:
            continue
        xs, ys = list(tr.x or []), list(tr.y or [])
        xy = [_num(v) for pair in zip(xs, ys) for v in pair]
        if "lines" in mode:
            line = tr.line
            alpha = 1.0 if tr.opacity is None else float(tr.opacity)
            items.append(
                {"k": "path", "xy": xy, "color": line.color, "width": line.width or 2, "alpha": alpha}
            )
        if "markers" in mode or "text" in mode:
            m, n = tr.marker, len(xs)
            if "markers" in mode and m.opacity == 0:
                continue  # invisible hover targets
            items.append({
                "k": "dots", "xy": xy, "size": _list(m.size, n), "fill": _list(m.color, n),
                "stroke": _list(m.line.color, n), "sw": m.line.width or 1,
                "text": _list(tr.text, n) if "text" in mode else None,
                "textsize": (tr.textfont.size or 11) if "text" in mode else None,
            })  # fmt: skip
    for a in fig.layout.annotations:
        font = a.font
        items.append({
            "k": "text", "x": _num(a.x), "y": _num(a.y), "lines": _lines(a.text), "size": font.size or 11,
            "color": font.color or None, "anchor": [a.xanchor or "center", a.yanchor or "middle"],
            "bg": a.bgcolor,
        })  # fmt: skip
    x0, x1 = fig.layout.xaxis.range
    y0, y1 = fig.layout.yaxis.range
    return {"range": [float(x0), float(x1), float(y0), float(y1)], "items": items}


def scene(height: int, key: str = "") -> dict:
    """A shapes scene: only its height and a name (every drawing comes with the frames)."""
    body = {"kind": "shapes", "height": int(height), "key": key, "palettes": []}
    digest = hashlib.sha1(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    return {"id": digest, **body}
