"""Autoencoder: squeeze digits, shapes or 2-D points through a small code and rebuild them; watch
the code space organize itself, click in it to decode any point."""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from pages.common import controls, lesson
from playground import export
from playground.core.config import ConfigError, from_dict, from_query
from playground.data.points import DataError
from playground.live import ui as live_ui
from playground.zoo.autoencoder import frames, ui
from playground.zoo.autoencoder.config import DATASETS, IMAGE_SETS, AeConfig
from playground.zoo.autoencoder.task import Session

if PagesManager.uses_pages_directory and not st.session_state.get("nav.ready"):
    # A fresh server's first visit came straight here before app.py ever ran: rerun through app.py.
    PagesManager.uses_pages_directory = False
    st.rerun()

st.set_page_config(page_title="Autoencoder · Neural Network Playground", layout="wide")
K = "ae."  # every session_state key of this page starts with it


def restart(new: Session, warnings=()):
    """Make `new` this page's session (a first visit, or a lesson's step)."""
    st.session_state[K + "session"] = new
    st.session_state.update({K + "warnings": list(warnings), K + "playing": False})
    for key in ("encoder_error", "decoder_error", "error", "probe", "pair"):
        st.session_state.pop(K + key, None)


def from_link():
    config, warnings = from_query(st.query_params.to_dict(), AeConfig)
    return Session(config), warnings


opened, hidden, locked = lesson.start(K, "autoencoder", restart, from_link)
s = st.session_state[K + "session"]
for field in ui.WIDGET_FIELDS:  # every widget shows the config the session holds
    st.session_state[K + field] = getattr(s.config, field)
for field in ("encoder", "decoder"):
    if st.session_state.get(K + field + "_error") is None:
        st.session_state[K + field] = ui.layers_to_lines(getattr(s.config, field))
st.markdown(live_ui.PAGE_CSS, unsafe_allow_html=True)
if st.session_state[K + "warnings"]:
    st.warning("Some link settings were ignored: " + "; ".join(st.session_state[K + "warnings"]))


def apply(**changes):
    """Apply widget values (or `changes`); a refused change leaves the last good network training."""
    values = {f: st.session_state.get(K + f, getattr(s.config, f)) for f in ui.WIDGET_FIELDS} | changes
    values = lesson.keep_locked(opened, locked, values | ui.dataset_changes(s.config, values["dataset"]))
    try:
        s.apply(from_dict(values, base=s.config))
        st.session_state.pop(K + "error", None)
        st.session_state.pop(K + "probe", None)  # a new plane: the old click means nothing there
        st.session_state.pop(K + "pair", None)
    except (ConfigError, DataError) as e:
        st.session_state[K + "error"] = str(e)


def apply_architecture():
    apply(**ui.architecture_changes(s.config.dataset, st.session_state[K + "architecture"]))


def apply_layers(field):
    try:
        values = lesson.keep_locked(opened, locked, {field: ui.lines_to_layers(st.session_state[K + field])})
        s.apply(from_dict(values, base=s.config))
        st.session_state.pop(K + field + "_error", None)
    except (ConfigError, DataError) as e:
        st.session_state[K + field + "_error"] = str(e)


def set_playing(flag):
    st.session_state[K + "playing"] = flag and s.running
    st.session_state[K + "first_batch"] = flag


# ---- sidebar: data, the encoder and decoder, the optimizer ----------------------------------
if opened:
    lesson.sidebar(K, s)
with st.sidebar:
    st.markdown("**Data**")
    st.selectbox(
        "Dataset",
        DATASETS,
        key=K + "dataset",
        on_change=apply,
        help="digits: scikit-learn's 8×8 digits; shapes: 16×16 drawn shapes; the rest: 2-D point sets",
    )
    st.slider("Samples (at most)", 10, 5000, step=10, key=K + "n_samples", on_change=apply)
    st.slider("Noise (%)", 0.0, 50.0, step=1.0, key=K + "noise", on_change=apply)
    st.slider("Training share", 0.1, 0.9, step=0.05, key=K + "train_ratio", on_change=apply)
    st.number_input("Seed", 0, 2**31 - 1, key=K + "seed", on_change=apply)
    st.markdown("**Network** (one layer a line, e.g. `dense units=64 activation=relu`)")
    st.selectbox(
        "Variant",
        ui.VARIANTS,
        format_func=ui.VARIANTS.get,
        key=K + "variant",
        on_change=apply,
        help=ui.VARIANT_HELP,
    )
    if s.config.variant == "denoising":
        st.slider("Corruption (noise std)", 0.0, 2.0, step=0.05, key=K + "corruption", on_change=apply)
    if s.config.variant == "vae":
        betas = live_ui.with_value(ui.BETAS, s.config.beta)
        st.select_slider("β (KL weight)", betas, key=K + "beta", on_change=apply)
    if s.config.dataset in IMAGE_SETS and not {"encoder", "decoder"} & hidden:
        st.session_state[K + "architecture"] = ui.architecture(s.config)
        st.selectbox(
            "Layers",
            ui.ARCHITECTURES,
            format_func=ui.ARCHITECTURES.get,
            key=K + "architecture",
            on_change=apply_architecture,
            disabled=bool({"encoder", "decoder"} & locked),
            help="dense: one 64-unit layer each side. convolutional: two stride-2 convolutions down, a "
            "reshape and two stride-2 transposed convolutions back up. Or edit the layers below.",
        )
    for field in ("encoder", "decoder"):
        st.text_area(
            f"{field.capitalize()} layers",
            key=K + field,
            height=80 if len(getattr(s.config, field)) < 2 else 150,  # a layer text wraps to two lines
            max_chars=2000,
            on_change=apply_layers,
            args=(field,),
        )
        if st.session_state.get(K + field + "_error"):
            st.error(st.session_state[K + field + "_error"] + ". The last good network keeps training.")
    controls.training_settings(K, s, apply, ui.OPTIMIZERS, ui.INITS, ui.CHOICES["l2"])

# ---- run controls, learning rate, the code's size --------------------------------------------
playing = st.session_state[K + "playing"]
controls.step_if_asked(K, s)  # before the lesson's goal line reads the run
if opened:
    lesson.bar(K, s, restart, playing, "autoencoder")
top = st.container(key="ae-top").columns([1.1, 1.0, 1.05, 1.5, 1.5, 2.6], vertical_alignment="bottom")
controls.run_buttons(top, K, s, playing, set_playing)
top[3].select_slider(
    "Learning rate",
    live_ui.with_value(ui.CHOICES["learning_rate"], s.config.learning_rate),
    key=K + "learning_rate",
    on_change=apply,
)
top[4].slider("Code size (bottleneck)", 1, 16, key=K + "latent", on_change=apply)
kind = "images" if s.config.dataset in IMAGE_SETS else "points"
top[5].markdown(
    f"**{sum(r['parameters'] for r in s.table()):,} parameters · code of {s.config.latent}** "
    f"({ui.summary(s.config)})  \n"
    f"{len(s.task.data.x_train):,} training / {len(s.task.data.x_test):,} test {kind}"
)
if st.session_state.get(K + "error"):
    st.error(st.session_state[K + "error"])
if s.notice:
    st.toast(s.notice, icon=":material/info:")
    s.notice = None


def on_view(event, value):
    """A click in the view: a point of the latent plane, or two gallery images to interpolate."""
    ui.on_view(s, st.session_state, K, event, value)


def snap(last, since):
    return frames.frame(
        s.task,
        s.params,
        s.history,
        since,
        probe=st.session_state.get(K + "probe"),
        pair=st.session_state.get(K + "pair"),
        progress=(s.part, s.parts),
    )


scene = lambda: frames.scene(s.task, s.table())  # noqa: E731
controls.live_view(K, s, scene, snap, frames.MODULE, on_view, ui.VIEW_EVENTS)
command = "python -m playground train --net autoencoder --config autoencoder-config.json"
halves = lambda: [*s.params_json()["encoder"], *s.params_json()["decoder"]]  # noqa: E731
start = lambda: export.start_weights(s.task, halves())  # noqa: E731
controls.downloads(K, s, "autoencoder", command, export=(s.epoch or 100, start))
lesson.keep_link(opened, s.config)
