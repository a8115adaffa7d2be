"""AppTest for the Playground page, and the Session it keeps (frames: tests/test_live.py).

Under AppTest the browser never pulls the next batch, so Play's live loop is
covered in the browser test; here each at.run() runs the script once.
"""

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from playground.core.config import Config
from playground.data.points import DataError
from playground.live import ui
from playground.live.session import Session

PAGE = str(__import__("pathlib").Path(__file__).resolve().parents[1] / "pages" / "1_Playground.py")


def page(query=None):
    at = AppTest.from_file(PAGE, default_timeout=120)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def sess(at) -> Session:
    return at.session_state["pg.session"]


def live_data(at) -> dict:
    """The data the page sent to its live view (the browser component) in the last run."""
    (element,) = at.get("bidi_component")
    return json.loads(element.proto.json)


def shown_epoch(at) -> int:
    return live_data(at)["frames"][-1]["epoch"]


def widget(at, key):
    return next(w for w in [*at.main, *at.sidebar] if getattr(w, "key", None) == key)


def test_default_load_has_no_exception_and_tfp_defaults():
    at = page()
    assert not at.exception
    s = sess(at)
    assert s.config == Config()
    data = live_data(at)
    assert shown_epoch(at) == 0 and data["playing"] is False and data["scene"]["id"] == data["scene_id"]


def test_step_advances_and_reset_clears():
    at = page()
    at.button(key="pg.step").click().run()
    at.button(key="pg.step").click().run()
    assert not at.exception
    s = sess(at)
    assert s.epoch == 2 and len(s.history["train_loss"]) == 2
    assert shown_epoch(at) == 2
    at.button(key="pg.reset").click().run()
    assert sess(at).epoch == 0 and sess(at).history["epoch"] == []


def test_play_sets_playing_and_pause_stops():
    at = page()
    at.button(key="pg.play").click().run()
    assert at.session_state["pg.playing"] is True and not at.exception
    assert sess(at).epoch > 0  # the fragment trained its first batch during the run
    at.button(key="pg.play").click().run()
    assert at.session_state["pg.playing"] is False


@pytest.mark.parametrize(
    "key, value, check",
    [
        ("pg.learning_rate", 0.1, lambda c: c.learning_rate == 0.1),
        ("pg.activation", "relu", lambda c: c.activation == "relu"),
        ("pg.optimizer", "adam", lambda c: c.optimizer == "adam"),
        ("pg.regularization", "L2", lambda c: True),
        ("pg.dataset", "spiral", lambda c: c.dataset == "spiral"),
        ("pg.dataset", "reg-plane", lambda c: c.dataset == "reg-plane" and c.loss in ("mse", "huber")),
        ("pg.dataset", "blobs", lambda c: c.dataset == "blobs" and c.loss == "ce"),
        ("pg.noise", 25, lambda c: c.noise == 25),
        ("pg.train_ratio", 0.7, lambda c: c.train_ratio == 0.7),
        ("pg.n_samples", 200, lambda c: c.n_samples == 200),
        ("pg.gd_variant", "stochastic", lambda c: c.gd_variant == "stochastic"),
        ("pg.dropout", 0.2, lambda c: c.dropout == 0.2),
        ("pg.early_stopping_patience", 50, lambda c: c.early_stopping_patience == 50),
        ("pg.batch_size", 25, lambda c: c.batch_size == 25),
        ("pg.loss", "mse", lambda c: c.loss == "mse"),
        ("pg.init", "he", lambda c: c.init == "he"),
        ("pg.seed", 3, lambda c: c.seed == 3),
    ],
)
def test_every_widget_changes_the_config(key, value, check):
    at = page()
    widget(at, key).set_value(value).run()
    assert not at.exception
    assert check(sess(at).config), sess(at).config
    assert not [e for e in at.error if "loss" in e.value]  # dependent choices stay valid
    at.button(key="pg.step").click().run()
    assert sess(at).epoch == 1 and not at.exception


def test_hyper_change_keeps_weights_but_data_change_resets():
    at = page()
    for _ in range(3):
        at.button(key="pg.step").click().run()
    at.select_slider(key="pg.learning_rate").set_value(0.3).run()
    assert sess(at).epoch == 3  # weights kept, as TensorFlow Playground does
    at.slider(key="pg.noise").set_value(10).run()
    assert sess(at).epoch == 0
    assert any("Weights reset" in t.value for t in at.toast)  # a toast: it fades, the page does not shift


def test_layer_events_change_the_network_and_odd_ones_are_ignored():
    """The live view's +/- buttons send {"op", "layer"}; clicking them is the browser test's job."""
    c = Config()
    assert ui.layer_event(c, {"op": "add_layer"})["hidden"] == (4, 2, 2)
    assert ui.layer_event(c, {"op": "add_neuron", "layer": 0})["hidden"] == (5, 2)
    assert ui.layer_event(c, {"op": "del_neuron", "layer": 1})["hidden"] == (4, 1)
    assert ui.layer_event(c, {"op": "del_layer", "layer": None})["hidden"] == (4,)
    for odd in [
        None,
        [],
        {"op": "eval"},
        {"op": "add_neuron", "layer": 2},
        {"op": "add_neuron", "layer": -1},
        {"op": "add_neuron", "layer": "0"},
        {"op": "add_neuron", "layer": True},
        {"op": "del_neuron"},
    ]:
        assert ui.layer_event(c, odd) is None, odd
    # The caps hold: 8 layers, 32 neurons, at least 1 neuron.
    assert ui.layer_event(Config(hidden=(4,) * 8), {"op": "add_layer"})["hidden"] == (4,) * 8
    assert ui.layer_event(Config(hidden=(32,)), {"op": "add_neuron", "layer": 0})["hidden"] == (32,)
    assert ui.layer_event(Config(hidden=(1,)), {"op": "del_neuron", "layer": 0})["hidden"] == (1,)


def test_query_params_reproduce_an_experiment_and_hide_controls():
    at = page({"dataset": "xor", "hidden": "3,3", "learning_rate": "0.1", "learning_rate_hide": "1"})
    assert not at.exception and not at.warning
    c = sess(at).config
    assert (c.dataset, c.hidden, c.learning_rate) == ("xor", (3, 3), 0.1)
    assert not [w for w in at.select_slider if w.key == "pg.learning_rate"]


@pytest.mark.parametrize(
    "query, field",
    [
        ({"n_samples": "1e308"}, "n_samples"),
        ({"hidden": "4,999"}, "hidden"),
        ({"activation": "<script>"}, "activation"),
        ({"learning_rate": "nan"}, "learning_rate"),
        ({"features": "x" * 5000}, "features"),
        ({"loss": "ce"}, "output_activation"),
    ],
)
def test_bad_query_params_warn_once_and_fall_back(query, field):
    at = page(query)
    assert not at.exception
    assert len(at.warning) == 1 and field in at.warning[0].value
    assert sess(at).config == Config()


def test_csv_upload_errors_keep_previous_data():
    s = Session()
    before = s.task.data
    with pytest.raises(Exception) as err:
        s.set_csv(b"x1,x2\n1,2\n")
    assert "label" in str(err.value)
    assert s.task.data is before and s.config.dataset == "circle"
    s.set_csv(b"x1,x2,label\n" + b"".join(f"{i % 7},{i % 5},{i % 2}\n".encode() for i in range(40)))
    assert s.config.dataset == "csv" and len(s.task.data.x_train) == 20


# A network that diverges within a few epochs (learning rate 10 on unscaled regression).
DIVERGING = Config(dataset="reg-plane", loss="mse", output_activation="linear", learning_rate=10.0,
                   hidden=(8, 8), activation="relu", init="he", gd_variant="batch")  # fmt: skip


def test_divergence_pauses_with_message_and_keeps_finite_weights():
    s = Session(DIVERGING)
    s.playing = True
    for _ in range(20):
        s.step(16, chunk=16)
    assert not s.running and not s.playing and "diverged" in s.stop_reason
    assert all(np.all(np.isfinite(layer["kernel"])) for layer in s.layers())
    assert np.all(np.isfinite(s.history["train_loss"]))


def test_add_point_appends_a_training_point_and_keeps_the_weights():
    s = Session(Config(n_samples=40))
    s.step(5, chunk=1)
    before = [layer["kernel"].copy() for layer in s.layers()]
    n, epoch = len(s.task.data.x_train), s.epoch
    note = s.add_point(1.5, -2.0, 1)
    assert "weights kept" in note and s.config.dataset == "csv" and s.epoch == epoch
    assert len(s.task.data.x_train) == n + 1 and s.task.data.y_train[-1] == 1
    np.testing.assert_allclose(s.task.x_train[-1], [1.5, -2.0])  # features x1, x2 of the new point
    for a, b in zip(before, s.layers()):
        np.testing.assert_array_equal(a, b["kernel"])
    assert "x1,x2,label" in s.data_csv() and "1.5,-2,1" in s.data_csv()
    s.step(3, chunk=1)  # trains on the n + 1 points
    assert s.epoch == epoch + 3 and s.task.arch.n_train == n + 1
    # The point survives a hyper-parameter change (the data is the user's own now).
    s.apply(s.config.replace(learning_rate=0.1))
    assert len(s.task.data.x_train) == n + 1


@pytest.mark.parametrize(
    "config, label, words",
    [
        (Config(n_samples=40), 2, "class 2"),
        (
            Config(dataset="reg-plane", loss="mse", output_activation="linear", n_samples=40),
            0,
            "classification",
        ),
    ],
)
def test_add_point_refuses_what_does_not_fit(config, label, words):
    s = Session(config)
    data = s.task.data
    with pytest.raises(DataError) as err:
        s.add_point(0.0, 0.0, label)
    assert words in str(err.value) and s.task.data is data


def test_a_link_with_dataset_csv_falls_back_with_a_warning():
    """The page writes dataset=csv into the address bar after an upload; a reload must not crash."""
    s = Session(Config(n_samples=40))
    s.add_point(1.0, 1.0, 1)
    at = page(s.config.to_query())
    assert not at.exception
    assert len(at.warning) == 1 and "cannot travel in a link" in at.warning[0].value
    assert sess(at).config.dataset == "circle" and sess(at).config.n_samples == 40


def widget_keys(at) -> set[str]:
    return {w.key for w in [*at.main, *at.sidebar] if getattr(w, "key", None)}


def test_a_lesson_link_hides_every_field_it_names_without_holes():
    # l1 (or l2) hides both regularization widgets; dataset hides the upload and clicking points in.
    gone = {"pg.learning_rate", "pg.regularization", "pg.reg_rate", "pg.dataset", "pg.upload", "pg.add_class",
            "pg.features", "pg.seed"}  # fmt: skip
    assert gone <= widget_keys(page())
    query = {f"{f}_hide": "1" for f in ("learning_rate", "l1", "dataset", "hidden", "features", "seed")}
    at = page(query)
    assert not at.exception and not at.warning
    assert not gone & widget_keys(at), gone & widget_keys(at)
    assert live_data(at)["scene"]["network"]["editable"] is False  # no +/- layer buttons
    # The top row has one column per control shown (Play, Step, Reset, activation, optimizer):
    # the view options' row starts at the sixth column.
    cols = at.main.columns
    first_option = next(
        i for i, c in enumerate(cols) if any(getattr(w, "key", None) == "pg.edges" for w in c)
    )
    assert first_option == 5
    assert "hidden_hide" in at.query_params and "features_hide" in at.query_params  # they stay in the link


def test_every_config_field_can_be_hidden():
    names = {f.name for f in __import__("dataclasses").fields(Config)}
    assert names <= set(ui.HIDEABLE)
    assert ui.hidden_controls({"nonsense_hide": "1", "learning_rate_hide": "1"}) == {"learning_rate"}


def test_page_events_from_the_browser_are_checked_before_use():
    """What the live view sends back (layer and click events) is untrusted input."""
    s, state = Session(Config(n_samples=40)), {}
    ui.on_layer(s, state, "pg.", set(), {"op": "add_layer"})
    assert s.config.hidden == (4, 2, 2) and state["pg.rerun_app"] and state["pg.learning_rate"] == 0.03
    ui.on_layer(s, state, "pg.", {"hidden"}, {"op": "add_layer"})  # a lesson link hid the buttons
    assert s.config.hidden == (4, 2, 2)
    n = len(s.task.data.x_train)
    ui.on_click(s, state, "pg.", set(), {"x1": 1.0, "x2": 2.0})  # no class chosen: nothing
    assert len(s.task.data.x_train) == n
    state["pg.add_class"] = "blue"
    for odd in [
        None,
        "1,2",
        {"x1": 1.0},
        {"x1": "nan", "x2": 0},
        {"x1": {"a": 1}, "x2": 0},
        {"x1": 1e400, "x2": 0},
    ]:
        state.pop("pg.error", None)
        ui.on_click(s, state, "pg.", set(), odd)
        assert len(s.task.data.x_train) == n, odd
    assert "could not add" in state["pg.error"]
    ui.on_click(s, state, "pg.", {"dataset"}, {"x1": 1.0, "x2": 2.0})  # dataset hidden: no clicks
    assert len(s.task.data.x_train) == n
    ui.on_click(s, state, "pg.", set(), {"x1": 1.0, "x2": -2.0})
    assert len(s.task.data.x_train) == n + 1 and s.task.data.y_train[-1] == 1 and state["pg.dataset"] == "csv"


def test_upload_event_sets_the_dataset_box_or_keeps_the_data():
    s, state = Session(Config(n_samples=40)), {}
    rows = "x1,x2,label\n" + "".join(f"{i % 7},{i % 5},{1 if i % 2 else -1}\n" for i in range(40))
    ui.on_upload(s, state, "pg.", set(), "pm1.csv", rows.encode())
    assert s.config.dataset == "csv" and state["pg.dataset"] == "csv" and state["pg.features"] == ["x1", "x2"]
    assert s.task.data.task == "classification" and s.task.data.n_classes == 2  # -1/+1 labels: two classes
    before = s.task.data
    ui.on_upload(s, state, "pg.", set(), "bad.csv", b"x1,x2,label\n1,oops,0\n")
    assert s.task.data is before and state["pg.csv_error"].startswith("bad.csv: ")
    assert "previous data is kept" in state["pg.csv_error"]
