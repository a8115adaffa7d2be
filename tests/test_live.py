"""The live channel: frames computed on the server (playground/live), checked against the engine."""

import base64
import json

import numpy as np
import pytest

from playground.core import engine, models
from playground.core.config import Config
from playground.live import channel, figures, frames, grid, stream, view
from playground.live.session import Session
from tests.test_playground_page import DIVERGING


def unb64(s: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(s), np.uint8)


def quantize_ref(values, lo, hi):
    """Independent of frames.quantize: the nearest of 256 levels over [lo, hi]."""
    t = (np.clip(np.asarray(values, float), lo, hi) - lo) / (hi - lo)
    return np.floor(t * 255 + 0.5).astype(np.uint8)


def test_frames_come_in_order_and_no_epoch_is_lost_or_repeated():
    s = Session(Config(n_samples=60))
    pace = stream.Pace(epochs=4, frames=5)
    batch = view.batch(s, pace, view.Options())
    assert [f["epoch"] for f in batch] == [4, 8, 12, 16, 20] and s.epoch == 20
    shown = [e for f in batch for e in f["points"]["epoch"]]
    assert shown == list(range(1, 21))  # 4 epochs a frame: every epoch's loss reaches the curve
    np.testing.assert_allclose(
        [v for f in batch for v in f["points"]["train_loss"]], s.history["train_loss"], rtol=1e-5
    )
    # Larger frames send at most CURVE_POINTS_PER_FRAME points each, the frame's own epoch last.
    pace = stream.Pace(epochs=64, frames=3)
    more = view.batch(s, pace, view.Options())
    assert [f["epoch"] for f in more] == [84, 148, 212]
    for f, prev in zip(more, [20, 84, 148]):
        e = f["points"]["epoch"]
        assert len(e) == frames.CURVE_POINTS_PER_FRAME and e[-1] == f["epoch"] and e[0] > prev
        assert e == sorted(set(e))
    # Only the batch's last frame carries the numbers behind hover.
    assert [("weights" in f) for f in more] == [False, False, True]


def test_the_last_frame_is_the_engine_state():
    config = Config(n_samples=80, hidden=(3, 2), activation="relu")
    s = Session(config)
    batch = view.batch(s, stream.Pace(epochs=16, frames=4), view.Options())
    ref = engine.init_state(s.task)
    ref, hist, _ = engine.advance(s.task, ref, 64)  # the plain engine, in one go
    layers = models.params_to_layers(ref.params)
    last = batch[-1]
    assert last["epoch"] == 64
    np.testing.assert_allclose(last["metrics"]["train_loss"], hist["train_loss"][-1], rtol=1e-5)
    np.testing.assert_allclose(
        last["weights"], np.concatenate([la["kernel"].ravel() for la in layers]), rtol=1e-4, atol=1e-6
    )
    # The output plane: sigmoid output over the grid, quantized over 0..1, top row = largest x2.
    g = grid.evaluate_grid(s.task, ref.params, view.GRID)
    out = np.asarray(g["output"], float).reshape(view.GRID, view.GRID)
    got = unb64(last["plane"]["img"]).reshape(view.GRID, view.GRID)
    assert np.abs(got.astype(int) - quantize_ref(out[::-1], 0.0, 1.0)).max() <= 1
    # Every hidden and output neuron's picture, in column order, from a subsampled grid.
    sub = figures.downsample(view.GRID, 16)  # 2 + 3 + 2 + 1 pictures: full size
    cells = len(sub)
    nodes = unb64(last["nodes"]).reshape(-1, cells, cells)
    blocks = [*g["hidden"], g["output"]]
    acts = ["relu", "relu", "sigmoid"]
    k = 0
    for block, act in zip(blocks, acts):
        for j in range(block.shape[1]):
            full = np.asarray(block[:, j], float).reshape(view.GRID, view.GRID)
            lo, hi = (
                (0.0, 1.0)
                if act == "sigmoid"
                else (-max(np.abs(full).max(), 1.0), max(np.abs(full).max(), 1.0))
            )
            want = quantize_ref(full[np.ix_(sub[::-1], sub)], lo, hi)
            assert np.abs(nodes[k].astype(int) - want).max() <= 1, (k, act)
            k += 1
    assert k == len(nodes) == 3 + 2 + 1


def test_edge_codes_carry_sign_and_width():
    layers = [{"kernel": np.array([[0.05, -0.5], [2.0, -3.0]]), "bias": np.zeros(2)}]
    codes = frames.edge_codes(layers)
    # |w| / max(largest |w|, 1) * 6 bins: 0.05 -> 0, 0.5 -> 1, 2.0 -> 4, 3.0 -> 5 (clipped to 5).
    assert codes.tolist() == [8 + 0, 0 + 1, 8 + 4, 0 + 5]
    grads = [np.array([[1e-3, -2e-3], [0.0, 4e-3]])]
    rel = frames.edge_codes(layers, grads, relative=True)  # gradients: relative to the largest
    assert rel.tolist() == [8 + 1, 0 + 3, 0 + 0, 8 + 5]


def test_shapes_dtypes_and_byte_budget():
    s = Session()  # the default network: 2 inputs, 4 and 2 hidden, 1 output
    opt = view.Options()
    scene = view.scene(s, opt)
    batch = view.batch(s, stream.Pace(epochs=64, frames=10), opt)
    cells = scene["network"]["cells"]
    for f in batch:
        assert unb64(f["nodes"]).size == (4 + 2 + 1) * cells * cells
        assert unb64(f["edges"]).size == 2 * 4 + 4 * 2 + 2 * 1
        assert unb64(f["plane"]["img"]).size == view.GRID**2
    assert unb64(scene["network"]["inputs"]).size == 2 * cells * cells
    data = channel.payload(1, True, scene, batch, sent={"code": channel.code()[0], "scene": scene["id"]})
    size = len(json.dumps(data))
    assert size < 70_000, size  # ten frames; at 2.5 batches a second that is under 300 KB/s
    assert len(json.dumps(scene)) < 40_000
    deep = Session(
        Config(
            dataset="spiral",
            hidden=(8,) * 6,
            features=("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"),
        )
    )
    dbatch = view.batch(deep, stream.Pace(epochs=16, frames=10), opt)
    assert (
        len(
            json.dumps(
                channel.payload(
                    1, True, scene, dbatch, sent={"code": channel.code()[0], "scene": scene["id"]}
                )
            )
        )
        < 150_000
    )
    assert view.scene(deep, opt)["network"]["cells"] == 10  # 62 pictures: 10x10 each


def test_scene_id_changes_with_the_view_not_with_training():
    s = Session(Config(n_samples=40))
    cache = {}
    a = view.scene(s, view.Options(), cache)
    s.step(10)
    assert view.scene(s, view.Options(), cache) is a  # cached: same task, same options
    assert frames.scene(s.task, s.grid(view.GRID), s.layers())["id"] == a["id"]  # biases moved, id did not
    assert view.scene(s, view.Options(show_test=True), cache)["id"] != a["id"]
    s.apply(s.config.replace(hidden=(3,)))
    assert view.scene(s, view.Options(show_test=True), cache)["network"]["columns"][1]["pal"] == [0, 0, 0]


class FakeClock:
    def __init__(self, per_batch):
        self.now, self.per_batch, self.i = 0.0, per_batch, 0

    def __call__(self):  # read at the start and the end of a batch
        self.i += 1
        self.now += self.per_batch if self.i % 2 == 0 else 0.0
        return self.now


@pytest.mark.parametrize("per_batch, direction", [(0.01, 2), (2.0, 0.5), (0.2, 1)])
def test_pace_follows_the_batch_time(monkeypatch, per_batch, direction):
    monkeypatch.setattr(stream, "_clock", FakeClock(per_batch))
    pace = stream.Pace(epochs=16, frames=3, budget_s=0.25)
    stream.play(lambda n: n, lambda last: {}, pace)
    assert pace.epochs == 16 * direction


def test_pace_ignores_a_compiling_or_short_batch(monkeypatch):
    monkeypatch.setattr(stream, "_clock", FakeClock(0.001))
    pace = stream.Pace(epochs=16, frames=3)
    counts = iter(range(100))
    monkeypatch.setattr(engine, "compile_count", lambda: next(counts))
    stream.play(lambda n: n, lambda last: {}, pace)
    assert pace.epochs == 16  # a compile happened during it: not a measure of speed
    monkeypatch.setattr(engine, "compile_count", lambda: 0)
    lasts = []
    out = stream.play(lambda n: n // 2, lambda last: lasts.append(last) or {}, pace)
    assert len(out) == 1 and lasts == [True] and pace.epochs == 16  # training stopped: one last frame


def test_chunks_tile_every_frame_size_exactly():
    task = Session(Config(n_samples=40)).task
    for e in stream.LADDER:
        c = stream.chunk_for(e, task.arch)
        assert c in engine.CHUNK_SIZES and e % c == 0 and c <= e
    stochastic = Session(Config(n_samples=2000, gd_variant="stochastic")).task  # 1000 steps an epoch
    assert stream.chunk_for(1024, stochastic.arch) <= engine.chunk_size(1024, stochastic.arch)


def test_a_diverging_run_ends_the_batch_with_its_last_finite_state():
    s = Session(DIVERGING)
    batch = []
    for _ in range(40):
        batch = view.batch(s, stream.Pace(epochs=8, frames=10), view.Options())
        if not s.running:
            break
    assert not s.running and "diverged" in s.stop_reason
    last = batch[-1]
    assert last["epoch"] == s.epoch and "weights" in last
    assert all(w is not None for w in last["weights"])  # finite: None stands for NaN in the JSON


def test_palettes_and_quantization():
    ramp = frames.ramp([figures.ORANGE, figures.NEUTRAL, figures.BLUE])
    assert len(ramp) == 256 and ramp[0] == figures.ORANGE and ramp[-1] == figures.BLUE
    v = np.linspace(-1, 1, 1001)
    back = frames.dequantize(frames.quantize(v, -1, 1), -1, 1)
    assert np.abs(back - v).max() <= 1 / 255 + 1e-12  # half a level of 2/255
    assert frames.quantize([np.nan, -5, 5], -1, 1).tolist() == [0, 0, 255]
    pals = frames.palettes(3)
    assert len(pals) == frames.plane_palette_index(3) + 1 and len(pals[-1]) == 3 * figures.TINTS


def contrast(a: str, b: str) -> float:
    def lum(c):
        ch = [int(c.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        ch = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in ch]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("background", ["#ffffff", "#0e1117", "#171614"])
def test_curve_colours_are_readable_in_light_and_dark_themes(background):
    for name, color, _, _ in frames.SERIES.values():
        assert contrast(color, background) >= 3, (name, color, background)
    train, test = frames.SERIES["train_loss"][1], frames.SERIES["test_loss"][1]
    assert train != test  # told apart by hue, not only by shade


def test_code_and_scene_travel_only_when_the_browser_lacks_them():
    s = Session(Config(n_samples=40))
    scene = view.scene(s, view.Options())
    sent = {}
    first = channel.payload(1, False, scene, [], sent=sent)
    code_id, source = channel.code()
    assert first["code"] == source and first["scene"] is scene and first["code_id"] == code_id
    again = channel.payload(2, True, scene, [], sent=sent)
    assert "code" not in again and "scene" not in again and again["scene_id"] == scene["id"]
    asked = channel.payload(3, True, scene, [], sent=sent, asked=True)  # the browser lost them
    assert asked["code"] == source and asked["scene"] is scene
    # The module: comments gone, still a module with a default export; the loader is small.
    assert "export default function" in source and "\n//" not in source and not source.startswith("//")
    assert len(channel.component_files()["js"]) < 1000


def test_race_frames_follow_every_contender():
    from playground.lab import race, race_view

    base = race.neutral_base(Config(n_samples=60))
    r = race.Race(
        base, [race.contender(optimizer="sgd"), race.contender(optimizer="adam", learning_rate=0.01)]
    )
    scene = race_view.scene(r)
    assert scene["kind"] == "race" and scene["planes"]["titles"] == r.labels
    assert [s["key"] for s in scene["curves"]["series"]] == [
        "0:train_loss",
        "0:test_loss",
        "1:train_loss",
        "1:test_loss",
    ]
    batch = race_view.batch(r, stream.Pace(epochs=4, frames=3))
    assert [f["epoch"] for f in batch] == [4, 8, 12] and r.epoch == 12
    for i, h in enumerate(r.histories):
        assert [e for f in batch for e in f["points"][f"{i}:epoch"]] == list(range(1, 13))
        np.testing.assert_allclose(
            [v for f in batch for v in f["points"][f"{i}:train_loss"]], h["train_loss"], rtol=1e-5
        )
    # Each small plane is that contender's output over the grid (sigmoid, 0..1, top row first).
    for i, pl in enumerate(batch[-1]["planes"]):
        g = grid.evaluate_grid(r.task, r.params(i), race_view.GRID)
        out = np.asarray(g["output"], float).reshape(race_view.GRID, race_view.GRID)
        got = unb64(pl["img"]).reshape(race_view.GRID, race_view.GRID)
        assert np.abs(got.astype(int) - quantize_ref(out[::-1], 0.0, 1.0)).max() <= 1
    assert batch[0]["planes"][0]["img"] != batch[-1]["planes"][0]["img"]  # it moved
    whole = race_view.curve(r)
    assert whole["1:epoch"] == list(range(1, 13))


@pytest.mark.parametrize("background", ["#ffffff", "#0e1117"])
def test_contender_colours_are_readable_in_both_themes(background):
    from playground.lab import race_view

    assert all(contrast(c, background) >= 3 for c in race_view.COLORS), background


def test_a_plotly_diagram_becomes_drawing_primitives():
    """The Backprop diagram (a Plotly figure) as the shapes the live view draws."""
    from playground.backprop import figures as bf
    from playground.backprop import steps as bs
    from playground.backprop import trace as bp
    from playground.live import shapes

    t = bp.trace(bp.PRESET_CONFIG, bp.preset_layers(), bp.PRESET_X, bp.PRESET_Y)  # Mazur's example
    steps = bs.substeps(t)
    i = next(k for k, s in enumerate(steps) if s.phase == "backward" and s.layer == 1)  # a hidden delta
    fig = bf.trace_figure(t, steps, i)
    out = shapes.from_figure(fig)
    assert out["range"] == [*fig.layout.xaxis.range, *fig.layout.yaxis.range]
    paths = [it for it in out["items"] if it["k"] == "path"]
    lines = [tr for tr in fig.data if "lines" in tr.mode]
    assert len(paths) == len(lines)
    for p, tr in zip(paths, lines):  # the same points, gaps (None) kept as gaps
        want = [None if v is None else round(float(v), 5) for pair in zip(tr.x, tr.y) for v in pair]
        assert p["xy"] == want and p["color"] == tr.line.color
    texts = [it for it in out["items"] if it["k"] == "text"]
    assert len(texts) == len(fig.layout.annotations)
    delta = [ln for it in texts for ln in it["lines"] if ln[0].startswith("δ = ")]
    assert ["δ = 0.1385", bf.FOCUS, False] in delta  # coloured as the figure's <span> says
    assert any(ln == ["E = 0.2984", None, True] for it in texts for ln in it["lines"])  # <b>: bold
    (nodes,) = [it for it in out["items"] if it["k"] == "dots" and it["text"]]
    assert nodes["text"] == ["x1", "x2", "1", "2", "1", "2"]
    (focus,) = [it for it in out["items"] if it["k"] == "dots" and not it["text"]]
    assert focus["stroke"] == [bf.FOCUS]


def test_next_data_follows_the_live_protocol():
    """The fragment's shared logic: a short first batch after Play, the whole curve when it starts
    over or pauses, playing cleared when training stops, code and scene resent when asked."""
    s = Session(Config(n_samples=40))
    opt, pace = view.Options(), stream.Pace(epochs=4, frames=5)
    scene = view.scene(s, opt)
    state = {"p.playing": False}
    calls = []

    def call(running=lambda: s.running):
        return channel.next_data(
            state, "p.", scene, batch=lambda n: calls.append(n) or view.batch(s, pace, opt, n),
            still=lambda: view.snapshot(s, opt, s.epoch), curve=lambda: frames.curve(s.history),
            running=running, pause_on="#x",
        )  # fmt: skip

    paused = call()
    assert paused["seq"] == 1 and not paused["playing"] and len(paused["frames"]) == 1
    assert paused["curve"]["epoch"] == [] and "code" in paused and "scene" in paused
    state.update({"p.playing": True, "p.first_batch": True})  # Play
    first = call()
    assert calls == [2] and [f["epoch"] for f in first["frames"]] == [4, 8]
    assert first["curve"]["epoch"] == [] and "scene" not in first  # the curve from before this batch
    more = call()
    assert calls == [2, None] and len(more["frames"]) == 5 and "curve" not in more
    state["p.live"] = {"need": "x"}  # the browser lost the scene (a remount)
    assert "scene" in call() and "code" in call()
    state["p.live"] = {}
    stopped = call(running=lambda: False)
    assert not stopped["playing"] and not state["p.playing"] and stopped["seq"] == 6
