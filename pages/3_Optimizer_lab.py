"""Optimizer lab: race optimizers and descent variants on the same data from the same weights."""

import pandas as pd
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from pages.common import lesson
from playground.core.config import CHOICES, Config
from playground.lab import figures as rf
from playground.lab import landscape, race, race_view
from playground.live import channel, figures, stream

if PagesManager.uses_pages_directory and not st.session_state.get("nav.ready"):
    # A fresh server's first visit came straight here before app.py ever ran: Streamlit fell
    # back to listing pages/ ("app", no icons). Rerun through app.py's st.navigation.
    PagesManager.uses_pages_directory = False
    st.rerun()

st.set_page_config(page_title="Optimizer lab · Neural Network Playground", layout="wide")
K = "lab."  # every session_state key of this page starts with it


def playground_base() -> Config:
    """The Playground page's data and network when it has run in this session, else the defaults."""
    pg = st.session_state.get("pg.session")
    return race.neutral_base(pg.config if pg is not None else Config())


@st.cache_resource
def live_component():
    """The live view's browser code (the Playground's too), registered once per server."""
    return st.components.v2.component(**channel.component_files())


def start(base: Config, contenders: list) -> None:
    st.session_state[K + "race"] = race.Race(base, race.normalize(base, contenders))
    st.session_state[K + "playing"] = False
    st.session_state[K + "table_version"] = st.session_state.get(K + "table_version", -1) + 1
    st.session_state.pop(K + "error", None)


def keep_preset() -> None:
    if "preset" in locked:  # a lesson step's preset (greyed out; a change that comes anyway is undone)
        st.session_state[K + "preset"] = lesson.step_of(opened).page_config().preset


def load_preset() -> None:
    keep_preset()
    start(*race.preset(st.session_state[K + "preset"], base()))


def base() -> Config:
    """The Playground's data and network, or in a lesson the defaults (every student races the same)."""
    return race.neutral_base(Config()) if opened else playground_base()


def restart(config: race.LabConfig | None = None):
    """A lesson step's preset race (None: the default preset on a first visit)."""
    st.session_state[K + "session"] = config
    st.session_state[K + "preset"] = name = (config or race.LabConfig()).preset
    start(*race.preset(name, race.neutral_base(Config()) if config else playground_base()))


opened, hidden, locked = lesson.start(K, "lab", restart, lambda: (None,))
keep_preset()
# The Classroom's "use this page's setup" reads it.
st.session_state[K + "config"] = race.LabConfig(st.session_state[K + "preset"])
if opened:
    lesson.sidebar(K, None)
r: race.Race = st.session_state[K + "race"]
st.markdown(
    "<style>[data-stale='true']{opacity:1 !important; transition:none !important}"
    "[data-testid='stMainBlockContainer']{padding-top:2.6rem !important; padding-bottom:1rem !important}"
    "</style>",
    unsafe_allow_html=True,
)


def chart(fig, name: str) -> None:
    st.plotly_chart(fig, key=K + "chart." + name, width="stretch", config=figures.PLOTLY_CONFIG)


def set_playing(flag: bool) -> None:
    st.session_state[K + "playing"] = flag and r.running
    st.session_state[K + "first_batch"] = flag


# ---- run controls on top; the contenders (which may replace the race) in an expander --------
if opened:
    lesson.bar(K, None, restart, False, "lab")
controls = st.container()
if "contenders" not in hidden:  # a lesson step may hide or lock the contenders
    with st.expander(f"Contenders: {len(r.labels)} — edit them, or pick a preset", icon=":material/edit:"):
        st.caption(
            "Which optimizer, which batch size, which learning rate, and why? Every contender trains on "
            "the same data from the same initial weights; contenders with the same compiled shape train "
            "together, up to four in one vmapped call, and the calls run side by side on the server's "
            f"cores. Task: {race.task_summary(r.base)}. "
            + ("" if opened else "Change the data and network on the Playground page, then reload a preset.")
        )
        table = st.data_editor(
            pd.DataFrame(race.to_rows(r.base, r.contenders)),
            key=f"{K}table{st.session_state[K + 'table_version']}",
            num_rows="dynamic",
            disabled="contenders" in locked,
            width="stretch",
            placeholder=rf.DASH,  # a number the row's optimizer does not use (SGD's momentum)
            column_config={
                "label": st.column_config.TextColumn("label", help="blank: described from the settings"),
                "optimizer": st.column_config.SelectboxColumn("optimizer", options=CHOICES["optimizer"]),
                "gd_variant": st.column_config.SelectboxColumn("descent", options=CHOICES["gd_variant"]),
                "learning_rate": st.column_config.NumberColumn("learning rate", format="%g"),
                "batch_size": st.column_config.NumberColumn("batch size", step=1),
                "early_stopping_patience": st.column_config.NumberColumn("patience (0 = off)", step=1),
                **{
                    f: st.column_config.NumberColumn(f, format="%g")
                    for f in ("momentum", "beta1", "beta2", "l2")
                },  # fmt: skip
                "dropout": st.column_config.NumberColumn("dropout", format="%g"),
            },
        )
        try:
            edited = race.from_rows(r.base, table.to_dict("records"))
            if edited != r.contenders and "contenders" not in locked:  # a lesson step may lock them
                r = race.Race(r.base, edited)
                st.session_state[K + "race"] = r
                st.session_state[K + "playing"] = False
            st.session_state.pop(K + "error", None)
        except race.RaceError as e:
            st.session_state[K + "error"] = f"{e}. The previous contenders are kept."
if st.session_state.get(K + "error"):
    st.error(st.session_state[K + "error"])

playing = st.session_state[K + "playing"]
with controls:
    row = st.columns([2.2, 1, 1.15, 1.05, 1.3, 1.1], vertical_alignment="bottom")
    row[0].selectbox("Preset", list(race.PRESETS), key=K + "preset", on_change=load_preset,
                     help=race.PRESETS[st.session_state[K + "preset"]].description,
                     disabled="preset" in locked)  # fmt: skip
    row[1].button("Pause" if playing else "Play", key=K + "play", type="primary", width="stretch",
                  icon=":material/pause:" if playing else ":material/play_arrow:", on_click=set_playing,
                  args=(not playing,), disabled=not r.running and not playing)  # fmt: skip
    row[2].button("+10 epochs", key=K + "step", width="stretch", on_click=lambda: r.advance(10, chunk=16),
                  disabled=playing)  # fmt: skip
    row[3].button("Reset", key=K + "reset", width="stretch", icon=":material/restart_alt:",
                  on_click=lambda: (r.reset(), set_playing(False)))  # fmt: skip
    target = row[4].number_input("Target train loss", min_value=1e-6, max_value=1e3, value=0.1, format="%g",
                                 key=K + "target")  # fmt: skip
    log_y = row[5].toggle("Log loss", value=True, key=K + "log")

race_tab, land_tab, slice_tab = st.tabs(["Race", "Loss landscape", "Network loss slice"])
with race_tab:

    @st.fragment
    def live():
        pace = st.session_state.setdefault(K + "pace", stream.Pace())
        data = channel.next_data(st.session_state, K, race_view.scene(r, log_y),
                                 batch=lambda n: race_view.batch(r, pace, n),
                                 still=lambda: race_view.snapshot(r, r.epoch),
                                 curve=lambda: race_view.curve(r), running=lambda: r.running,
                                 pause_on=".st-key-lab-play button")  # fmt: skip
        if playing and not data["playing"]:
            st.rerun(scope="app")  # the race stopped: redraw the controls
        live_component()(data=data, key=K + "live", on_pull_change=lambda: None, on_need_change=lambda: None)
        if st.session_state[K + "playing"]:
            st.caption(f"{len(r.labels)} contenders in {len(r.groups)} compiled group(s). The results table "
                       "is filled in when the race pauses.")  # fmt: skip
            return
        statuses = r.status_names()
        results = rf.results_table(r.labels, r.histories, statuses, r.group_of, [g.seconds for g in r.groups],
                                   target)  # fmt: skip
        st.dataframe(results, hide_index=True, width="stretch", placeholder=rf.DASH)
        st.caption(
            f"{len(r.labels)} contenders in {len(r.groups)} compiled group(s); at most {race.MAX_CONTENDERS} "
            f"contenders and {race.MAX_EPOCHS:,} epochs per race. Group time: training seconds of the "
            "contender's compiled group (compiles excluded); contenders in one group share it."
        )

    live()

with land_tab:
    names = list(landscape.FUNCTIONS)

    def reset_start():
        f = landscape.FUNCTIONS[st.session_state[K + "fn"]]
        st.session_state[K + "x0"], st.session_state[K + "y0"] = f.start
        st.session_state[K + "lr_scale"] = f.lr_scale

    def clicked_start():
        points = st.session_state[K + "chart.landscape"].selection.points
        if points:
            st.session_state[K + "x0"], st.session_state[K + "y0"] = (round(points[0][a], 2) for a in "xy")

    if K + "fn" not in st.session_state:
        st.session_state[K + "fn"] = names[0]
        reset_start()
    c = st.columns([2, 1, 1, 1.5, 1.5])
    name = c[0].selectbox("Function", names, key=K + "fn", on_change=reset_start)
    fn = landscape.FUNCTIONS[name]
    x0 = c[1].number_input("start x", min_value=-10.0, max_value=10.0, step=0.1, format="%g", key=K + "x0")
    y0 = c[2].number_input("start y", min_value=-10.0, max_value=10.0, step=0.1, format="%g", key=K + "y0")
    steps = c[3].select_slider("Steps", [50, 100, 200, 300, 500, 1000, 2000], value=300, key=K + "steps")
    scale = c[4].select_slider("Learning-rate scale", sorted({0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0,
                               fn.lr_scale}), key=K + "lr_scale")  # fmt: skip
    st.caption(
        f"{fn.description} Each contender's optimizer with its learning rate × {scale:g}, on full "
        "gradients (batch settings do not apply). Click the plot to start there; drag the step slider "
        "to replay the paths."
    )
    paths, escaped = landscape.trajectories(name, r.configs, (x0, y0), steps, scale)
    upto = st.slider("Show the paths up to step", 0, steps, steps, key=f"{K}upto{steps}")
    st.plotly_chart(rf.landscape_figure(fn, landscape.surface(name), paths, r.labels, upto, click_grid=41),
                    key=K + "chart.landscape", width="stretch", config=figures.PLOTLY_CONFIG,
                    on_select=clicked_start, selection_mode="points")  # fmt: skip
    st.dataframe(landscape.path_summary(name, r.labels, paths, escaped), hide_index=True, width="stretch",
                 placeholder=rf.DASH)  # fmt: skip

with slice_tab:
    c = st.columns([2, 2, 1, 1])
    who = c[0].selectbox("Contender", range(len(r.labels)), format_func=lambda i: r.labels[i], key=K + "who")
    who = who if who is not None and who < len(r.labels) else 0
    mode = c[1].radio("Directions", landscape.DIRECTIONS, horizontal=True, key=K + "dirs")
    seed = c[2].number_input("Seed", min_value=0, max_value=10_000, value=0, key=K + "dir_seed")
    n = c[3].select_slider("Grid", [21, 31, 41, 61], value=41, key=K + "slice_n")
    weights = (0, 1)
    if mode == landscape.DIRECTIONS[2]:
        wn = landscape.weight_names(r.params(who))
        w = st.columns(2)
        weights = (w[0].selectbox("First weight", range(len(wn)), format_func=wn.__getitem__, key=K + "w1"),
                   w[1].selectbox("Second weight", range(len(wn)), index=1, format_func=wn.__getitem__,
                                  key=K + "w2"))  # fmt: skip
    epochs, path = r.path(who)
    try:
        view = landscape.network_slice(r.groups[r.group_of[who]].task, r.params(who), epochs, path, mode,
                                       int(seed), weights, n)  # fmt: skip
        chart(rf.slice_figure(view["slice"], view["coords"], view["epochs"], r.labels[who],
                              rf.color(who), view["titles"]), "slice")  # fmt: skip
        st.caption(
            "Train loss on the plane through the contender's current weights (the star); the line is "
            "its weight snapshots, one per live tick, projected onto the plane."
        )
    except ValueError as e:
        st.info(f"{e}.")
