"""What every zoo page draws the same way: the run buttons, the optimizer settings, one epoch on
Step, the live view's fragment (a view module fed batches of frames through the channel) and the
downloads. A page keeps its own state under its prefix `K` and passes its session and callbacks."""

import json

import streamlit as st

from playground import export
from playground.live import channel, stream
from playground.live import frames as live_frames
from playground.live import ui as live_ui


@st.cache_resource
def live_component():
    """The live view's loader (shared by every page), registered once per server."""
    return st.components.v2.component(**channel.component_files())


def run_buttons(cols, K: str, s, playing: bool, set_playing):
    """Play/Pause, Step (asks for one epoch: see `step_if_asked`) and Reset in cols[0..2]."""
    cols[0].button(
        "Pause" if playing else "Play",
        key=K + "play",
        type="primary",
        width="stretch",
        icon=":material/pause:" if playing else ":material/play_arrow:",
        on_click=set_playing,
        args=(not playing,),
        disabled=not s.running and not playing,
    )
    cols[1].button(
        "Step",
        key=K + "step",
        width="stretch",
        icon=":material/skip_next:",
        disabled=playing or not s.running,
        on_click=lambda: st.session_state.update({K + "stepping": True}),
    )
    cols[2].button(
        "Reset",
        key=K + "reset",
        width="stretch",
        icon=":material/restart_alt:",
        on_click=lambda: (s.reset(), set_playing(False)),
    )


def step_if_asked(K: str, s):
    if st.session_state.pop(K + "stepping", False):
        with st.spinner("Training one epoch (the first one compiles the training step)…"):
            s.step(1, chunk=1)


def training_settings(K: str, s, apply, optimizers, inits, l2_stops):
    """The optimizer and regularization expander (its widgets hold the config's fields)."""
    with st.expander("Optimizer and regularization", icon=":material/tune:"):
        st.selectbox("Optimizer", optimizers, key=K + "optimizer", on_change=apply)
        st.selectbox("Descent", ("minibatch", "batch", "stochastic"), key=K + "gd_variant", on_change=apply)
        st.number_input("Batch size", 1, 1000, key=K + "batch_size", on_change=apply)
        st.select_slider("L2", live_ui.with_value(l2_stops, s.config.l2), key=K + "l2", on_change=apply)
        st.selectbox("Initialization", inits, key=K + "init", on_change=apply)
        st.number_input(
            "Early stopping patience (0 = off)", 0, 10000, key=K + "early_stopping_patience", on_change=apply
        )


@st.fragment
def live_view(K: str, s, scene, snap, module, on_view, events):
    """The live view: Play streams batches of frames (an epoch's parts each, see StackSession);
    paused, one still frame. `scene()` and `snap(last, since)` build the view's data;
    `on_view(event, value)` takes the view's clicks (`events` names them)."""
    pace = st.session_state.setdefault(K + "pace", stream.Pace(epochs=1, frames=8, budget_s=0.4))
    playing = st.session_state[K + "playing"]
    since = [s.epoch]

    def frame(last):
        f = snap(last, since[0])
        since[0] = f["epoch"]
        return f

    data = channel.next_data(
        st.session_state,
        K,
        scene(),
        batch=lambda n: stream.play(lambda k: s.step_parts(k)[0], frame, pace, n, max_s=0.5),
        still=lambda: frame(True),
        curve=lambda: live_frames.curve(s.history),
        running=lambda: s.running,
        pause_on=f".st-key-{K[:-1]}-play button",
        module=module,
    )
    if playing and not data["playing"]:
        st.rerun(scope="app")  # training stopped: redraw the controls

    def handler(e):
        return lambda: on_view(e, (st.session_state.get(K + "live") or {}).get(e))

    live_component()(
        data=data,
        key=K + "live",
        on_pull_change=lambda: None,
        on_need_change=lambda: None,
        **{f"on_{e}_change": handler(e) for e in events},
    )
    if s.stop_reason:
        st.warning(s.stop_reason)


def downloads(K: str, s, name: str, command: str, export=None):
    """Config and weights as JSON files, and the command that trains the same network headless;
    with `export` = (epochs, start), the experiment as a script and a notebook (export_buttons)."""
    with st.expander("Downloads", icon=":material/download:"):
        d = st.columns(3)
        d[0].download_button(
            "Config JSON", s.config.to_json(), f"{name}-config.json", "application/json", key=K + "dl1"
        )
        weights, file = json.dumps(s.params_json()), f"{name}-weights.json"
        d[1].download_button("Weights JSON", weights, file, "application/json", key=K + "dl2")
        d[2].caption(f"Train it headless: `{command}`")
        if export is not None:
            export_buttons(K, s.task, *export, name=name)


def export_buttons(K: str, task, epochs: int, start, name: str):
    """Python script and Notebook buttons for `task` (built when clicked); `start()` gives the
    current weights ([{"kernel", "bias"}] per layer) for the box that asks for them (None: no
    box, the files start from the seed)."""
    e = st.columns([2, 1, 1], vertical_alignment="center")
    try:
        export.check(task)
    except ValueError as err:  # an experiment the exporter cannot write: say which
        e[0].caption(f"No script for this experiment: {err}.")
        return
    with_weights = start is not None and e[0].checkbox(
        "Take the current weights as the starting point",
        key=K + "export_weights",
        help="The script and the notebook train this experiment in plain JAX (same data, seed, updates).",
    )
    if start is None:
        e[0].caption("The script and the notebook train this experiment in plain JAX from the seed.")
    params = start() if with_weights else None
    for col, fmt, label, mime in (
        (e[1], "py", "Python script", "text/x-python"),
        (e[2], "ipynb", "Notebook", "application/x-ipynb+json"),
    ):
        col.download_button(
            label,
            lambda fmt=fmt: export.export_text(task, epochs, fmt, params),
            f"{name}.{fmt}",
            mime,
            key=K + "dl_" + fmt,
            on_click="ignore",
        )
