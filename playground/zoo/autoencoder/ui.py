"""What the autoencoder page needs besides the view: the widgets' fields and choices, layer texts
to and from the page's text boxes, and the view's clicks checked. No Streamlit."""

from __future__ import annotations

import math

from playground.core.models import INITS as _INITS
from playground.core.optimizers import OPTIMIZERS as _OPTIMIZERS
from playground.data.images import IMAGE_SETS
from playground.live.ui import LEARNING_RATES, REG_RATES
from playground.zoo.autoencoder.config import VECTOR_KINDS, AeConfig

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

DENSE = AeConfig().encoder  # the default encoder, and decoder
ARCHITECTURES = {"dense": "dense", "conv": "convolutional", "custom": "custom"}


def conv_layers(dataset: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A convolutional encoder and decoder for an image set: two stride-2 3×3 convolutions down
    to a (h/4)×(w/4)×c map (c = 32, fewer for larger images), and back up with a dense layer, a
    reshape and two stride-2 transposed convolutions (the output conv is added)."""
    h, w, _ = IMAGE_SETS[dataset].shape
    c = min(32, 256 // (h // 4 * w // 4))  # the dense layer before the reshape has at most 256 units
    encoder = (
        "conv filters=16 kernel=3 stride=2 activation=relu",
        f"conv filters={c} kernel=3 stride=2 activation=relu",
    )
    decoder = (
        f"dense units={h // 4 * w // 4 * c} activation=relu",
        f"reshape height={h // 4} width={w // 4}",
        "convtranspose filters=16 kernel=3 stride=2 activation=relu",
        "convtranspose filters=8 kernel=3 stride=2 activation=relu",
    )
    return encoder, decoder


def architecture(config) -> str:
    """Which preset the config's layers are: "dense", "conv" (for its data set) or "custom"."""
    layers = (tuple(config.encoder), tuple(config.decoder))
    if layers == (DENSE, DENSE):
        return "dense"
    if config.dataset in IMAGE_SETS and layers == conv_layers(config.dataset):
        return "conv"
    return "custom"


def architecture_changes(dataset: str, name: str) -> dict:
    """The encoder and decoder of a preset ("custom" changes nothing)."""
    if name == "conv" and dataset in IMAGE_SETS:
        encoder, decoder = conv_layers(dataset)
        return {"encoder": encoder, "decoder": decoder}
    return {"encoder": DENSE, "decoder": DENSE} if name in ("dense", "conv") else {}


def dataset_changes(config, dataset: str) -> dict:
    """Switching data sets keeps the layers when they fit: the convolutional preset follows the
    images' size, and image layers give way to the dense preset on 2-D points."""
    if dataset == config.dataset:
        return {}
    if architecture(config) == "conv":
        return architecture_changes(dataset, "conv")
    image_kinds = {t.split()[0] for t in (*config.encoder, *config.decoder)} - set(VECTOR_KINDS)
    return {"encoder": DENSE, "decoder": DENSE} if image_kinds and dataset not in IMAGE_SETS else {}


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
