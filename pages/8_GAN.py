"""GAN: a generator learns to make points (or digits) that a discriminator cannot tell from real
ones; watch the game, step either player by hand, and read how good the samples are."""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from pages.common import controls, lesson
from playground.core.config import ConfigError, from_dict, from_query
from playground.live import ui as live_ui
from playground.zoo.gan import frames, quality, ui
from playground.zoo.gan.config import DATASETS, LOSSES, NOISES, GanConfig
from playground.zoo.gan.session import GanSession

if PagesManager.uses_pages_directory and not st.session_state.get("nav.ready"):
    # A fresh server's first visit came straight here before app.py ever ran: rerun through app.py.
    PagesManager.uses_pages_directory = False
    st.rerun()

st.set_page_config(page_title="GAN · Neural Network Playground", layout="wide")
K = "gan."  # every session_state key of this page starts with it


def restart(new: GanSession, warnings=()):
    """Make `new` this page's session (a first visit, or a lesson's step)."""
    st.session_state[K + "session"] = new
    st.session_state.update({K + "warnings": list(warnings), K + "playing": False})
    for key in ("generator_error", "discriminator_error", "error"):
        st.session_state.pop(K + key, None)


def from_link():
    config, warnings = from_query(ui.link_query(st.query_params.to_dict()), GanConfig)
    return GanSession(config), warnings


opened, hidden, locked = lesson.start(K, "gan", restart, from_link)
s = st.session_state[K + "session"]
for field in ui.WIDGET_FIELDS:  # every widget shows the config the session holds
    st.session_state[K + field] = getattr(s.config, field)
for field in ("generator", "discriminator"):
    if st.session_state.get(K + field + "_error") is None:
        st.session_state[K + field] = "\n".join(getattr(s.config, field))
st.markdown(live_ui.PAGE_CSS, unsafe_allow_html=True)
if st.session_state[K + "warnings"]:
    st.warning("Some link settings were ignored: " + "; ".join(st.session_state[K + "warnings"]))


def apply(**changes):
    """Apply widget values (or `changes`); a refused change leaves the last good game running."""
    values = lesson.keep_locked(
        opened, locked, {f: st.session_state[K + f] for f in ui.WIDGET_FIELDS} | changes
    )
    try:
        s.apply(from_dict(values, base=s.config))
        st.session_state.pop(K + "error", None)
    except ConfigError as e:
        st.session_state[K + "error"] = str(e)


def apply_dataset():
    new = st.session_state[K + "dataset"]
    changes = ui.dataset_changes(s.config, new)
    if new == "drawn" and not s.config.drawn:
        changes["drawn"] = ui.default_drawing()
    apply(**changes)


def apply_layers(field):
    try:
        values = lesson.keep_locked(opened, locked, {field: ui.lines_to_layers(st.session_state[K + field])})
        s.apply(from_dict(values, base=s.config))
        st.session_state.pop(K + field + "_error", None)
    except ConfigError as e:
        st.session_state[K + field + "_error"] = str(e)


def set_playing(flag):
    st.session_state[K + "playing"] = flag and s.running
    st.session_state[K + "first_batch"] = flag


# ---- sidebar: the target, the two networks, the optimizers ----------------------------------
if opened:
    lesson.sidebar(K, s)
with st.sidebar:
    st.markdown("**Target**")
    st.selectbox(
        "Real data",
        DATASETS,
        key=K + "dataset",
        on_change=apply_dataset,
        help="ring8: 8 Gaussians on a ring; grid25: 5×5 Gaussians; drawn: points you draw in the plane; "
        "digits: scikit-learn's 8×8 digits",
    )
    st.slider("Real samples", 50, 5000, step=50, key=K + "n_samples", on_change=apply)
    st.slider("Spread (std of each mode / noise)", 0.0, 0.5, step=0.01, key=K + "spread", on_change=apply)
    st.number_input("Seed", 0, 2**31 - 1, key=K + "seed", on_change=apply)
    st.markdown("**Networks** (one layer a line, e.g. `dense units=64 activation=relu`)")
    st.slider("Noise numbers (z)", 1, 64, key=K + "noise_dim", on_change=apply)
    st.selectbox("Noise distribution", NOISES, key=K + "noise", on_change=apply)
    for field in ("generator", "discriminator"):
        st.text_area(
            f"{field.capitalize()} layers (the output layer is added)",
            key=K + field,
            height=80,
            max_chars=2000,
            on_change=apply_layers,
            args=(field,),
        )
        if st.session_state.get(K + field + "_error"):
            st.error(st.session_state[K + field + "_error"] + ". The last good networks keep playing.")
    with st.expander("Optimizers and the game", icon=":material/tune:"):
        st.selectbox("Generator's optimizer", ui.OPTIMIZERS, key=K + "g_optimizer", on_change=apply)
        st.selectbox("Discriminator's optimizer", ui.OPTIMIZERS, key=K + "d_optimizer", on_change=apply)
        st.slider("Adam β1", 0.0, 0.99, step=0.05, key=K + "beta1", on_change=apply)
        st.slider("Adam β2", 0.9, 0.9999, step=0.0001, format="%.4f", key=K + "beta2", on_change=apply)
        st.slider("Momentum", 0.0, 0.99, step=0.01, key=K + "momentum", on_change=apply)
        st.slider("Gradient penalty λ (wgan-gp)", 0.0, 100.0, step=0.5, key=K + "gp_weight", on_change=apply)
        st.number_input("Batch size", 8, 512, key=K + "batch_size", on_change=apply)
        st.number_input(
            "Generator steps per frame (epoch)", 1, 500, key=K + "steps_per_epoch", on_change=apply
        )
        st.selectbox("Initialization", ui.INITS, key=K + "init", on_change=apply)

# ---- run controls, Step D / Step G, the game's numbers ----------------------------------------
playing = st.session_state[K + "playing"]
controls.step_if_asked(K, s)  # before the lesson's goal line reads the run
if opened:
    lesson.bar(K, s, restart, playing, "gan")
top = st.container(key="gan-top").columns(
    [1.05, 0.95, 0.95, 0.95, 1.0, 1.35, 1.1, 1.2, 1.2], vertical_alignment="bottom"
)
controls.run_buttons([top[0], top[1], top[4]], K, s, playing, set_playing)
for col, net, label in ((top[2], "d", "Step D"), (top[3], "g", "Step G")):
    col.button(
        label,
        key=K + "step_" + net,
        width="stretch",
        disabled=playing or not s.running,
        help=f"one update of the {'discriminator' if net == 'd' else 'generator'} only",
        on_click=s.step_net,
        args=(net,),
    )
top[5].selectbox("Loss", LOSSES, key=K + "loss", on_change=apply, help=ui.LOSS_HELP)
top[6].number_input("D steps per G step (k)", 1, 10, key=K + "d_steps", on_change=apply)
for col, net in ((top[7], "g"), (top[8], "d")):
    col.select_slider(
        f"{net.upper()} learning rate",
        live_ui.with_value(ui.LEARNING_RATES, getattr(s.config, net + "_learning_rate")),
        key=K + net + "_learning_rate",
        on_change=apply,
    )
if st.session_state.get(K + "error"):
    st.error(st.session_state[K + "error"])
if s.notice:
    st.toast(s.notice, icon=":material/info:")
    s.notice = None
if s.task.target.images:
    with st.spinner("Training the digits reader that scores the samples (once per server)…"):
        quality.digits_reader()


def on_view(event, value):
    """The view's drawing: the user's points become the target (checked first), unless a lesson
    step fixes the target."""
    if "dataset" in hidden | locked:
        st.session_state[K + "error"] = "the target is fixed in this lesson step: the drawing was ignored"
        return
    ui.on_view(s, st.session_state, K, event, value)


def snap(last, since):
    return frames.frame(s.task, s.state, s.history, since, s.last_moved)


scene = lambda: frames.scene(s.task, s.tables())  # noqa: E731
controls.live_view(K, s, scene, snap, frames.MODULE, on_view, ui.VIEW_EVENTS)
command = "python -m playground train --net gan --config gan-config.json"
controls.downloads(K, s, "gan", command, export=(s.epoch or 200, None))
lesson.keep_link(opened, s.config)
