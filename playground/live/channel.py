"""The live chart channel: one browser component per page, mounted once and fed frames.

`component_files()` gives what `st.components.v2.component` needs (the page registers
it; `playground/` never imports Streamlit). `payload()` is the `data` of each call.
"""

from __future__ import annotations

import pathlib

HERE = pathlib.Path(__file__).parent
NAME = "nnp_live"
MAX_PAYLOAD_BYTES = 400_000  # what one call may send (a batch of frames, maybe a scene)


def component_files() -> dict:
    return {
        "name": NAME,
        "js": (HERE / "live.js").read_text(),
        "css": (HERE / "live.css").read_text(),
        "isolate_styles": False,
    }


def payload(
    seq: int, playing: bool, scene: dict, frames: list[dict], *, send_scene: bool, curve: dict | None = None
) -> dict:
    """One call's data: {seq, playing, scene_id, scene?, curve?, frames}.

    The scene travels only when the browser lacks it (send_scene); `curve` replaces the
    browser's whole loss history (after a pause, a reset or a reload), otherwise each frame
    adds its own points.
    """
    out = {"seq": seq, "playing": playing, "scene_id": scene["id"], "frames": frames}
    if send_scene:
        out["scene"] = scene
    if curve is not None:
        out["curve"] = curve
    return out
