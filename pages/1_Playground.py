"""The Playground: build a network, press Play, watch it learn (TensorFlow Playground's layout)."""

import json

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from pages.common import lesson
from pages.common.controls import export_buttons
from playground.classroom import player
from playground.core import models
from playground.core.config import ConfigError, from_dict
from playground.data.points import DATASETS, DataError
from playground.live import channel, figures, frames, stream, ui, view
from playground.live.session import Session

if PagesManager.uses_pages_directory and not st.session_state.get("nav.ready"):
    # A fresh server's first visit came straight here before app.py ever ran: Streamlit fell
    # back to listing pages/ ("app", no icons). Rerun through app.py's st.navigation.
    PagesManager.uses_pages_directory = False
    st.rerun()

st.set_page_config(page_title="Playground · Neural Network Playground", layout="wide")
K = "pg."  # every session_state key of this page starts with it


@st.cache_resource
def live_component():
    """The live view's browser code, registered once per server (it holds no user state)."""
    return st.components.v2.component(**channel.component_files())


def restart(new: Session, warnings=()):
    """Make `new` this page's session (a first visit, or a lesson's next step)."""
    st.session_state[K + "session"] = new
    st.session_state[K + "warnings"] = list(warnings)
    st.session_state[K + "playing"] = False
    st.session_state[K + "pace"] = stream.Pace()
    for field, value in ui.widget_values(new.config).items():
        st.session_state[K + field] = value


def session() -> Session:
    new_step = lesson.fresh(K)  # a lesson link to another step than the one kept
    if K + "session" not in st.session_state or new_step:
        if opened:  # a lesson link: its step's config and data
            restart(player.step_session(opened[1].steps[opened[2]]))
        else:
            config, warnings = ui.config_from_query(st.query_params.to_dict())
            restart(Session(config), warnings)
    return st.session_state[K + "session"]


lesson.follow()  # Back/Next to a step of another page
opened = lesson.open_from_query(K)
lesson.ensure_page(opened, "playground")
s = session()
# Every widget shows the config the session holds. (A rerun that interrupts a first run before its
# widgets reached the browser can bring them back at their defaults, and a refused change is undone.)
ui.sync_widgets(s, st.session_state, K)
st.markdown(ui.PAGE_CSS, unsafe_allow_html=True)
hidden = ui.hidden_controls(st.query_params.to_dict())
locked: set[str] = set()
if opened:
    step_hidden, locked = player.hidden_and_locked(opened[1].steps[opened[2]])
    hidden |= step_hidden
frozen = hidden | locked  # what the view's clicks and the upload may not change either
if st.session_state[K + "warnings"]:
    st.warning("Some link settings were ignored: " + "; ".join(st.session_state[K + "warnings"]))


def control(widget, field, label, **kw):
    """A widget bound to a config field (not drawn when a lesson link hides it)."""
    if ui.is_hidden(field, hidden):
        return st.session_state[K + field]
    return widget(label, key=K + field, disabled=ui.is_hidden(field, locked), **kw)


def apply_widgets():
    ui.fix_dependent_choices(st.session_state, K, s)
    values = {f: st.session_state[K + f] for f in ui.WIDGET_FIELDS if K + f in st.session_state}
    try:
        s.apply(from_dict(ui.widget_to_config(values), base=s.config))
        st.session_state.pop(K + "error", None)
    except (ConfigError, DataError) as e:
        st.session_state[K + "error"] = str(e)


def change_layers():
    ui.on_layer(s, st.session_state, K, frozen, st.session_state[K + "live"].get("layer"))


def add_clicked_point():
    ui.on_click(s, st.session_state, K, frozen, st.session_state[K + "live"].get("click"))


def upload_csv():
    """The uploader's callback: runs before any widget is drawn, so the dataset box can follow."""
    upload = st.session_state.get(K + "upload")
    if upload is not None:
        ui.on_upload(s, st.session_state, K, frozen, upload.name, upload.getvalue())


def set_playing(flag):
    st.session_state[K + "playing"] = flag and s.running
    st.session_state[K + "first_batch"] = flag


def step_once():
    st.session_state[K + "stepping"] = True


def controls(rows, where=st):
    for widget, field, label, kw in rows:
        if not ui.is_hidden(field, hidden):
            control(getattr(where, widget), field, label, on_change=apply_widgets, **kw)


# ---- sidebar: the data, and the settings used less often ---------------------------------
if opened:
    lesson.sidebar(K, s)
with st.sidebar:
    if "dataset" not in hidden:
        st.markdown("**Data**")
        thumbs = ui.thumbnails()
        st.image([thumbs[name] for name in DATASETS], caption=list(DATASETS), width=48)
    rows = ui.data_controls(st.session_state, K)
    controls(rows[:-1])
    if "dataset" not in frozen:
        st.file_uploader(
            f"Upload CSV (x1,x2,label; up to {ui.UPLOAD_LIMIT})",
            type=["csv", "txt"],
            key=K + "upload",
            on_change=upload_csv,
            max_upload_size=ui.UPLOAD_MB,
        )
        if st.session_state.get(K + "csv_error"):
            st.error(st.session_state[K + "csv_error"])
    if "features" not in hidden:
        st.markdown("**Input features**")
        controls(rows[-1:])
    with st.expander("More settings", icon=":material/tune:"):
        ui.fix_dependent_choices(st.session_state, K, s)
        for rows in ui.more_settings(s, st.session_state, K):
            controls(rows)

# ---- run controls and the main hyper-parameters (one row) -----------------------------------
playing = st.session_state[K + "playing"]
if st.session_state.pop(K + "stepping", False):  # before the lesson's goal line reads the run
    with st.spinner("Training one epoch (the first one compiles the training step)…"):
        s.step(1, chunk=1)
if opened:
    lesson.bar(K, s, restart, playing, "playground")
top_rows = [r for r in ui.top_row(s.config) if not ui.is_hidden(r[1], hidden)]
widths = [1.1, 1.0, 1.05, *([1.2] * len(top_rows))]
top = st.container(key="pg-top").columns(widths, vertical_alignment="bottom")
top[0].button(
    "Pause" if playing else "Play",
    key=K + "play",
    type="primary",
    width="stretch",
    icon=":material/pause:" if playing else ":material/play_arrow:",
    on_click=set_playing,
    args=(not playing,),
    disabled=not s.running and not playing,
)
top[1].button(
    "Step",
    key=K + "step",
    width="stretch",
    icon=":material/skip_next:",
    on_click=step_once,
    disabled=playing or not s.running,
)
top[2].button(
    "Reset",
    key=K + "reset",
    width="stretch",
    icon=":material/restart_alt:",
    on_click=lambda: (s.reset(), set_playing(False)),
)
for col, row in zip(top[3:], top_rows):
    with col:
        controls([row])

if st.session_state.get(K + "error"):
    st.error(st.session_state[K + "error"])
if s.notice:
    st.toast(s.notice, icon=":material/info:")
    s.notice = None

# ---- view options, then the live view -----------------------------------------------------
opts = st.container(key="pg-opts").columns([1.75, 1.1, 1.1, 1.05, 2.4], vertical_alignment="center")
edges = opts[0].segmented_control(
    "Edges", ["weights", "gradients"], default="weights", key=K + "edges", label_visibility="collapsed"
)
test = opts[1].toggle("Test data", key=K + "show_test")
disc = opts[2].toggle("Discretize", key=K + "discretize")
logy = opts[3].toggle("Log loss", key=K + "log")
if s.task.data.task == "classification" and "dataset" not in frozen:
    opts[4].segmented_control(
        "Click adds",
        key=K + "add_class",
        label_visibility="collapsed",
        options=ui.CLASS_NAMES[: s.task.data.n_classes],
        help="Choose a class, then click the output plane to add a point",
    )


@st.fragment
def live():
    if st.session_state.pop(K + "rerun_app", False):
        st.rerun(scope="app")
    add = st.session_state.get(K + "add_class")
    opt = view.Options(
        show_test=test,
        discretize=disc,
        edges=edges or "weights",
        log_y=logy,
        editable="hidden" not in frozen,
        add_class=ui.CLASS_NAMES.index(add) if add in ui.CLASS_NAMES else None,
    )
    scene = view.scene(s, opt, st.session_state.setdefault(K + "scene_cache", {}))
    pace = st.session_state[K + "pace"]
    data = channel.next_data(
        st.session_state,
        K,
        scene,
        batch=lambda n: view.batch(s, pace, opt, n),
        still=lambda: view.snapshot(s, opt, s.epoch),
        curve=lambda: frames.curve(s.history),
        running=lambda: s.running,
        pause_on=".st-key-pg-play button",
    )
    if playing and not data["playing"]:
        st.rerun(scope="app")  # training stopped: redraw the controls; that run shows the final state
    live_component()(
        data=data,
        key=K + "live",
        on_pull_change=lambda: None,
        on_need_change=lambda: None,
        on_click_change=add_clicked_point,
        on_layer_change=change_layers,
    )
    if s.stop_reason:
        st.warning(s.stop_reason)


live()

# ---- below the fold: numbers, weights, downloads -------------------------------------------
with st.expander("Metrics, weight histogram and downloads", icon=":material/download:"):
    a, b = st.columns([1, 2])
    a.dataframe(ui.metrics_table(s, st.session_state[K + "pace"].epochs), hide_index=True, width="stretch")
    with b:
        st.plotly_chart(figures.weights_figure(s.layers()), key=K + "hist", config=figures.PLOTLY_CONFIG)
    d = st.columns(4)
    d[0].download_button("Config JSON", s.config.to_json(), "config.json", "application/json", key=K + "dl1")
    d[1].download_button(
        "Weights JSON", json.dumps(s.params_json()), "weights.json", "application/json", key=K + "dl2"
    )
    d[2].download_button("Data CSV", s.data_csv(), "data.csv", "text/csv", key=K + "dl3")
    d[3].download_button("Loss history CSV", s.history_csv(), "history.csv", "text/csv", key=K + "dl4")
    start = lambda: models.params_to_layers(s.state.params)  # noqa: E731
    export_buttons(K, s.task, s.epoch or 500, start, "experiment")

if opened:  # a lesson's link stays the lesson's (its step's config comes from the lesson)
    st.query_params.from_dict({"lesson": opened[0], "step": str(opened[2] + 1)})
else:
    st.query_params.from_dict({**s.config.to_query(), **{f"{h}_hide": "1" for h in sorted(hidden)}})
