"""Backprop, step by step: every number of one training step, with the formulas filled in."""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from pages.common import lesson
from playground.backprop import figures as bf
from playground.backprop import steps as bs
from playground.backprop import ui as bu
from playground.backprop.trace import MAX_REPEAT, repeat
from playground.core.activations import ACTIVATIONS
from playground.core.optimizers import OPTIMIZERS
from playground.live import channel, shapes
from playground.live.figures import PLOTLY_CONFIG

if PagesManager.uses_pages_directory and not st.session_state.get("nav.ready"):
    # A fresh server's first visit came straight here before app.py ever ran: Streamlit fell
    # back to listing pages/ ("app", no icons). Rerun through app.py's st.navigation.
    PagesManager.uses_pages_directory = False
    st.rerun()

st.set_page_config(page_title="Backprop · Neural Network Playground", layout="wide")
K = "bp."  # every session_state key of this page starts with it
AUTOPLAY_MS = 1500  # how long autoplay shows each sub-step
ss = st.session_state
DEFAULTS = {"source": bu.SOURCES[0], **bu.BackpropConfig().to_dict(), "index": 0, "playing": False, "ver": 0,
            "point": 0, "steps_n": 100}  # fmt: skip
for k, v in DEFAULTS.items():
    ss.setdefault(K + k, v)
ss.setdefault(K + "values", bu.preset_values("2"))


def preset_config():
    return bu.preset_config(ss[K + "shape"], ss[K + "loss_output"], activation=ss[K + "activation"],
                            optimizer=ss[K + "optimizer"], learning_rate=ss[K + "learning_rate"])  # fmt: skip


def keep_locked():
    """A lesson step's locked choices back at the step's values (greyed out in the browser; a
    change that comes anyway is undone before anything reads it)."""
    step = lesson.keep_locked(opened, locked, {f: ss[K + f] for f in bu.FIELDS})
    ss.update(
        {K + f: step[f] for f in bu.FIELDS} | ({K + "source": bu.SOURCES[0]} if "source" in locked else {})
    )


def new_shape():
    keep_locked()
    ss[K + "values"] = bu.preset_values(ss[K + "shape"])
    new_loss()


def new_loss():
    keep_locked()
    values = ss[K + "values"]
    ss[K + "values"] = {**values, "y": bu.targets_for(preset_config(), values["y"])}
    ss[K + "ver"] += 1  # fresh tables showing the new values


def restart(config: bu.BackpropConfig | None = None):
    """A lesson step's preset, from its first sub-step (None: the page as this session left it)."""
    ss[K + "session"] = config
    if config is not None:
        ss.update({K + f: getattr(config, f) for f in bu.FIELDS})
        ss.update({K + "source": bu.SOURCES[0], K + "index": 0, K + "playing": False})
        ss.pop(K + "error", None)
        ss[K + "values"] = bu.preset_values(config.shape)
        values = ss[K + "values"]
        ss[K + "values"] = {**values, "y": bu.targets_for(preset_config(), values["y"])}
        ss[K + "ver"] += 1


opened, hidden, locked = lesson.start(K, "backprop", restart, lambda: (None,))
keep_locked()
ss[K + "config"] = bu.BackpropConfig(**{f: ss[K + f] for f in bu.FIELDS})  # the Classroom's "use this setup"
if opened:
    lesson.sidebar(K, None)
    lesson.bar(K, None, restart, False, "backprop")


st.title("Backprop, step by step")
st.caption("One training step as it is taught: (1) forward propagation, (2) the error, (3) backward "
           "propagation by the chain rule, (4) the weight update. Real numbers, in float64.")  # fmt: skip
source = st.radio("Network", bu.SOURCES, key=K + "source", horizontal=True, label_visibility="collapsed",
                  disabled="source" in locked)  # fmt: skip

if source == bu.SOURCES[0]:
    # In a lesson step the walk comes first: the network's tables start folded.
    with st.expander("Network, example, weights and biases (every cell is editable)", expanded=not opened):
        row = st.columns(5)
        row[0].selectbox("Hidden layers", bu.SHAPES, key=K + "shape", on_change=new_shape,
                         disabled="shape" in locked)  # fmt: skip
        row[1].selectbox("Hidden activation", list(ACTIVATIONS), key=K + "activation",
                         disabled="activation" in locked)  # fmt: skip
        row[2].selectbox("Loss · output", bu.LOSS_OUTPUTS, key=K + "loss_output", on_change=new_loss,
                         disabled="loss_output" in locked)  # fmt: skip
        row[3].selectbox("Optimizer", list(OPTIMIZERS), key=K + "optimizer", disabled="optimizer" in locked)
        row[4].number_input("Learning rate", 1e-4, 10.0, key=K + "learning_rate", format="%g",
                            disabled="learning_rate" in locked)  # fmt: skip
        values, ver = ss[K + "values"], ss[K + "ver"]
        if "values" not in hidden:  # a lesson step may hide or lock the numbers
            cols = st.columns([1] + [max(len(la["bias"]), 2) for la in values["layers"]])
            text = {"value": st.column_config.TextColumn()}
            frozen = "values" in locked
            ex_df = cols[0].data_editor(bu.example_table(values["x"], values["y"]), key=f"{K}ed{ver}.example",
                                        column_config=text, disabled=frozen)  # fmt: skip
            layer_dfs = []
            for i, la in enumerate(values["layers"], 1):
                cols[i].caption(f"layer {i}: w[from, to] and bias")
                layer_dfs.append(cols[i].data_editor(bu.layer_table(la, i), key=f"{K}ed{ver}.layer{i}",
                                                     disabled=frozen))  # fmt: skip
            try:
                edited = bu.read_preset(ex_df, layer_dfs)
                if not frozen and not bu.same_values(edited, values):
                    ss[K + "values"] = edited
                    ss.pop(K + "error", None)
            except ValueError as e:
                ss[K + "error"] = f"{e}. The previous values are kept."
                ss[K + "ver"] += 1  # redraw the tables with the kept values
                st.rerun()
    if ss.get(K + "error"):
        st.error(ss[K + "error"])
    values = ss[K + "values"]
    example = bu.Example(preset_config(), values["layers"], values["x"], values["y"], label="preset")
else:
    pg = ss.get("pg.session")
    if pg is None:
        st.info("No Playground network in this session yet: open the Playground, build or train a network, "
                "and come back.")  # fmt: skip
        st.page_link("pages/1_Playground.py", label="Open the Playground", icon="▶️")
        st.stop()
    n = len(pg.task.x_train)
    ss[K + "point"] = min(ss[K + "point"], n - 1)
    st.number_input(f"Training point (0 to {n - 1})", 0, n - 1, key=K + "point", step=1)
    example = bu.playground_example(pg, int(ss[K + "point"]))
    if example.note:
        st.info(example.note)

key = example.key()
if ss.get(K + "trace_key") != key:
    trace = example.trace()
    ss[K + "trace"], ss[K + "trace_key"], ss[K + "repeat"] = (trace, bs.substeps(trace)), key, None
trace, steps = ss[K + "trace"]
ss[K + "index"] = min(ss[K + "index"], len(steps) - 1)
st.caption(f"{bu.describe(trace.config, trace.widths)} · {example.label}")


def go(i):
    ss[K + "index"] = max(0, min(i, len(steps) - 1))


def jump():
    if ss[K + "phase"]:
        go(bs.first_of_phase(steps, ss[K + "phase"]))


def toggle_play():
    ss[K + "playing"] = not ss[K + "playing"]
    if ss[K + "playing"] and ss[K + "index"] >= len(steps) - 1:
        go(0)


playing = ss[K + "playing"]
st.columns([1, 5])[0].button(
    "Pause" if playing else "Autoplay",
    key=K + "play",
    on_click=toggle_play,
    width="stretch",
    icon=":material/pause:" if playing else ":material/play_arrow:",
)


@st.cache_resource
def live_component():
    """The live view's browser code (the Playground's too), registered once per server."""
    return st.components.v2.component(**channel.component_files())


@st.fragment
def walk():
    """One sub-step. While autoplaying, the diagram's view asks for the next one (a pull) once
    it has shown this one for 1.5 s, and each run of this fragment is the next sub-step."""
    if ss[K + "playing"]:
        if ss[K + "index"] >= len(steps) - 1:
            ss[K + "playing"] = False
            st.rerun(scope="app")
        go(ss[K + "index"] + 1)
    i = ss[K + "index"]
    step = steps[i]
    ss[K + "phase"] = step.phase  # the selector follows the walk
    top = st.columns([1, 1, 4, 1.6])
    top[0].button("Previous", key=K + "prev", on_click=go, args=(i - 1,), disabled=i == 0, width="stretch",
                  icon=":material/skip_previous:")  # fmt: skip
    top[1].button("Next", key=K + "next", on_click=go, args=(i + 1,), disabled=i == len(steps) - 1,
                  width="stretch", icon=":material/skip_next:")  # fmt: skip
    top[2].segmented_control("Phase", bs.PHASES, key=K + "phase", on_change=jump,
                             label_visibility="collapsed")  # fmt: skip
    top[3].markdown(f"**Sub-step {i + 1} of {len(steps)}**")
    left, right = st.columns([1.7, 1])
    with left:
        fig = bf.trace_figure(trace, steps, i)
        ss[K + "seq"] = ss.get(K + "seq", 0) + 1
        frame = {"epoch": i + 1, "label": step.title, "shapes": shapes.from_figure(fig), "points": {}}
        asked = bool((ss.get(K + "net") or {}).get("need"))
        data = channel.payload(ss[K + "seq"], ss[K + "playing"], shapes.scene(fig.layout.height, "bp"),
                               [frame], sent=ss.setdefault(K + "sent", {}), asked=asked,
                               pause_on=".st-key-bp-play button")  # fmt: skip
        data["hold_ms"] = AUTOPLAY_MS
        live_component()(data=data, key=K + "net", on_pull_change=lambda: None, on_need_change=lambda: None)
        st.caption(bf.LEGEND)
        st.caption("In symbols")
        st.latex(step.symbolic)
        st.caption("With this example's numbers")
        st.latex(step.numeric)
    with right:
        st.markdown("**Every value so far** (newest first)")
        st.dataframe(bs.table(steps, i)[::-1], hide_index=True, width="stretch", height=560,
                     column_config={"value": st.column_config.NumberColumn(format="%.8g")})  # fmt: skip
    if step.phase == "update":
        after = st.columns([1, 1, 1, 2.5])
        after[0].metric("Loss before the step", f"{trace.loss:.6f}")
        change = f"{trace.loss_after - trace.loss:.3g}"
        after[1].metric("Loss after, same example", f"{trace.loss_after:.6f}", change, delta_color="inverse")
        n = after[2].number_input("Repeat N steps", 1, MAX_REPEAT, key=K + "steps_n", step=10)
        if after[2].button("Repeat", key=K + "repeat_go", icon=":material/replay:"):
            ss[K + "repeat"] = repeat(trace.config, trace.layers, trace.x, trace.y, int(n),
                                      opt_state=example.opt_state)[0]  # fmt: skip
        if ss.get(K + "repeat") is not None:
            losses = ss[K + "repeat"]
            after[3].caption(f"loss {losses[0]:.6f} → {losses[-1]:.6f} after {len(losses) - 1} steps")
            fig = bf.repeat_figure(losses)
            after[3].plotly_chart(fig, key=K + "curve", width="stretch", config=PLOTLY_CONFIG)


walk()
