"""AppTest for the CNN page, and its event handling and layer builder without Streamlit.
Under AppTest the browser never pulls: each at.run() runs the script and the live fragment once
(the live loop, clicks and drawing are in tests/test_browser_cnn.py)."""

import json
import pathlib

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from playground.core.config import ConfigError
from playground.zoo.cnn import ui
from playground.zoo.cnn.config import PRESETS, CnnConfig
from playground.zoo.cnn.task import Session

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "4_CNN.py")


def page(**query) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=300)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def live_data(at) -> dict:
    (element,) = at.get("bidi_component")
    return json.loads(element.proto.json)


def sess(at) -> Session:
    return at.session_state["cnn.session"]


def test_page_opens_on_digits_and_plays():
    at = page(dataset="digits", n_samples="600")
    assert not at.exception and not at.error
    d = live_data(at)
    assert d["scene"]["kind"] == "cnn" and d["code"]  # the CNN view's module travels once
    assert [la["label"] for la in d["scene"]["layers"]] == [r["layer"] for r in sess(at).table()]
    assert d["frames"][-1]["epoch"] == 0 and len(d["frames"][-1]["probs"]) == 10
    at.button(key="cnn.play").click().run()
    at.run()
    d = live_data(at)
    assert d["playing"] and d["frames"][-1]["epoch"] == sess(at).epoch > 0
    assert "code" not in d  # not sent again
    at.button(key="cnn.play").click().run()  # Pause
    assert not live_data(at)["playing"] and "confusion" in live_data(at)["frames"][-1]


def test_step_reset_learning_rate_and_presets():
    at = page(dataset="digits", n_samples="300")
    at.button(key="cnn.step").click().run()
    assert sess(at).epoch == 1
    at.select_slider(key="cnn.learning_rate").set_value(0.01).run()
    assert sess(at).config.learning_rate == 0.01 and sess(at).epoch == 1  # weights kept
    at.selectbox(key="cnn.preset").set_value("dense only (compare!)").run()
    assert sess(at).config.layers == PRESETS["dense only (compare!)"] and sess(at).epoch == 0
    assert any("Weights reset: the network changed" in t.value for t in at.toast)
    assert [la["kind"] for la in live_data(at)["scene"]["layers"]] == ["input", "flatten", "dense", "output"]
    at.button(key="cnn.reset").click().run()
    assert sess(at).epoch == 0 and not at.exception
    assert at.query_params["layers"] == "flatten,dense units=64 activation=relu"


def test_bad_link_values_fall_back_with_a_warning_naming_them():
    at = page(dataset="digits", layers="flatten,conv", batch_size="0")
    assert not at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "layers: layer 2: conv needs an image" in warning and "batch_size" in warning
    assert sess(at).config.layers == CnnConfig().layers


def test_a_link_learning_rate_off_the_stops_shows_on_its_slider():
    at = page(dataset="digits", n_samples="300", learning_rate="0.005", l2="0.002")
    assert at.select_slider(key="cnn.learning_rate").value == 0.005 and sess(at).config.learning_rate == 0.005
    assert at.select_slider(key="cnn.l2").value == 0.002 and not at.exception


def test_switching_dataset_retrains_on_the_new_images():
    at = page(dataset="digits", n_samples="300")
    at.selectbox(key="cnn.dataset").set_value("shapes").run()
    assert sess(at).task.data.shape == (16, 16, 1) and sess(at).task.data.n_classes == 4
    assert live_data(at)["scene"]["classes"] == ["circle", "square", "triangle", "cross"]


def test_builder_edits_apply_as_the_data_editor_reports_them():
    base = ui.rows_from_texts(PRESETS["LeNet-like"])
    edits = {
        "edited_rows": {0: {"size": 12}, "1": {"window": 3}, 99: {"size": 1}},
        "added_rows": [{"kind": "dropout", "rate": 0.5}, "junk"],
        "deleted_rows": [5, "x"],
    }
    texts = ui.texts_from_rows(ui.editor_rows(base, edits))
    assert texts == (
        "conv filters=12 kernel=5 stride=1 padding=same activation=relu",
        "maxpool window=3",
        *PRESETS["LeNet-like"][2:5],
        "dropout rate=0.5",
    )
    assert ui.editor_rows(base, None) == base
    frame = ui.editor_frame(PRESETS["LeNet-like"])
    assert frame["size"].isna().tolist() == [False, True, False, True, True, False]
    assert ui.summary_rows([{"layer": "x", "output": "64", "parameters": 4160}])[0]["parameters"] == "4,160"


def test_builder_rows_round_trip_and_bad_rows_name_the_layer():
    for preset in PRESETS.values():
        assert ui.texts_from_rows(ui.rows_from_texts(preset)) == preset
    rows = ui.rows_from_texts(PRESETS["LeNet-like"])
    rows[0]["size"] = 12.0  # a number column arrives as a float
    rows[1]["kernel"] = 5  # maxpool has no kernel: ignored
    rows.append({"kind": None})  # a half-added row: skipped
    texts = ui.texts_from_rows(rows)
    assert texts[0].startswith("conv filters=12 ") and texts[1] == "maxpool window=2" and len(texts) == 6
    rows[2]["size"] = 99
    with pytest.raises(
        ConfigError, match="layers: layer 3: conv filters must be a whole number from 1 to 32"
    ):
        ui.texts_from_rows(rows)
    assert (
        ui.preset_of(PRESETS["one conv layer"]) == "one conv layer"
        and ui.preset_of(("flatten",)) == ui.CUSTOM
    )


def test_view_events_are_checked_before_use():
    s, state = Session(CnnConfig(dataset="digits", n_samples=200)), {}
    ui.on_view(s, state, "c.", "pick", {"index": 7})
    assert state["c.choice"] == {"index": 7}
    ui.on_view(s, state, "c.", "explain", {"layer": 1, "channel": 0, "y": 2, "x": 3})
    assert state["c.explain"] == {"layer": 1, "channel": 0, "y": 2, "x": 3}
    assert state["c.filters"] == 1  # an explained conv layer shows its own filters
    ui.on_view(s, state, "c.", "cell", {"true": 2, "pred": 5})
    assert state["c.cell"] == {"true": 2, "pred": 5}
    for event, odd in [
        ("pick", {"index": 10_000}),
        ("pick", {"index": True}),
        ("pick", "7"),
        ("explain", {"layer": 99, "channel": 0, "y": 0, "x": 0}),
        ("explain", {"layer": 1}),
        ("cell", {"true": 10, "pred": 0}),
        ("draw", {"pixels": "0,1"}),
        ("draw", {"pixels": [0.5] * 3}),
        ("draw", {"pixels": [float("nan")] * 64}),
    ]:
        state.pop("c.error", None)
        ui.on_view(s, state, "c.", event, odd)
        assert state["c.error"].startswith(f"ignored a {event} from the view"), (event, odd)
    assert state["c.choice"] == {"index": 7} and state["c.cell"] == {"true": 2, "pred": 5}
    ui.on_view(s, state, "c.", "draw", {"pixels": [1.0 if 2 <= i % 8 <= 4 else 0.0 for i in range(64)]})
    assert state["c.choice"]["source"] == "drawn" and state["c.choice"]["pixels"].shape == (8, 8, 1)


def test_a_drawing_is_scaled_and_centred_like_the_data():
    img = np.zeros((28, 28))
    img[0:6, 0:3] = 1.0  # a small stroke in the corner
    out = ui.normalize_drawing(img.ravel().tolist(), (28, 28, 1))[:, :, 0]
    ys, xs = np.nonzero(out > 0.05)
    assert ys.max() - ys.min() + 1 == 20  # the longer side fills MNIST's 20-pixel box
    cy, cx = (out.sum(1) * np.arange(28)).sum() / out.sum(), (out.sum(0) * np.arange(28)).sum() / out.sum()
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1
    assert ui.normalize_drawing([0.0] * 64, (8, 8, 1)).sum() == 0


def test_a_dataset_the_stack_cannot_take_is_refused_and_the_network_kept():
    at = page(dataset="shapes", n_samples="200", layers="maxpool window=4,maxpool window=4,flatten")
    assert sess(at).task.data.shape == (16, 16, 1) and not at.error
    at.selectbox(key="cnn.dataset").set_value("digits").run()  # 8×8: the second pool has nothing left
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert (
        "layer 2: maxpool: window 4 shrinks the 2×2 input to 0×0. The last good network keeps training"
        in errors
    )
    assert sess(at).config.dataset == "shapes" and at.selectbox(key="cnn.dataset").value == "shapes"


def test_link_values_off_the_sliders_grid_still_load():
    at = page(dataset="digits", n_samples="55", noise="12.5", train_ratio="0.83")
    assert not at.exception and not at.error
    assert sess(at).config.n_samples == 55 and sess(at).config.noise == 12.5
