"""CNN: assemble conv, pooling and dense layers, train on handwritten digits, and watch every
feature map, filter and convolution while it learns."""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from pages.common import controls, lesson
from playground import export
from playground.core.config import ConfigError, from_dict, from_query
from playground.data.images import IMAGE_SETS
from playground.data.points import DataError
from playground.live import ui as live_ui
from playground.zoo.cnn import frames, ui
from playground.zoo.cnn.config import PRESETS, CnnConfig
from playground.zoo.cnn.task import Session

if PagesManager.uses_pages_directory and not st.session_state.get("nav.ready"):
    # A fresh server's first visit came straight here before app.py ever ran: rerun through app.py.
    PagesManager.uses_pages_directory = False
    st.rerun()

st.set_page_config(page_title="CNN · Neural Network Playground", layout="wide")
K = "cnn."  # every session_state key of this page starts with it


def restart(new: Session, warnings=()):
    """Make `new` this page's session (a first visit, or a lesson's step)."""
    st.session_state[K + "session"] = new
    st.session_state.update(
        {
            K + "warnings": list(warnings),
            K + "playing": False,
            K + "choice": {"index": None},
            K + "editor_v": st.session_state.get(K + "editor_v", -1) + 1,  # a new layer builder
            K + "editor_base": new.config.layers,
        }
    )


def from_link():
    config, warnings = from_query(st.query_params.to_dict(), CnnConfig)
    return Session(config), warnings


opened, hidden, locked = lesson.start(K, "cnn", restart, from_link)
s = st.session_state[K + "session"]
for field in ui.WIDGET_FIELDS:  # every widget shows the config the session holds
    st.session_state[K + field] = getattr(s.config, field)
st.markdown(live_ui.PAGE_CSS, unsafe_allow_html=True)
if st.session_state[K + "warnings"]:
    st.warning("Some link settings were ignored: " + "; ".join(st.session_state[K + "warnings"]))


def apply(**changes):
    """Apply widget values (or `changes`); a refused change leaves the last good network training."""
    values = lesson.keep_locked(
        opened, locked, {f: st.session_state[K + f] for f in ui.WIDGET_FIELDS} | changes
    )
    try:
        s.apply(from_dict(values, base=s.config))
        st.session_state.pop(K + "error", None)
    except (ConfigError, DataError) as e:
        st.session_state[K + "error"] = str(e)


def set_playing(flag):
    st.session_state[K + "playing"] = flag and s.running
    st.session_state[K + "first_batch"] = flag


def choose_preset():
    name = st.session_state[K + "preset"]
    if name in PRESETS:
        apply(layers=PRESETS[name])
        st.session_state[K + "editor_v"] += 1  # the builder starts over from the preset
        st.session_state[K + "editor_base"] = PRESETS[name]


def on_view(event, value):
    """A click in the view: a gallery image, a drawing, a feature-map pixel, a confusion cell."""
    ui.on_view(s, st.session_state, K, event, value)


# ---- sidebar: data and the settings used less often ------------------------------------
if opened:
    lesson.sidebar(K, s)
with st.sidebar:
    st.markdown("**Data**")
    st.selectbox(
        "Dataset",
        list(IMAGE_SETS),
        key=K + "dataset",
        on_change=apply,
        help=" · ".join(f"{n}: {IMAGE_SETS[n].description}" for n in IMAGE_SETS),
    )
    st.caption(IMAGE_SETS[s.config.dataset].description)
    st.slider("Images (at most)", 10, 5000, step=10, key=K + "n_samples", on_change=apply)
    st.slider("Pixel noise (%)", 0.0, 50.0, step=1.0, key=K + "noise", on_change=apply)
    st.slider("Training share", 0.1, 0.9, step=0.05, key=K + "train_ratio", on_change=apply)
    st.number_input("Seed", 0, 2**31 - 1, key=K + "seed", on_change=apply)
    st.caption(IMAGE_SETS[s.config.dataset].credit)
    controls.training_settings(K, s, apply, ui.OPTIMIZERS, ui.INITS, ui.CHOICES["l2"])

# ---- run controls, learning rate, preset --------------------------------------------------
playing = st.session_state[K + "playing"]
controls.step_if_asked(K, s)  # before the lesson's goal line reads the run
if opened:
    lesson.bar(K, s, restart, playing, "cnn")
top = st.container(key="cnn-top").columns([1.1, 1.0, 1.05, 1.4, 2.2, 2.4], vertical_alignment="bottom")
controls.run_buttons(top, K, s, playing, set_playing)
top[3].select_slider(
    "Learning rate",
    live_ui.with_value(ui.CHOICES["learning_rate"], s.config.learning_rate),
    key=K + "learning_rate",
    on_change=apply,
)
st.session_state[K + "preset"] = ui.preset_of(s.config.layers)
if "layers" not in hidden:
    top[4].selectbox(
        "Network",
        [*PRESETS, ui.CUSTOM],
        key=K + "preset",
        on_change=choose_preset,
        disabled="layers" in locked,
    )
rows = s.table()
top[5].markdown(
    f"**{len(rows) - 1} layers · {sum(r['parameters'] for r in rows):,} parameters**  \n"
    f"{len(s.task.data.x_train):,} training / {len(s.task.data.x_test):,} test images"
)

layers_error = st.session_state.get(K + "error", "").startswith("layers")
if st.session_state.get(K + "error") and not layers_error:  # a layers error shows in the builder
    st.error(st.session_state[K + "error"])
if s.notice:
    st.toast(s.notice, icon=":material/info:")
    s.notice = None


def editor_columns() -> dict:
    cc = st.column_config
    return {
        "kind": cc.SelectboxColumn("kind", options=ui.KINDS, required=True, width="small"),
        "size": cc.NumberColumn(
            "filters / units",
            min_value=1,
            max_value=256,
            step=1,
            help="conv: filters (1–32); dense: units (1–256)",
        ),
        "kernel": cc.NumberColumn("kernel", min_value=1, max_value=7, step=1),
        "stride": cc.NumberColumn("stride", min_value=1, max_value=3, step=1),
        "padding": cc.SelectboxColumn("padding", options=ui.PADDINGS),
        "window": cc.NumberColumn("window", min_value=2, max_value=4, step=1),
        "rate": cc.NumberColumn("rate", min_value=0.0, max_value=0.9, step=0.05),
        "activation": cc.SelectboxColumn("activation", options=ui.ACTIVATION_NAMES),
    }


def editor_key() -> str:
    return K + f"editor{st.session_state[K + 'editor_v']}"


def edit_layers():
    """The builder's callback: runs before the page is drawn, so the summary and preset follow."""
    rows = ui.editor_rows(
        ui.rows_from_texts(st.session_state[K + "editor_base"]), st.session_state[editor_key()]
    )
    try:
        texts = ui.texts_from_rows(rows)
        if texts != s.config.layers:
            apply(layers=texts)
        elif st.session_state.get(K + "error", "").startswith("layers"):
            st.session_state.pop(K + "error")
    except ConfigError as e:
        st.session_state[K + "error"] = str(e)


if "layers" not in hidden:  # a lesson step may hide or lock the layers
    with st.expander(
        "Layers: edit the stack (output shapes and parameters update as you edit)"
        + (" (locked in this step)" if "layers" in locked else ""),
        icon=":material/layers:",
        expanded=layers_error,
    ):
        left, right = st.columns([4, 3])
        with left:
            # The editor's rows start from a fixed base (its edits are kept relative to it); a preset
            # starts a new editor.
            base = ui.editor_frame(st.session_state[K + "editor_base"])
            st.data_editor(
                base,
                key=editor_key(),
                num_rows="dynamic",
                hide_index=True,
                width="stretch",
                column_config=editor_columns(),
                on_change=edit_layers,
                disabled="layers" in locked,
            )
            if layers_error:
                message = st.session_state[K + "error"].removeprefix("layers: ")
                st.error(f"{message}. The last good network keeps training.")
        right.dataframe(ui.summary_rows(s.table()), hide_index=True, width="stretch")


def snap(last, since):
    return frames.frame(
        s.task,
        s.params,
        s.history,
        since,
        st.session_state[K + "choice"],
        last=last,
        explain=st.session_state.get(K + "explain"),
        cell=st.session_state.get(K + "cell"),
        filters=st.session_state.get(K + "filters"),
        progress=(s.part, s.parts),  # a big data set's epoch comes in parts, a frame each
    )


scene = lambda: frames.scene(s.task, s.table())  # noqa: E731
controls.live_view(K, s, scene, snap, frames.MODULE, on_view, ui.VIEW_EVENTS)
controls.downloads(
    K,
    s,
    "cnn",
    "python -m playground train --net cnn --config cnn-config.json",
    export=(s.epoch or 10, lambda: export.start_weights(s.task, s.params_json()["layers"])),
)
lesson.keep_link(opened, s.config)
