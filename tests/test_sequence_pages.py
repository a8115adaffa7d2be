"""AppTests for the Recurrent and Transformer pages (one page module, pages/common/sequence_page.py,
two pages). Under AppTest the browser never pulls: each at.run() runs the script and the live
fragment once (the live loop and clicks are in tests/test_browser_sequence.py)."""

import json
import pathlib

import numpy as np
from streamlit.testing.v1 import AppTest

from playground.zoo.sequence import ui
from playground.zoo.sequence.config import SeqConfig
from playground.zoo.sequence.task import Session

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGES = {
    "recurrent": str(ROOT / "pages" / "5_Recurrent.py"),
    "transformer": str(ROOT / "pages" / "6_Transformer.py"),
}
KEY = {"recurrent": "rnn.", "transformer": "tfm."}


def page(name, **query) -> AppTest:
    at = AppTest.from_file(PAGES[name], default_timeout=300)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def live_data(at) -> dict:
    (element,) = at.get("bidi_component")
    return json.loads(element.proto.json)


def sess(at, name) -> Session:
    return at.session_state[KEY[name] + "session"]


def test_recurrent_page_opens_on_the_memory_task_and_plays():
    at = page("recurrent", n_samples="200")
    assert not at.exception and not at.error
    s = sess(at, "recurrent")
    assert (s.config.net, s.config.task, s.config.length) == ("lstm", "first", 20)
    d = live_data(at)
    assert d["scene"]["kind"] == "recurrent" and d["code"] and "class Player" in d["code"]
    assert d["scene"]["gates"] == ["input", "forget", "output"]
    f = d["frames"][-1]
    assert f["epoch"] == 0 and len(f["grad"]) == 20 and f["hidden"]["T"] == 20 and f["hidden"]["H"] == 32
    at.button(key="rnn.play").click().run()
    at.run()
    d = live_data(at)
    assert d["playing"] and d["frames"][-1]["epoch"] == sess(at, "recurrent").epoch > 0
    assert "code" not in d  # the view's module travels once
    at.button(key="rnn.play").click().run()  # Pause
    assert not live_data(at)["playing"] and not at.exception


def test_switching_cell_task_and_text():
    at = page("recurrent", n_samples="100")
    at.button(key="rnn.step").click().run()
    assert sess(at, "recurrent").epoch == 1
    at.selectbox(key="rnn.net").set_value("gru").run()
    s = sess(at, "recurrent")
    assert s.config.net == "gru" and s.epoch == 0
    assert any("Weights reset: the network changed (net)" in t.value for t in at.toast)
    assert live_data(at)["scene"]["gates"] == ["reset", "update"]
    at.selectbox(key="rnn.task").set_value("parens").run()  # T = 20 is even: kept
    assert sess(at, "recurrent").config.length == 20
    at.selectbox(key="rnn.task").set_value("reverse").run()  # digits take T <= 32
    at.slider(key="rnn.length").set_value(32).run()
    at.selectbox(key="rnn.task").set_value("parens").run()
    assert (sess(at, "recurrent").config.task, sess(at, "recurrent").config.length) == ("parens", 32)
    at.selectbox(key="rnn.task").set_value("text").run()
    assert not at.exception and live_data(at)["scene"]["sample"]
    assert "sample" in live_data(at)["frames"][-1]  # a still frame is a batch's last
    at.text_area(key="rnn.text").input("too short").run()
    assert any("needs at least 33" in e.value for e in at.error)
    assert sess(at, "recurrent").text is None  # the built-in text is kept
    text = "the cat sat on the mat; the dog sat on the log. " * 4
    at.text_area(key="rnn.text").input(text).run()
    assert sess(at, "recurrent").text == text and not at.error
    assert set(live_data(at)["scene"]["tokens"]) == set(text)


def test_compare_the_cells():
    at = page("recurrent", n_samples="60", length="6", hidden="4")
    at.slider(key="rnn.cmp_epochs").set_value(10).run()
    at.button(key="rnn.cmp_go").click().run()
    assert not at.exception
    (table,) = at.dataframe
    assert list(table.value["cell"]) == ["rnn", "lstm", "gru"] and list(table.value["epochs"]) == [10] * 3
    assert np.isfinite(table.value["test MSE / variance"]).all()


def test_transformer_page_learns_reverse_and_shows_the_pattern():
    at = page("transformer", n_samples="300")
    s = sess(at, "transformer")
    assert (s.config.net, s.config.task, s.config.length) == ("transformer", "reverse", 8)
    d = live_data(at)
    sc = d["scene"]
    assert sc["kind"] == "transformer" and sc["pattern"]["name"] == "anti-diagonal" and not sc["causal"]
    for _ in range(3):
        at.button(key="tfm.step").click().run()
    f = live_data(at)["frames"][-1]
    assert f["epoch"] == 3 and len(f["attention"]) == 2 and f["expected"] == [[7 - t] for t in range(8)]
    assert len(f["match"]) == 2 and len(f["match"][0]) == 2
    at.selectbox(key="tfm.task").set_value("text").run()  # text needs a decoder: causal is set
    s = sess(at, "transformer")
    assert s.config.causal == "true" and live_data(at)["scene"]["causal"] and not at.exception
    at.slider(key="tfm.blocks").set_value(1).run()
    at.select_slider(key="tfm.heads").set_value(4).run()
    assert len(live_data(at)["frames"][-1]["attention"]) == 1
    assert sess(at, "transformer").config.heads == 4


def test_bad_links_fall_back_with_warnings_naming_them():
    at = page("recurrent", net="transformer", length="999", task="nope", clip="-1")
    assert not at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "net: this page trains rnn, lstm, gru" in warning and "task" in warning and "clip" in warning
    s = sess(at, "recurrent")
    assert s.config.net == "lstm" and s.config.task == "first" and s.config.clip == 0
    at = page("transformer", net="lstm", heads="3")
    warning = " ".join(w.value for w in at.warning)
    assert "net: this page trains a transformer" in warning and "heads" in warning
    assert sess(at, "transformer").config.net == "transformer" and not at.exception
    # Any valid number a link holds shows on its slider, even off the slider's usual stops.
    at = page("transformer", width="48", heads="3", learning_rate="0.005", clip="2.5")
    assert not at.warning and not at.exception
    for key, want in (("heads", 3), ("width", 48), ("learning_rate", 0.005), ("clip", 2.5)):
        assert at.select_slider(key="tfm." + key).value == want, key


def test_view_clicks_are_checked():
    s = Session(SeqConfig(net="gru", task="copy", n_samples=50, length=4))
    state = {}
    ui.on_view(s, state, "k.", "pick", {"index": 3})
    assert state["k.choice"] == 3 and "k.error" not in state
    for bad in ({"index": 10**9}, {"index": True}, {"index": "3"}, {}, None, [1]):
        ui.on_view(s, state, "k.", "pick", bad)
        assert state["k.choice"] == 3 and state.pop("k.error").startswith("ignored a pick")
    assert (
        ui.fit_length("parens", 33) == 32
        and ui.fit_length("copy", 64) == 32
        and ui.fit_length("text", 1) == 2
    )
