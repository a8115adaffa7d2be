"""AppTest for the GAN page. Under AppTest the browser never pulls: each at.run() runs the script
and the live fragment once (the live loop, the clicks and the drawing are in
tests/test_browser_gan.py)."""

import json
import pathlib

from streamlit.testing.v1 import AppTest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "8_GAN.py")


def page(**query) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=300)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def live_data(at) -> dict:
    (element,) = at.get("bidi_component")
    return json.loads(element.proto.json)


def sess(at):
    return at.session_state["gan.session"]


def test_page_opens_on_the_ring_plays_and_steps_each_network():
    at = page()
    assert not at.exception and not at.error
    d = live_data(at)
    assert d["scene"]["kind"] == "gan" and d["scene"]["modes"] and d["code"]
    f = d["frames"][-1]
    assert f["epoch"] == 0 and len(f["fake"]) == 500 and f["quality"]["modes"] == 8
    at.button(key="gan.play").click().run()
    at.run()
    d = live_data(at)
    assert d["playing"] and d["frames"][-1]["epoch"] == sess(at).epoch > 0
    at.button(key="gan.play").click().run()  # Pause
    g, dsteps = int(sess(at).state.g_steps), int(sess(at).state.d_steps)
    at.button(key="gan.step_d").click().run()
    f = live_data(at)["frames"][-1]
    assert (f["d_steps"], f["g_steps"], f["moved"]) == (dsteps + 1, g, "d")
    at.button(key="gan.step_g").click().run()
    f = live_data(at)["frames"][-1]
    assert (f["d_steps"], f["g_steps"], f["moved"]) == (dsteps + 1, g + 1, "g")
    epoch = sess(at).epoch
    at.button(key="gan.step").click().run()
    assert sess(at).epoch == epoch + 1 and not at.exception


def test_loss_k_rates_and_networks_apply():
    at = page()
    at.selectbox(key="gan.loss").select("wgan-gp").run()
    assert sess(at).config.loss == "wgan-gp" and live_data(at)["scene"]["d_label"] == "critic score"
    at.number_input(key="gan.d_steps").set_value(5).run()
    at.select_slider(key="gan.g_learning_rate").set_value(0.0003).run()
    c = sess(at).config
    assert (c.d_steps, c.g_learning_rate) == (5, 0.0003)
    at.text_area(key="gan.generator").input("dense units=16 activation=tanh").run()
    assert sess(at).config.generator == ("dense units=16 activation=tanh",)
    at.text_area(key="gan.discriminator").input("conv filters=3").run()
    assert "discriminator" in at.error[0].value and "The last good networks keep playing" in at.error[0].value
    assert sess(at).config.discriminator == ("dense units=64 activation=relu",) * 2  # kept
    assert not at.exception


def test_digits_and_drawn_targets():
    at = page(n_samples="300")
    at.selectbox(key="gan.dataset").select("digits").run()
    s = sess(at)
    assert s.config.dataset == "digits" and s.config.noise_dim == 16 and not at.exception
    f = live_data(at)["frames"][-1]
    assert f["samples_n"] == 64 and "confident" in f["quality"] and f["quality"]["real"]["classes"] == 10
    at.selectbox(key="gan.dataset").select("drawn").run()
    s = sess(at)
    assert (
        s.config.dataset == "drawn" and s.config.noise_dim == 2 and len(live_data(at)["scene"]["drawn"]) == 40
    )
    assert live_data(at)["scene"]["drawing"] and not at.exception


def test_a_drawn_link_starts_from_the_default_drawing():
    at = page(dataset="drawn")
    assert (
        sess(at).config.dataset == "drawn" and not at.warning and len(live_data(at)["scene"]["drawn"]) == 40
    )


def test_bad_link_values_fall_back_with_a_warning():
    at = page(loss="hinge", d_steps="99", dataset="drawn", drawn="1,2;x")
    assert not at.exception
    (w,) = at.warning
    assert "loss" in w.value and "d_steps" in w.value and "drawn" in w.value
    c = sess(at).config
    assert (c.loss, c.d_steps, c.dataset) == ("nonsaturating", 1, "ring8")
