"""What the GAN page needs besides the view: the widgets' fields and choices, the settings a
switch to (or from) the digits brings, and the view's drawing checked. No Streamlit."""

from __future__ import annotations

import math

from playground.core.models import INITS as _INITS
from playground.core.optimizers import OPTIMIZERS as _OPTIMIZERS
from playground.zoo.gan.config import DIGITS_DEFAULTS, DRAWN_LIMIT, MAX_DRAWN, GanConfig, points_text

SIDEBAR_FIELDS = ("dataset", "n_samples", "spread", "seed", "noise_dim", "noise", "init")
SIDEBAR_FIELDS += ("gp_weight", "batch_size", "steps_per_epoch", "g_optimizer", "d_optimizer")
SIDEBAR_FIELDS += ("beta1", "beta2", "momentum")
TOP_FIELDS = ("loss", "d_steps", "g_learning_rate", "d_learning_rate")
WIDGET_FIELDS = (*SIDEBAR_FIELDS, *TOP_FIELDS)
LEARNING_RATES = (0.00001, 0.00003, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1)
OPTIMIZERS = tuple(_OPTIMIZERS)
INITS = tuple(_INITS)
VIEW_EVENTS = ("drawn",)
MAX_LAYER_LINES = 11
LOSS_HELP = (
    "nonsaturating: G maximizes log D(G(z)) (the usual choice); minimax: G minimizes log(1 − D(G(z))), "
    "the original game, whose gradient vanishes while D wins; leastsquares: both fit D's output to "
    "targets 1 (real) and 0 (fake); wgan-gp: D becomes a critic scoring realness, kept 1-Lipschitz by "
    "a gradient penalty of weight λ"
)
_POINT_DEFAULTS = {k: getattr(GanConfig(), k) for k in DIGITS_DEFAULTS}


def dataset_changes(old: GanConfig, new_dataset: str) -> dict:
    """Field changes for a switch of target: to digits, bigger networks and more noise numbers
    (unless the user changed them); back to points, the 2-D defaults."""
    changes = {"dataset": new_dataset}
    to_digits, from_digits = new_dataset == "digits", old.dataset == "digits"
    if to_digits and not from_digits:
        changes |= {k: v for k, v in DIGITS_DEFAULTS.items() if getattr(old, k) == _POINT_DEFAULTS[k]}
    elif from_digits and not to_digits:
        changes |= {k: v for k, v in _POINT_DEFAULTS.items() if getattr(old, k) == DIGITS_DEFAULTS[k]}
    return changes


def lines_to_layers(text: str) -> tuple[str, ...]:
    """One layer text a line (blank lines skipped); the config checks each and names a bad one."""
    if not isinstance(text, str):
        return ()
    return tuple(line.strip() for line in text.splitlines() if line.strip())[:MAX_LAYER_LINES]


def drawn_text(value) -> str:
    """The view's `drawn` value ({points: [[x, y], ...]}, untrusted) as the config's text.

    Raises:
      ValueError: naming what is wrong.
    """
    if not isinstance(value, dict) or not isinstance(value.get("points"), list):
        raise ValueError("expected {points: [[x, y], ...]}")
    pts = value["points"]
    if len(pts) > MAX_DRAWN:
        raise ValueError(f"at most {MAX_DRAWN} points, got {len(pts)}")
    out = []
    for p in pts:
        ok = isinstance(p, list) and len(p) == 2
        ok = ok and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in p
        )
        if not ok or max(abs(p[0]), abs(p[1])) > DRAWN_LIMIT:
            raise ValueError(f"a point is two numbers within ±{DRAWN_LIMIT:g}, got {str(p)[:30]}")
        out.append((float(p[0]), float(p[1])))
    return points_text(out)


def on_view(session, state, prefix: str, event: str, value) -> None:
    """A drawing from the view (untrusted): checked, then the user's points become the target;
    a bad one is named in `state[prefix + "error"]` and changes nothing."""
    if event != "drawn":
        return
    try:
        session.apply(session.config.replace(dataset="drawn", drawn=drawn_text(value)))
        state.pop(prefix + "error", None)
    except ValueError as e:  # ConfigError is one too
        state[prefix + "error"] = f"ignored a drawing from the view: {e}"


def link_query(query: dict) -> dict:
    """A link's query, with the default drawing when it asks for `dataset=drawn` without points."""
    if query.get("dataset") == "drawn" and not query.get("drawn"):
        return {**query, "drawn": default_drawing()}
    return query


def default_drawing() -> str:
    """What the `drawn` target starts from before the user draws: a heart of 40 points."""
    pts = []
    for i in range(40):
        t = 2 * math.pi * i / 40
        x = 16 * math.sin(t) ** 3 / 8
        y = (13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)) / 8
        pts.append((x, y + 0.3))
    return points_text(pts)
