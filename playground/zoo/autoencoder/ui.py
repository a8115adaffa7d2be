"""What the autoencoder page needs besides the view: the widgets' fields and choices, layer texts
to and from the page's text boxes, and the view's clicks checked. No Streamlit."""

from __future__ import annotations

import math

from playground.core.models import INITS as _INITS
from playground.core.optimizers import OPTIMIZERS as _OPTIMIZERS
from playground.live.ui import LEARNING_RATES, REG_RATES

SIDEBAR_FIELDS = ("dataset", "n_samples", "noise", "train_ratio", "seed", "optimizer", "gd_variant")
SIDEBAR_FIELDS += ("batch_size", "l2", "init", "early_stopping_patience", "variant", "corruption", "beta")
TOP_FIELDS = ("learning_rate", "latent")
WIDGET_FIELDS = (*SIDEBAR_FIELDS, *TOP_FIELDS)
BETAS = (0.0, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
CHOICES = {"learning_rate": LEARNING_RATES, "l2": REG_RATES, "beta": BETAS}
VARIANTS = {"plain": "plain", "denoising": "denoising", "vae": "variational (VAE)"}
VARIANT_HELP = (
    "plain: reproduce the input through the code. denoising: Gaussian noise (std = corruption) is "
    "added to the inputs while training, the targets stay clean. variational: the encoder gives a "
    "mean and a log-variance, the code is drawn from them while training (their mean is shown), "
    "and the loss adds β × the KL divergence to N(0, 1)."
)

OPTIMIZERS = tuple(_OPTIMIZERS)
INITS = tuple(_INITS)
VIEW_EVENTS = ("probe", "pair")
MAX_LAYER_LINES = 12


def summary(config) -> str:
    """The variant in a few words, for the line under the run controls."""
    if config.variant == "denoising":
        return f"denoising, noise std {config.corruption:g}"
    if config.variant == "vae":
        return f"variational, β {config.beta:g}"
    return "plain"


def lines_to_layers(text: str) -> tuple[str, ...]:
    """One layer text a line (blank lines skipped); the config checks each and names a bad one."""
    if not isinstance(text, str):
        return ()
    return tuple(line.strip() for line in text.splitlines() if line.strip())[:MAX_LAYER_LINES]


def layers_to_lines(texts) -> str:
    return "\n".join(texts)


def _finite(v, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or abs(v) > 1e6:
        raise ValueError(f"{name} must be a finite number, got {str(v)[:20]}")
    return float(v)


def on_view(session, state, prefix: str, event: str, value) -> None:
    """A click in the live view (untrusted input), checked before use: `probe` ({x, y}: a point
    of the latent plane to decode), `pair` ({a, b}: two gallery positions to interpolate)."""
    try:
        if not isinstance(value, dict):
            raise ValueError("expected an object")
        if event == "probe":
            state[prefix + "probe"] = (_finite(value.get("x"), "x"), _finite(value.get("y"), "y"))
        elif event == "pair":
            a, b = value.get("a"), value.get("b")
            for v in (a, b):
                if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 64:
                    raise ValueError(f"gallery positions are whole numbers from 0 to 63, got {str(v)[:20]}")
            state[prefix + "pair"] = (a, b)
        else:
            return
        state.pop(prefix + "error", None)
    except (ValueError, TypeError) as e:
        state[prefix + "error"] = f"ignored a {event} from the view: {e}"
