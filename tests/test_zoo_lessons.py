"""Lesson steps on the zoo pages (recurrent, transformer, autoencoder, GAN): the numbers their goals
read, checked against independent computations; the server's recomputed run equal to the run the
page trained in live frames and Step presses; and each page in lesson mode under AppTest (the
step's config, instructions, locked controls greyed out and refused, the goal line, Next)."""

import pathlib

import jax
import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier
from streamlit.testing.v1 import AppTest

from playground.classroom import builtin, lessons, scoring
from playground.classroom.lessons import LessonError
from playground.zoo.autoencoder import task as ae

ROOT = pathlib.Path(__file__).resolve().parents[1]
# page -> (a config change from the page's start, epochs): small runs of every zoo page.
RUNS = {
    "recurrent": ({"net": "gru", "length": 12, "n_samples": 300}, 6),
    "transformer": ({"blocks": 1, "n_samples": 300}, 5),
    "autoencoder": ({"latent": 3, "n_samples": 400}, 8),
    "gan": ({"d_steps": 2, "steps_per_epoch": 5}, 12),
}


def step_of(page: str) -> lessons.Step:
    return lessons.step_from_json({"title": "t", "page": page}, 0)


def n_weights(tree) -> int:
    return sum(int(np.size(leaf)) for leaf in jax.tree.leaves(tree))


@pytest.mark.parametrize("page", sorted(RUNS))
def test_the_server_recomputes_the_run_a_zoo_page_trained(page):
    step = step_of(page)
    change, epochs = RUNS[page]
    s = scoring.new_session(step, step.page_config().replace(**change))
    s.step_parts(2)  # live frames (one epoch each on these sizes) mixed with Step presses
    s.step(epochs - 4)
    s.step_parts(1)
    s.step(1)
    seen = scoring.session_metrics(s)
    got = scoring.recompute(step, change, epochs)
    assert got.keys() == seen.keys() and got["epochs"] == seen["epochs"] == epochs
    for k, v in seen.items():
        assert got[k] == pytest.approx(v, rel=1e-5, abs=1e-7), k
    # The page's own figures, counted independently of the layer table the metrics use.
    params = (s.state.g_params, s.state.d_params) if page == "gan" else s.params
    assert seen["parameters"] == n_weights(params)


def test_sequence_numbers_follow_the_network():
    rnn = scoring.new_session(step_of("recurrent"), step_of("recurrent").page_config().replace(rnn_layers=2))
    assert {k: scoring.session_metrics(rnn)[k] for k in ("layers", "neurons")} == {"layers": 2, "neurons": 64}
    tfm = scoring.new_session(step_of("transformer"))
    assert scoring.session_metrics(tfm)["layers"] == 2  # blocks
    assert "test_accuracy" in scoring.session_metrics(tfm) or tfm.epoch == 0


def test_code_accuracy_is_a_five_nearest_neighbour_vote():
    s = scoring.new_session(
        step_of("autoencoder"), step_of("autoencoder").page_config().replace(n_samples=600)
    )
    s.step(20)
    d = s.task.data
    train, test = ae.encode(s.task, s.params, d.x_train), ae.encode(s.task, s.params, d.x_test)
    knn = KNeighborsClassifier(5, algorithm="brute").fit(train, d.labels_train)
    want = float((knn.predict(test) == d.labels_test).mean())
    got = scoring.session_metrics(s)
    assert got["code_accuracy"] == pytest.approx(want, abs=1.5 / len(test))  # one tie may break apart
    assert got["code_size"] == 2 and got["test_loss"] == s.history["test_loss"][-1]


def test_modes_covered_and_energy_distance_are_counted_from_the_samples():
    s = scoring.new_session(step_of("gan"))
    s.step(40)
    fake, t = np.asarray(s.samples(), np.float64), s.task.target
    dist = np.linalg.norm(fake[:, None, :] - np.asarray(t.modes)[None], axis=2)
    near = dist.min(1) <= t.near
    counts = np.bincount(dist.argmin(1)[near], minlength=len(t.modes))
    got = scoring.session_metrics(s)
    assert got["modes_covered"] == int((counts >= 0.2 * len(fake) / len(t.modes)).sum())
    real = np.asarray(s.task.reference, np.float64)

    def mean_dist(a, b, same):
        m = np.linalg.norm(a[:, None] - b[None], axis=2)
        return (m.sum() - np.trace(m)) / (len(a) * (len(a) - 1)) if same else m.mean()

    energy = 2 * mean_dist(fake, real, False) - mean_dist(fake, fake, True) - mean_dist(real, real, True)
    assert got["energy_distance"] == pytest.approx(energy, rel=1e-3, abs=1e-5)


def test_zoo_submissions_are_checked():
    gan = builtin.lessons_by_id()["gan"].steps[0]  # generator, dataset... locked
    with pytest.raises(LessonError, match="dataset is locked in this step at 'ring8'; the run has 'grid25'"):
        scoring.recompute(gan, {"dataset": "grid25"}, 10)
    with pytest.raises(LessonError, match="at most 100,000 generator steps; 1,000 epochs of 500 steps"):
        scoring.recompute(gan, {"steps_per_epoch": 500}, 1000)
    with pytest.raises(LessonError, match="config: net: the recurrent page trains rnn, lstm, gru"):
        scoring.recompute(step_of("recurrent"), {"net": "transformer"}, 5)
    with pytest.raises(LessonError, match="epochs: a submission is 1 to 300 epochs"):
        scoring.recompute(step_of("transformer"), {}, 301)


# page -> (file, session_state prefix, built-in lesson, a locked widget and a value it may not take)
PAGES = {
    "recurrent": ("5_Recurrent.py", "rnn.", "recurrent", ("length", 20)),
    "transformer": ("6_Transformer.py", "tfm.", "transformer", ("length", 10)),
    "autoencoder": ("7_Autoencoder.py", "ae.", "autoencoder", ("dataset", "shapes")),
    "gan": ("8_GAN.py", "gan.", "gan", ("dataset", "grid25")),
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_a_zoo_page_plays_its_lesson_step(page):
    file, K, lesson_id, (field, value) = PAGES[page]
    lesson = builtin.lessons_by_id()[lesson_id]
    at = AppTest.from_file(str(ROOT / "pages" / file), default_timeout=300)
    at.query_params["lesson"] = builtin.PREFIX + lesson_id
    at.run()
    assert not at.exception
    s = at.session_state[K + "session"]
    assert s.config == lesson.steps[0].page_config()
    assert lesson.steps[0].title in " ".join(m.value for m in at.sidebar.markdown)
    css = " ".join(m.value for m in at.markdown if m.value.startswith("<style>"))
    assert f".st-key-{K[:-1]}-{field}{{pointer-events:none" in css  # locked: greyed out
    widget = at.slider(key=K + field) if field == "length" else at.selectbox(key=K + field)
    widget.set_value(value).run()  # and refused by the server as well
    assert not at.exception and getattr(at.session_state[K + "session"].config, field) == getattr(
        s.config, field
    )
    at.button(key=K + "step").click().run()
    goal = [m.value for m in at.markdown if m.value.startswith("**Goal**")]
    assert goal and "✓ epochs ≤" in goal[0] and "(now 1)" in goal[0], goal
    s = at.session_state[K + "session"]
    s.step(s.budget)  # the rest of the challenge's epochs: the line says they are spent
    at.run()
    goal = [m.value for m in at.markdown if "Goal" in m.value and "epochs are spent" in m.value]
    assert goal and f"the {s.budget:,} epochs are spent" in goal[0] and not s.running
    at.button(key=K + "lesson_next").click().run()  # step 2 is on the same page: a fresh session
    s2 = at.session_state[K + "session"]
    assert not at.exception and s2.epoch == 0 and s2.config == lesson.steps[1].page_config()
    assert at.query_params["lesson"] == builtin.PREFIX + lesson_id and at.query_params["step"] == "2"
    if lesson.steps[1].goal:  # the new step's goal, nothing of the last run
        assert any(m.value.startswith("**Goal**") and "(now 0)" in m.value for m in at.markdown)
    else:
        assert any("No goal in this step" in c.value for c in at.caption)


@pytest.mark.parametrize(
    "lesson_id, k",
    [("transformer", 0), ("gan", 0), ("autoencoder", 1), ("convolutions", 0), ("descent", 0)],
)
def test_a_challenge_budget_stops_training_at_its_epochs(lesson_id, k):
    from playground.classroom import player

    step = builtin.lessons_by_id()[lesson_id].steps[k]
    budget = int(next(c.value for c in step.parsed_goal().conditions if c.metric == "epochs"))
    s = player.step_session(step)
    assert s.budget == budget and s.running
    s.step(budget - 3)
    ask = s.step_parts if hasattr(s, "step_parts") else s.step  # the zoo's live view, the Playground's
    ask(10**6)  # more than is left: it gets the rest, then stops
    assert s.epoch == budget and not s.running
    assert s.step(5) == 0 and s.epoch == budget
    assert "This challenge allows" in s.stop_reason and f"{budget:,} epochs" in s.stop_reason
    s.reset()  # Reset starts the budget again
    assert s.running and s.epoch == 0 and s.stop_reason is None
