"""AppTest for the Autoencoder page. Under AppTest the browser never pulls: each at.run() runs the
script and the live fragment once (the live loop and the clicks are in
tests/test_browser_autoencoder.py)."""

import json
import pathlib

from streamlit.testing.v1 import AppTest

from playground.zoo.autoencoder import ui

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "7_Autoencoder.py")


def page(**query) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=300)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def live_data(at) -> dict:
    (element,) = at.get("bidi_component")
    return json.loads(element.proto.json)


def sess(at):
    return at.session_state["ae.session"]


def test_page_opens_on_digits_plays_and_decodes_a_clicked_point():
    at = page(n_samples="300")
    assert not at.exception and not at.error
    d = live_data(at)
    assert d["scene"]["kind"] == "autoencoder" and d["scene"]["images"] and d["code"]
    f = d["frames"][-1]
    assert f["epoch"] == 0 and len(f["codes"]["x"]) == len(sess(at).task.data.x_test)
    at.button(key="ae.play").click().run()
    at.run()
    d = live_data(at)
    assert d["playing"] and d["frames"][-1]["epoch"] == sess(at).epoch > 0
    at.button(key="ae.play").click().run()  # Pause
    at.session_state["ae.probe"] = (0.1, 0.2)
    at.session_state["ae.pair"] = (0, 3)
    at.run()
    f = live_data(at)["frames"][-1]
    assert f["decoded"]["z"] == [0.1, 0.2] and f["interp"]["a"] == 0 and not at.exception


def test_code_size_layers_and_dataset():
    at = page(n_samples="200")
    at.button(key="ae.step").click().run()
    assert sess(at).epoch == 1
    at.slider(key="ae.latent").set_value(3).run()
    assert sess(at).config.latent == 3 and sess(at).epoch == 0
    assert any("Weights reset: the network changed (latent)" in t.value for t in at.toast)
    assert live_data(at)["frames"][-1]["codes"]["axes"] == "pca"
    at.text_area(key="ae.encoder").input("dense units=32 activation=tanh\nconv filters=3").run()
    assert any("encoder: layer 2: conv needs an image" in e.value for e in at.error)
    assert sess(at).config.encoder == ("dense units=64 activation=relu",)  # the last good network
    at.text_area(key="ae.encoder").input("dense units=32 activation=tanh").run()
    assert sess(at).config.encoder == ("dense units=32 activation=tanh",) and not at.error
    at.selectbox(key="ae.dataset").set_value("moons").run()
    d = live_data(at)
    assert not d["scene"]["images"] and d["scene"]["range"] and not at.exception


def test_bad_link_values_fall_back_with_a_warning():
    at = page(latent="99", dataset="mnist", encoder="rnn")
    assert not at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "latent" in warning and "dataset" in warning and "encoder" in warning
    assert sess(at).config.latent == 2 and sess(at).config.dataset == "digits"
    # Layers every field of which is valid but that do not fit the data together: named, defaults used.
    at = page(decoder="dense units=16,reshape height=4 width=4")
    assert not at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "the decoder ends with a 4×4×1 image, the data are 8×8×1" in warning
    assert sess(at).config.decoder == ("dense units=64 activation=relu",)


def test_variants_show_their_sliders_and_the_kl_apart():
    at = page(n_samples="200")
    assert not at.get("slider") or all(s.key != "ae.corruption" for s in at.slider)
    at.selectbox(key="ae.variant").set_value("denoising").run()
    assert sess(at).config.variant == "denoising" and not at.exception
    at.slider(key="ae.corruption").set_value(0.5).run()
    assert sess(at).task.arch.specs[0].std == 0.5
    at.selectbox(key="ae.variant").set_value("vae").run()
    assert sess(at).config.variant == "vae" and not at.exception
    scene = live_data(at)["scene"]  # a new network: the view gets a new scene
    assert scene["variant"] == "vae" and "test_kl" in scene["metrics"]
    at.button(key="ae.step").click().run()
    assert {"train_kl", "test_kl"} <= set(sess(at).history) and sess(at).epoch == 1
    at.select_slider(key="ae.beta").set_value(0.03).run()
    assert sess(at).config.beta == 0.03 and sess(at).epoch == 1  # β: weights kept
    assert "variational, β 0.03" in " ".join(m.value for m in at.markdown)


def test_bad_variant_links_are_named_and_dropped():
    at = page(variant="bogus", beta="-1", corruption="9")
    assert not at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "variant" in warning and "beta" in warning and "corruption" in warning
    c = sess(at).config
    assert (c.variant, c.beta, c.corruption) == ("plain", 0.003, 0.3)


def test_convolutional_layers_follow_the_data_set():
    at = page(n_samples="200")
    assert at.selectbox(key="ae.architecture").value == "dense"
    at.selectbox(key="ae.architecture").set_value("conv").run()
    encoder, decoder = ui.conv_layers("digits")
    assert (sess(at).config.encoder, sess(at).config.decoder) == (encoder, decoder) and not at.error
    kinds = [la.kind for la in sess(at).task.arch.specs]
    assert kinds[:3] == ["conv", "conv", "flatten"] and kinds[-3:] == ["convtranspose", "conv", "flatten"]
    assert at.text_area(key="ae.decoder").value == "\n".join(decoder)
    at.button(key="ae.step").click().run()
    assert sess(at).epoch == 1 and live_data(at)["frames"][-1]["codes"] and not at.exception
    at.selectbox(key="ae.dataset").set_value("shapes").run()  # 16×16: the preset's reshape follows
    assert sess(at).config.decoder == ui.conv_layers("shapes")[1] and not at.error
    assert at.selectbox(key="ae.architecture").value == "conv"
    at.selectbox(key="ae.dataset").set_value("moons").run()  # points: conv layers give way to dense ones
    assert sess(at).config.encoder == ("dense units=64 activation=relu",) and not at.error
    assert all(s.key != "ae.architecture" for s in at.selectbox)
    at.selectbox(key="ae.dataset").set_value("digits").run()
    at.text_area(key="ae.decoder").input("dense units=16\nreshape height=4 width=4").run()
    assert any("the decoder ends with a 4×4×1 image, the data are 8×8×1" in e.value for e in at.error)
    assert at.selectbox(key="ae.architecture").value == "dense"  # the last good network keeps training
