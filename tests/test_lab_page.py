"""AppTest for the Optimizer lab page. Under AppTest run_every never fires: each at.run()
runs the script and the live fragment once (the live loop is in tests/test_browser_lab.py)."""

import json
import pathlib

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from playground.core.config import Config
from playground.lab import landscape, race
from playground.live.session import Session

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "3_Optimizer_lab.py")


def page() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=300).run()


def lab(at) -> race.Race:
    return at.session_state["lab.race"]


def texts(at) -> str:
    return " ".join(
        str(e.value) for kind in ("markdown", "caption", "info", "error") for e in getattr(at, kind)
    )


def live_data(at) -> dict:
    """The data the page sent to its live view (the browser component) in the last run."""
    (element,) = at.get("bidi_component")
    return json.loads(element.proto.json)


def shown_epoch(at) -> int:
    return live_data(at)["frames"][-1]["epoch"]


def test_default_load_runs_the_default_preset():
    at = page()
    assert not at.exception
    r = lab(at)
    assert r.labels == [c.label for c in race.PRESETS["SGD vs momentum vs Adam"].contenders]
    assert r.base == race.neutral_base(Config())
    assert shown_epoch(at) == 0
    data = live_data(at)
    assert data["scene"]["kind"] == "race" and data["scene"]["planes"]["titles"] == r.labels
    table = at.data_editor[0].value
    assert list(table["label"]) == r.labels and list(table["optimizer"]) == [
        "sgd",
        "momentum",
        "nesterov",
        "adam",
    ]
    charts = [c.key for c in at.get("plotly_chart")]
    assert charts == ["lab.chart.landscape"]  # the race is drawn by the live view
    # the slice needs a training path first, and says so
    assert "needs at least 3 distinct snapshots" in texts(at)


def results(at) -> pd.DataFrame:
    (df,) = [d.value for d in at.dataframe if "status" in d.value and "train loss" in d.value]
    return df


def test_results_table_says_true_things_before_and_after_training():
    at = page()
    table = at.data_editor[0]
    sgd = list(table.value["optimizer"]).index("sgd")
    assert pd.isna(table.value["momentum"][sgd])  # SGD runs with momentum 0: no 0.9 in its row
    assert table.value["momentum"][list(table.value["optimizer"]).index("momentum")] == 0.9
    assert table.proto.placeholder == "—"
    before = results(at)
    assert list(before["status"]) == ["not started"] * 4 and set(before["test accuracy"]) == {"—"}
    assert set(before["epochs to train loss ≤ 0.1"]) == {"—"}
    at.button(key="lab.step").click().run()
    after, r = results(at), lab(at)
    assert list(after["status"]) == ["running"] * 4
    assert list(after["test accuracy"]) == [f"{100 * h['test_accuracy'][-1]:.1f}%" for h in r.histories]
    assert list(after["train loss"]) == [f"{h['train_loss'][-1]:.4g}" for h in r.histories]
    assert "None" not in after.astype(str).to_numpy() and "nan" not in after.astype(str).to_numpy()


def test_task_defaults_to_the_playground_session_config():
    at = AppTest.from_file(PAGE, default_timeout=300)
    config = Config(dataset="xor", hidden=(3,), noise=5, learning_rate=0.3, optimizer="adam")
    at.session_state["pg.session"] = Session(config)
    at.run()
    assert not at.exception
    assert lab(at).base == race.neutral_base(config)  # data and network kept, optimizer from each contender
    assert "xor, noise 5" in texts(at)


def test_step_play_and_reset():
    at = page()
    at.button(key="lab.step").click().run()
    assert not at.exception and lab(at).epoch == 10
    assert all(len(h["epoch"]) == 10 for h in lab(at).histories)
    assert shown_epoch(at) == 10
    assert list(results(at)["contender"]) == lab(at).labels
    at.button(key="lab.play").click().run()
    assert at.session_state["lab.playing"] is True and lab(at).epoch > 10  # one tick ran
    at.button(key="lab.play").click().run()
    assert at.session_state["lab.playing"] is False
    at.button(key="lab.reset").click().run()
    assert lab(at).epoch == 0 and not at.exception


@pytest.mark.parametrize("name", list(race.PRESETS))
def test_each_preset_loads_and_advances(name):
    at = page()
    at.selectbox(key="lab.preset").set_value(name).run()
    assert not at.exception
    r = lab(at)
    assert r.labels == [c.label for c in race.PRESETS[name].contenders]
    assert at.selectbox(key="lab.preset").proto.help == race.PRESETS[name].description
    assert list(at.data_editor[0].value["label"]) == r.labels  # a fresh table for the preset
    at.button(key="lab.step").click().run()
    assert not at.exception and lab(at).epoch == 10


def test_bad_table_input_shows_a_clear_message_and_keeps_the_contenders():
    at = page()
    before = lab(at)
    key = at.data_editor[0].key
    at.session_state[key] = {
        "edited_rows": {1: {"learning_rate": 50.0}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1
    assert "contender 2" in errors[0] and "learning_rate" in errors[0] and "between 1e-06 and 10" in errors[0]
    assert "previous contenders are kept" in errors[0]
    assert lab(at) is before

    # too many contenders
    rows = [{"label": f"extra {i}", "learning_rate": 0.1} for i in range(5)]
    at.session_state[key] = {"edited_rows": {}, "added_rows": rows, "deleted_rows": []}
    at.run()
    assert any("1 to 8 contenders, got 9" in e.value for e in at.error) and lab(at) is before


def test_a_good_table_edit_restarts_the_race_with_it():
    at = page()
    key = at.data_editor[0].key
    at.session_state[key] = {
        "edited_rows": {0: {"learning_rate": 0.1, "label": "SGD fast"}},
        "added_rows": [],
        "deleted_rows": [3],
    }
    at.run()
    assert not at.exception and not at.error
    r = lab(at)
    assert r.labels == ["SGD fast", "momentum 0.9", "Nesterov 0.9"] and r.configs[0].learning_rate == 0.1


def test_landscape_tab_function_and_start():
    at = page()
    at.selectbox(key="lab.fn").set_value("Himmelblau").run()
    assert not at.exception
    f = landscape.FUNCTIONS["Himmelblau"]
    assert (at.number_input(key="lab.x0").value, at.number_input(key="lab.y0").value) == f.start
    at.number_input(key="lab.x0").set_value(2.0).run()
    at.select_slider(key="lab.steps").set_value(100).run()
    assert not at.exception
    summary = at.dataframe[-1].value
    assert list(summary["contender"]) == lab(at).labels
    paths, _ = landscape.trajectories("Himmelblau", lab(at).configs, (2.0, f.start[1]), 100, f.lr_scale)
    assert summary["end x"].tolist() == [round(float(x), 4) for x in paths[:, -1, 0]]
    at.slider(key="lab.upto100").set_value(10).run()  # replay: the paths up to step 10
    assert not at.exception and at.slider(key="lab.upto100").value == 10


def test_network_slice_tab_after_training():
    at = page()
    for _ in range(3):
        at.button(key="lab.step").click().run()
    assert not at.exception
    assert "Train loss on the plane" in texts(at)
    at.radio(key="lab.dirs").set_value(landscape.DIRECTIONS[2]).run()
    assert not at.exception and "Train loss on the plane" in texts(at)
