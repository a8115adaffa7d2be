"""AppTest for the Backprop page: every sub-step of the preset and of a three-layer network,
the phase selector, autoplay's tick, repeat N steps, the Playground's network, bad table edits.

Under AppTest the diagram's view never pulls the next sub-step, so each at.run() while
autoplaying is one sub-step.
"""

import json
import pathlib

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from playground.backprop import figures as bf
from playground.backprop import steps as bs
from playground.backprop import trace as bp
from playground.backprop import ui as bu

ROOT = pathlib.Path(__file__).resolve().parents[1]


def page():
    """The Backprop page, reached from app.py as a user would (page links resolve)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    return at.switch_page("pages/2_Backprop.py").run()


def diagram(at) -> dict:
    """The frame the page sent to the diagram's live view in the last run."""
    (element,) = at.get("bidi_component")
    return json.loads(element.proto.json)["frames"][-1]


def steps_of(at):
    return at.session_state["bp.trace"][1]


def walk_all(at):
    """Click Next through every sub-step; check the formula and counter each time."""
    steps = steps_of(at)
    for i in range(len(steps)):
        assert not at.exception, (i, at.exception)
        assert at.session_state["bp.index"] == i
        assert any(f"Sub-step {i + 1} of {len(steps)}" in m.value for m in at.markdown)
        assert [x.value.strip("$\n") for x in at.latex] == [steps[i].symbolic, steps[i].numeric]
        if i < len(steps) - 1:
            at.button(key="bp.next").click().run()
    assert at.button(key="bp.next").disabled
    return steps


def test_preset_walks_every_substep_and_shows_the_worked_example():
    at = page()
    steps = walk_all(at)
    assert len(steps) == 13
    # The update phase shows the loss before and after on the same example.
    assert [m.value for m in at.metric][:2] == ["0.298371", "0.280471"]
    at.button(key="bp.repeat_go").click().run()
    losses = at.session_state["bp.repeat"]
    assert len(losses) == 101 and losses[-1] < losses[0] / 10 and not at.exception
    assert any("after 100 steps" in c.value for c in at.caption)
    at.button(key="bp.prev").click().run()
    assert at.session_state["bp.index"] == 11


def test_three_layer_preset_with_other_choices_walks_every_substep():
    at = page()
    at.selectbox(key="bp.shape").set_value("3,2").run()
    at.selectbox(key="bp.activation").set_value("tanh").run()
    at.selectbox(key="bp.loss_output").set_value("ce · softmax").run()
    at.selectbox(key="bp.optimizer").set_value("adam").run()
    assert not at.exception
    t = at.session_state["bp.trace"][0]
    assert t.widths == [2, 3, 2, 2] and t.config.optimizer == "adam" and list(t.y[0]) == [0.0, 1.0]
    steps = walk_all(at)
    assert len(steps) == 3 * 7 + 1


@pytest.mark.parametrize("loss_output", ["hinge · tanh", "huber · softmax", "bce · sigmoid"])
def test_every_phase_renders_for_other_losses(loss_output):
    at = page()
    at.selectbox(key="bp.loss_output").set_value(loss_output).run()
    at.selectbox(key="bp.optimizer").set_value("rmsprop").run()
    for phase in bs.PHASES:
        at.segmented_control(key="bp.phase").set_value(phase).run()
        assert not at.exception
        assert steps_of(at)[at.session_state["bp.index"]].phase == phase


def test_phase_selector_and_autoplay_tick():
    at = page()
    at.segmented_control(key="bp.phase").set_value("backward").run()
    steps = steps_of(at)
    assert at.session_state["bp.index"] == bs.first_of_phase(steps, "backward") == 5
    assert diagram(at)["label"].startswith("Backward: output, neuron 1")
    at.button(key="bp.play").click().run()  # one autoplay tick per run under AppTest
    assert at.session_state["bp.playing"] and at.session_state["bp.index"] == 6
    at.run()
    assert at.session_state["bp.index"] == 7
    at.button(key="bp.play").click().run()
    assert not at.session_state["bp.playing"] and not at.exception


def edit(at, table: str, row: int, column: str, value: str):
    key = f"bp.ed{at.session_state['bp.ver']}.{table}"
    at.session_state[key] = {"edited_rows": {row: {column: value}}, "added_rows": [], "deleted_rows": []}
    return at.run()


def test_table_edits_change_the_trace_and_bad_ones_keep_the_previous_values():
    at = page()
    edit(at, "layer2", 0, "to 1", "0.5")  # w5 from 0.40 to 0.5
    assert not at.exception and not at.error
    t = at.session_state["bp.trace"][0]
    assert t.layers[1]["kernel"][0, 0] == 0.5
    want = bp.trace(bp.PRESET_CONFIG, t.layers, bp.PRESET_X, bp.PRESET_Y).loss
    assert t.loss == pytest.approx(want, rel=1e-12) and t.loss != pytest.approx(0.298371109)
    for table, row, column, bad, words in [
        ("layer1", 0, "to 1", "abc", "layer 1 weights, row 'from x1', column 'to 1': 'abc' is not a number"),
        ("example", 1, "value", "nan", "row 'x2', column 'value': needs a finite number"),
        ("example", 2, "value", "", "row 'y1 (target)'"),
    ]:
        edit(at, table, row, column, bad)
        assert not at.exception
        assert (
            len(at.error) == 1
            and words in at.error[0].value
            and "previous values are kept" in at.error[0].value
        )
        assert at.session_state["bp.trace"][0] is t  # nothing recomputed
    edit(at, "example", 0, "value", "0.2")  # a good edit clears the message
    assert not at.error and at.session_state["bp.trace"][0].x[0, 0] == 0.2


def test_playground_network_with_a_training_point():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/1_Playground.py").run()
    at.button(key="pg.step").click().run()
    at.switch_page("pages/2_Backprop.py").run()
    at.radio(key="bp.source").set_value(bu.SOURCES[1]).run()
    assert not at.exception
    at.number_input(key="bp.point").set_value(7).run()
    s = at.session_state["pg.session"]
    t = at.session_state["bp.trace"][0]
    assert t.widths == [2, 4, 2, 1]  # the Playground's default network: three layers
    np.testing.assert_allclose(t.x[0], np.asarray(s.task.x_train[7]), rtol=1e-7)
    np.testing.assert_allclose(t.layers[0]["kernel"], s.layers()[0]["kernel"], rtol=1e-7)
    walk_all(at)


def test_playground_source_without_a_playground_says_so():
    at = page()
    at.radio(key="bp.source").set_value(bu.SOURCES[1]).run()
    assert not at.exception and any("open the Playground" in i.value for i in at.info)


def test_figures_mark_the_current_step():
    t = bp.trace(bp.PRESET_CONFIG, bp.preset_layers(), bp.PRESET_X, bp.PRESET_Y)
    steps = bs.substeps(t)
    i = next(k for k, s in enumerate(steps) if s.phase == "backward" and s.layer == 1)
    fig = bf.trace_figure(t, steps, i)
    traces = {d.name: d for d in fig.data}
    assert list(traces["focus"].x) == [1.0] and len(traces["nodes"].x) == 6
    # Two downstream weights read (w5, w7) and two gradients computed (w1, w2), each one segment.
    assert sum(v is None for v in traces["read"].x) == 2 and sum(v is None for v in traces["grad"].x) == 2
    texts = [a.text for a in fig.layout.annotations]
    assert "E = 0.2984" in " ".join(texts) and any("δ = 0.1385" in x for x in texts)
    assert any("∇0.0822" in x for x in texts)  # w5's gradient, computed in an earlier sub-step
    last = bf.trace_figure(t, steps, len(steps) - 1)
    assert any("0.4→0.3589" in a.text for a in last.layout.annotations)
    curve = bf.repeat_figure([0.3, 0.2, 0.1])
    assert list(curve.data[0].y) == [0.3, 0.2, 0.1]
