"""The recurrent and transformer pages: one page on sequences, two networks. Each page file calls
`render` with its name; what differs (the network's widgets, the view, the cells' comparison) is
chosen here by it."""

import pandas as pd
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from pages.common import controls, lesson
from playground.core.config import ConfigError, from_dict
from playground.data.points import DataError
from playground.data.sequences import MAX_TEXT, SEQUENCE_TASKS
from playground.live import ui as live_ui
from playground.zoo.sequence import compare, frames, ui
from playground.zoo.sequence.task import Session

TITLES = {"recurrent": "Recurrent networks", "transformer": "Transformer"}
PREFIX = {"recurrent": "rnn.", "transformer": "tfm."}  # every session_state key of a page starts with its own


def render(page: str):
    """Draw the page `page` ("recurrent" or "transformer")."""
    if PagesManager.uses_pages_directory and not st.session_state.get("nav.ready"):
        # A fresh server's first visit came straight here before app.py ever ran: rerun through app.py.
        PagesManager.uses_pages_directory = False
        st.rerun()

    st.set_page_config(page_title=f"{TITLES[page]} · Neural Network Playground", layout="wide")
    K = PREFIX[page]
    FIELDS = ui.FIELDS[page]
    recurrent = page == "recurrent"

    def restart(new: Session, warnings=()):
        """Make `new` this page's session (a first visit, or a lesson's step)."""
        st.session_state[K + "session"] = new
        st.session_state.update(
            {K + "warnings": list(warnings), K + "playing": False, K + "choice": 0, K + "temperature": 0.8}
        )

    def from_link():
        config, warnings = ui.start(page, st.query_params.to_dict())
        return Session(config), warnings

    opened, hidden, locked = lesson.start(K, page, restart, from_link)
    s = st.session_state[K + "session"]
    for field in FIELDS:  # every widget shows the config the session holds
        st.session_state[K + field] = getattr(s.config, field)
    st.markdown(live_ui.PAGE_CSS, unsafe_allow_html=True)
    if st.session_state[K + "warnings"]:
        st.warning("Some link settings were ignored: " + "; ".join(st.session_state[K + "warnings"]))

    def apply(**changes):
        """Apply widget values (or `changes`); a refused change leaves the last good network training."""
        values = lesson.keep_locked(opened, locked, {f: st.session_state[K + f] for f in FIELDS} | changes)
        try:
            s.apply(from_dict(values, base=s.config))
            st.session_state.pop(K + "error", None)
        except (ConfigError, DataError) as e:
            st.session_state[K + "error"] = str(e)

    def set_playing(flag):
        st.session_state[K + "playing"] = flag and s.running
        st.session_state[K + "first_batch"] = flag

    def set_text():
        text = st.session_state[K + "text"]
        try:
            s.set_text(text if text.strip() else None)
            st.session_state.pop(K + "text_error", None)
        except DataError as e:
            st.session_state[K + "text_error"] = str(e)

    # ---- sidebar: data, network size, optimizer ---------------------------------------------
    task = SEQUENCE_TASKS[s.config.task]
    if opened:
        lesson.sidebar(K, s)
    with st.sidebar:
        st.markdown("**Data**")
        st.slider(
            "Length T (steps)", 2, task.max_length, step=task.length_step, key=K + "length", on_change=apply
        )
        st.slider("Sequences", 10, 5000, step=10, key=K + "n_samples", on_change=apply)
        if "noise" in task.params:
            st.slider("Noise (%)", 0.0, 50.0, step=1.0, key=K + "noise", on_change=apply)
        if "vocab" in task.params:
            st.slider("Digits (vocabulary)", 2, 10, key=K + "vocab", on_change=apply)
        st.slider("Training share", 0.1, 0.9, step=0.05, key=K + "train_ratio", on_change=apply)
        st.number_input("Seed", 0, 2**31 - 1, key=K + "seed", on_change=apply)
        if s.config.task == "text":
            st.session_state.setdefault(K + "text", s.text or "")
            st.text_area(
                f"Your text (up to {MAX_TEXT:,} characters; empty: Python's own help text)",
                key=K + "text",
                max_chars=MAX_TEXT,
                height=120,
                on_change=set_text,
            )
            if st.session_state.get(K + "text_error"):
                st.error(st.session_state[K + "text_error"] + ". The last text is kept.")
            st.select_slider("Sample temperature", ui.TEMPERATURES, key=K + "temperature")
        st.markdown("**Network**")
        if recurrent:
            st.slider("Hidden units", 1, 128, key=K + "hidden", on_change=apply)
            st.slider("Recurrent layers", 1, 3, key=K + "rnn_layers", on_change=apply)
            if s.config.net == "rnn":
                st.selectbox("Activation (rnn cell)", ("tanh", "relu"), key=K + "activation", on_change=apply)
        else:
            st.slider("Blocks", 1, 4, key=K + "blocks", on_change=apply)
            st.select_slider(
                "Heads", live_ui.with_value((1, 2, 4), s.config.heads), key=K + "heads", on_change=apply
            )
            st.select_slider(
                "Model width d",
                live_ui.with_value((8, 16, 24, 32, 48, 64), s.config.width),
                key=K + "width",
                on_change=apply,
            )
            st.radio(
                "Positions", ("learned", "sinusoidal"), key=K + "positions", on_change=apply, horizontal=True
            )
            st.radio(
                "Attention",
                ("false", "true"),
                key=K + "causal",
                on_change=apply,
                format_func=lambda v: "causal (decoder)" if v == "true" else "bidirectional (encoder)",
                help="Causal: each position sees only itself and the past (needed to generate text).",
            )
        st.select_slider(
            "Gradient clipping (global norm, 0 = off)",
            live_ui.with_value(ui.CHOICES["clip"], s.config.clip),
            key=K + "clip",
            on_change=apply,
            help="Exploding gradients are part of the lesson: try a relu RNN without clipping."
            if recurrent
            else "Rescales the gradient when its norm is above this.",
        )
        controls.training_settings(K, s, apply, ui.OPTIMIZERS, ui.INITS, ui.CHOICES["l2"])

    # ---- run controls, (cell,) task, learning rate -------------------------------------------
    playing = st.session_state[K + "playing"]
    controls.step_if_asked(K, s)  # before the lesson's goal line reads the run
    if opened:
        lesson.bar(K, s, restart, playing, page)
    widths = [1.1, 1.0, 1.05, 1.0, 2.2, 1.4, 2.0] if recurrent else [1.1, 1.0, 1.05, 2.6, 1.4, 2.4]
    top = st.container(key=K[:-1] + "-top").columns(widths, vertical_alignment="bottom")
    controls.run_buttons(top, K, s, playing, set_playing)
    if recurrent:
        top[3].selectbox("Cell", ui.CELLS, key=K + "net", on_change=apply)
    top[-3].selectbox(
        "Task",
        list(SEQUENCE_TASKS),
        key=K + "task",
        format_func=ui.task_label,
        on_change=lambda: apply(**ui.task_changes(st.session_state[K + "task"], s.config)),
    )
    top[-2].select_slider(
        "Learning rate",
        live_ui.with_value(ui.CHOICES["learning_rate"], s.config.learning_rate),
        key=K + "learning_rate",
        on_change=apply,
    )
    c = s.config
    net = (
        c.net.upper()
        if recurrent
        else f"{c.blocks} block{'s' * (c.blocks > 1)} × {c.heads} head{'s' * (c.heads > 1)}"
    )
    top[-1].markdown(
        f"**{net} · {sum(r['parameters'] for r in s.table()):,} parameters**  \n"
        f"{len(s.task.data.x_train):,} training / {len(s.task.data.x_test):,} test sequences "
        f"of {s.config.length} steps"
    )

    if st.session_state.get(K + "error"):
        st.error(st.session_state[K + "error"])
    if s.notice:
        st.toast(s.notice, icon=":material/info:")
        s.notice = None

    def on_view(event, value):
        ui.on_view(s, st.session_state, K, event, value)

    def snap(last, since):
        return frames.frame(
            s.task,
            s.params,
            s.history,
            since,
            st.session_state[K + "choice"],
            last=last,
            temperature=st.session_state[K + "temperature"],
            progress=(s.part, s.parts),
        )

    scene = lambda: frames.scene(s.task, s.table(), s.config)  # noqa: E731
    controls.live_view(K, s, scene, snap, frames.MODULES[page], on_view, ui.VIEW_EVENTS)
    if recurrent:
        compare_cells(s, K)
    text = " --text YOUR_TEXT.txt" if s.config.task == "text" and s.text else ""
    command = f"python -m playground train --net {s.config.net} --config {page}-config.json{text}"
    controls.downloads(K, s, page, command, export=(s.epoch or 50, None))
    lesson.keep_link(opened, s.config)


def compare_cells(s: Session, K: str):
    with st.expander("Compare the cells: rnn, lstm and gru on this task", icon=":material/compare_arrows:"):
        st.caption(
            "Trains a fresh network of each cell on the same data with the same settings, then measures "
            "how much the loss depends on the hidden state at each step (‖∂L/∂h_t‖, averaged over 16 test "
            "sequences). On a memory task (first, cumsum) with a long window (try T = 64) the plain RNN's "
            "gradient vanishes toward the early steps and it fails; the LSTM's and GRU's reach back."
        )
        c = st.columns([2, 1])
        epochs = c[0].slider("Epochs for each cell", 10, 500, 100, step=10, key=K + "cmp_epochs")
        if c[1].button("Train all three", key=K + "cmp_go", icon=":material/play_arrow:", width="stretch"):
            bar = st.progress(0.0, text="training rnn…")
            done = []

            def progress(cell):
                done.append(cell)
                nxt = compare.CELLS[len(done)] if len(done) < len(compare.CELLS) else None
                bar.progress(len(done) / len(compare.CELLS), text=f"training {nxt}…" if nxt else "done")

            try:
                st.session_state[K + "compare"] = (
                    s.config,
                    compare.compare(s.config, epochs, s.text, progress),
                )
            except (ConfigError, DataError, ValueError) as e:
                st.error(str(e))
        if K + "compare" in st.session_state:
            cfg, results = st.session_state[K + "compare"]
            regression = SEQUENCE_TASKS[cfg.task].kind != "classification"
            st.dataframe(pd.DataFrame(compare.rows(results, regression)), hide_index=True)
            st.plotly_chart(compare.figure(results, cfg), key=K + "cmp_chart")
