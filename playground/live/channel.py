"""The live chart channel: one browser component per page, mounted once and fed frames.

`component_files()` gives what `st.components.v2.component` needs (the page registers
it; `playground/` never imports Streamlit). `payload()` is the `data` of each call.
"""

from __future__ import annotations

import pathlib

HERE = pathlib.Path(__file__).parent
NAME = "nnp_live"


def compact_js(source: str) -> str:
    """The JS without comment lines and indentation: Streamlit sends it inside every
    element of the component it draws, once per batch, so every byte counts."""
    lines = (line.strip() for line in source.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


def component_files() -> dict:
    return {
        "name": NAME,
        "js": compact_js((HERE / "live.js").read_text()),
        "css": (HERE / "live.css").read_text(),
        "isolate_styles": False,
    }


def payload(
    seq: int,
    playing: bool,
    scene: dict,
    frames: list[dict],
    *,
    send_scene: bool,
    curve: dict | None = None,
    pause_on: str | None = None,
) -> dict:
    """One call's data: {seq, playing, scene_id, scene?, curve?, pause_on?, frames}.

    The scene travels only when the browser lacks it (send_scene); `curve` replaces the
    browser's whole loss history (after a pause, a reset or a reload), otherwise each frame
    adds its own points; a click on the `pause_on` CSS selector stops the playback at once.
    """
    out = {"seq": seq, "playing": playing, "scene_id": scene["id"], "frames": frames}
    if pause_on:
        out["pause_on"] = pause_on
    if send_scene:
        out["scene"] = scene
    if curve is not None:
        out["curve"] = curve
    return out
