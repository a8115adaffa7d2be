"""The Playground: build a network, press Play, watch it learn (TensorFlow Playground's layout)."""

import json

import streamlit as st

from playground import figures, ui
from playground.config import ConfigError, from_dict
from playground.datasets import DATASETS, DataError
from playground.session import Session

st.set_page_config(page_title="Playground · Neural Network Playground", layout="wide")
K = "pg."  # every session_state key of this page starts with it


def session() -> Session:
    if K + "session" not in st.session_state:
        config, warnings = ui.config_from_query(st.query_params.to_dict())
        st.session_state[K + "session"] = Session(config)
        st.session_state[K + "warnings"] = warnings
        st.session_state[K + "playing"] = False
        for field, value in ui.widget_values(config).items():
            st.session_state[K + field] = value
    return st.session_state[K + "session"]


s = session()
# Keep charts fully drawn while a live redraw is pending (no grey-out flicker).
st.markdown(
    "<style>[data-stale='true']{opacity:1 !important; transition:none !important}"
    ".st-key-pg-features div{flex-wrap:wrap !important; overflow:visible !important}</style>",
    unsafe_allow_html=True,
)
hidden = ui.hidden_controls(st.query_params.to_dict())
if st.session_state[K + "warnings"]:
    st.warning("Some link settings were ignored: " + "; ".join(st.session_state[K + "warnings"]))


def control(widget, field, label, **kw):
    """A widget bound to a config field (hidden by a lesson link's `FIELD_hide`)."""
    if field in hidden:
        return st.session_state[K + field]
    return widget(label, key=K + field, **kw)


def apply_widgets():
    ui.fix_dependent_choices(st.session_state, K, s)
    values = {f: st.session_state[K + f] for f in ui.WIDGET_FIELDS if K + f in st.session_state}
    try:
        s.apply(from_dict(ui.widget_to_config(values), base=s.config))
        st.session_state.pop(K + "error", None)
    except (ConfigError, DataError) as e:
        st.session_state[K + "error"] = str(e)


def change_layers(op, layer=None):
    try:
        s.apply(s.config.replace(**ui.edit_layers(s.config, op, layer)))
        for field, value in ui.widget_values(s.config).items():
            st.session_state[K + field] = value
    except ConfigError as e:
        st.session_state[K + "error"] = str(e)


def chart(fig, name, width, **kw):
    # Fixed pixel widths, as TensorFlow Playground's: a live redraw remounts each chart, and a
    # "stretch" chart stays hidden until it has measured its column, so it blinked on every tick.
    fig.update_layout(width=width)
    st.plotly_chart(fig, key=K + "chart." + name, width="content", config=figures.PLOTLY_CONFIG, **kw)


def add_clicked_point():
    """A click on the output plane adds a training point of the class chosen under it."""
    label = st.session_state.get(K + "add_class")
    points = (st.session_state.get(K + "chart.out") or {}).get("selection", {}).get("points", [])
    if label is None or not points or "x" not in points[-1]:
        return
    try:
        s.add_point(float(points[-1]["x"]), float(points[-1]["y"]), ui.CLASS_NAMES.index(label))
        st.session_state[K + "dataset"] = "csv"
        st.session_state[K + "rerun_app"] = True  # the data box and the note sit outside the fragment
    except DataError as e:
        st.session_state[K + "error"] = str(e)


def set_playing(flag):
    st.session_state[K + "playing"] = flag and s.running
    if flag:
        s.resume()


def controls(rows):
    for widget, field, label, kw in rows:
        control(getattr(st, widget), field, label, on_change=apply_widgets, **kw)


# ---- run controls and hyper-parameters (top row) -----------------------------------
playing = st.session_state[K + "playing"]
top = st.columns([0.9, 0.8, 0.85, 1.3, 1.2, 1.2, 1.2, 1.3])
top[0].button("Pause" if playing else "Play", key=K + "play", type="primary", width="stretch",
              icon=":material/pause:" if playing else ":material/play_arrow:", on_click=set_playing,
              args=(not playing,), disabled=not s.running and not playing)
top[1].button("Step", key=K + "step", width="stretch", icon=":material/skip_next:",
              on_click=lambda: s.step(1, chunk=1), disabled=playing)
top[2].button("Reset", key=K + "reset", width="stretch", icon=":material/restart_alt:",
              on_click=lambda: (s.reset(), set_playing(False)))
for col, row in zip(top[3:], ui.top_row(s.config)):
    with col:
        controls([row])

with st.expander("More settings: loss, optimizer numbers, descent variant, dropout, early stopping"):
    ui.fix_dependent_choices(st.session_state, K, s)
    for col, rows in zip(st.columns(4), ui.more_settings(s, st.session_state, K)):
        with col:
            controls(rows)

if st.session_state.get(K + "error"):
    st.error(st.session_state[K + "error"])
if s.notice:
    st.info(s.notice)

# ---- data | network | output ---------------------------------------------------------
left, right = st.columns([1, 4.2])
with left:
    st.markdown("**Data**")
    thumbs = ui.thumbnails()
    st.image([thumbs[name] for name in DATASETS], caption=list(DATASETS), width=58)
    rows = ui.data_controls(st.session_state, K)
    controls(rows[:-1])
    upload = st.file_uploader("Upload CSV (x1,x2,label)", type=["csv", "txt"], key=K + "upload")
    if upload is not None and st.session_state.get(K + "upload_id") != upload.file_id:
        st.session_state[K + "upload_id"] = upload.file_id
        try:
            s.set_csv(upload.getvalue())
            st.session_state[K + "dataset"] = "csv"
            st.session_state.pop(K + "csv_error", None)
        except (DataError, ConfigError) as e:
            st.session_state[K + "csv_error"] = f"{upload.name}: {e}. The previous data is kept."
    if st.session_state.get(K + "csv_error"):
        st.error(st.session_state[K + "csv_error"])
    st.markdown("**Features**")
    controls(rows[-1:])

with right:
    row = st.columns([1, 1, *([1] * max(len(s.config.hidden), 1)), 2])
    row[0].button("layer", icon=":material/add:", key=K + "add_layer", on_click=change_layers,
                  args=("add_layer",), width="stretch")
    row[1].button("layer", icon=":material/remove:", key=K + "del_layer", on_click=change_layers,
                  args=("del_layer",), width="stretch", disabled=not s.config.hidden)
    for i, width in enumerate(s.config.hidden):
        with row[2 + i]:
            a, b = st.columns(2)
            a.button("+", key=f"{K}add{i}", on_click=change_layers, args=("add_neuron", i), width="stretch")
            b.button("−", key=f"{K}del{i}", on_click=change_layers, args=("del_neuron", i), width="stretch")
            st.caption(f"layer {i + 1}: {width} neurons")

    @st.fragment(run_every=0.25 if playing else None)
    def live():
        if st.session_state.pop(K + "rerun_app", False):
            st.rerun(scope="app")
        if st.session_state[K + "playing"]:
            s.tick()
            if not s.running:
                st.session_state[K + "playing"] = False
                st.rerun(scope="app")  # redraw the controls and stop the timer
        st.markdown(ui.status_text(s))
        if s.stop_reason:
            st.warning(s.stop_reason)
        net_col, out_col = st.columns([1.25, 1])
        grid = s.grid(ui.GRID)
        with net_col:
            show = st.segmented_control("Edges", ["weights", "gradients"], default="weights", key=K + "edges")
            grads = s.gradients() if show == "gradients" else None
            chart(figures.network_figure(s.task, grid, s.layers(), grads, show=show or "weights"), "net", 500)
            chart(figures.weights_figure(s.layers()), "hist", 500)
        with out_col:
            t1, t2, t3 = st.columns(3)
            test = t1.toggle("Test data", key=K + "show_test")
            disc = t2.toggle("Discretize", key=K + "discretize")
            logy = t3.toggle("Log loss", key=K + "log")
            clicks = 48 if st.session_state.get(K + "add_class") else 0  # a grid of click targets
            chart(figures.output_figure(s.task, grid, show_test=test, discretize=disc, click_grid=clicks),
                  "out", 400, on_select=add_clicked_point, selection_mode="points")
            if s.task.data.task == "classification":
                st.segmented_control("Click on the plane to add a point of class", key=K + "add_class",
                                     options=ui.CLASS_NAMES[: s.task.data.n_classes])
            chart(figures.loss_figure(s.history, log_y=logy), "loss", 400)
            st.dataframe(ui.metrics_table(s), hide_index=True, width="stretch")

    live()

    if not playing:
        d = st.columns(4)
        d[0].download_button("Config JSON", s.config.to_json(), "config.json", "application/json",
                             key=K + "dl1")
        d[1].download_button("Weights JSON", json.dumps(s.params_json()), "weights.json", "application/json",
                             key=K + "dl2")
        d[2].download_button("Data CSV", s.data_csv(), "data.csv", "text/csv", key=K + "dl3")
        d[3].download_button("Loss history CSV", s.history_csv(), "history.csv", "text/csv", key=K + "dl4")

st.query_params.from_dict({**s.config.to_query(), **{f"{h}_hide": "1" for h in sorted(hidden)}})
