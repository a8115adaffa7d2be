"""The live chart channel: one browser component per page, mounted once and fed frames.

Streamlit sends a component's JavaScript inside every element it draws, and a live view
is drawn a few times a second; so the component's own code is a small loader, and the
view's code (`live.js`) travels in the data once, like the scene: only when the browser
does not have it yet (it asks with the `need` trigger after a reload or a lost message).

`component_files()` gives what `st.components.v2.component` needs (the page registers it;
`playground/` never imports Streamlit). `payload()` is the `data` of each call.
"""

from __future__ import annotations

import functools
import hashlib
import pathlib

HERE = pathlib.Path(__file__).parent
NAME = "nnp_live"

# Imports the view's module from the code it was sent (once per page load), then hands every
# call to it; asks for the code when it has none.
LOADER_JS = """
export default function (component) {
  const { data, setTriggerValue } = component;
  if (!data) return;
  const mods = (window.__nnpModules = window.__nnpModules || {});
  const id = data.code_id, run = (m) => m.default(component);
  if (mods[id]) return mods[id].then(run);
  if (data.code) {
    const url = URL.createObjectURL(new Blob([data.code], { type: "text/javascript" }));
    mods[id] = import(url);
    return mods[id].then(run);
  }
  setTimeout(() => setTriggerValue("need", id), 0);
}
"""


def compact_js(source: str) -> str:
    """The JS without comment lines and indentation."""
    lines = (line.strip() for line in source.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


@functools.cache
def code(*paths: pathlib.Path) -> tuple[str, str]:
    """(id, source) of a view's module: its files joined in order (a shared prelude first, such as
    the zoo's player.js); no path: the Playground's, lab's and Backprop's live.js."""
    source = compact_js("\n".join(p.read_text() for p in paths or (HERE / "live.js",)))
    return hashlib.sha1(source.encode()).hexdigest()[:12], source


def component_files() -> dict:
    return {
        "name": NAME,
        "js": compact_js(LOADER_JS),
        "css": (HERE / "live.css").read_text(),
        "isolate_styles": False,
    }


def next_data(
    state,
    prefix: str,
    scene: dict,
    *,
    batch,
    still,
    curve,
    running,
    pause_on: str,
    module: pathlib.Path | tuple[pathlib.Path, ...] | None = None,
) -> dict:
    """The data of one run of a page's live fragment: the protocol every live page shares.

    `state` is the page's per-user mapping (st.session_state), its keys under `prefix`:
    "playing", "first_batch" (set by Play: the first answer is short, and the browser's curve
    starts over), "seq", "sent" and the component's own "live" (its `need` trigger).
    Playing, `batch(n_frames)` trains and returns frames (n_frames None: the pace's count);
    when `running()` is then false, "playing" is cleared (the page redraws its controls).
    Paused, `still()` is the one frame to show, with `curve()` the whole history.
    """
    state[prefix + "seq"] = state.get(prefix + "seq", 0) + 1
    first = state.pop(prefix + "first_batch", False)
    whole = curve() if first else None  # before training: the frames add their own points
    if state[prefix + "playing"]:
        frames = batch(2 if first else None)
        if not running():
            state[prefix + "playing"] = False
    else:
        frames, whole = [still()], curve()
    asked = bool((state.get(prefix + "live") or {}).get("need"))
    return payload(
        state[prefix + "seq"],
        state[prefix + "playing"],
        scene,
        frames,
        sent=state.setdefault(prefix + "sent", {}),
        asked=asked,
        curve=whole,
        pause_on=pause_on,
        module=module,
    )


def payload(
    seq: int,
    playing: bool,
    scene: dict,
    frames: list[dict],
    *,
    sent: dict,
    asked: bool = False,
    curve: dict | None = None,
    pause_on: str | None = None,
    module: pathlib.Path | tuple[pathlib.Path, ...] | None = None,
) -> dict:
    """One call's data: {seq, playing, code_id, code?, scene_id, scene?, curve?, pause_on?, frames}.

    Args:
      sent: a per-user dict of what the browser was last sent ({"code": id, "scene": id});
        updated here. The code and the scene travel only when they changed, or when the
        browser asked (`asked`: the `need` trigger fired).
      curve: replaces the browser's whole loss history (after a pause, a reset or a reload);
        otherwise each frame adds its own points.
      pause_on: a CSS selector; a click there stops the playback at once.
      module: the view's JS module file, or its files in order (default live.js).
    """
    code_id, source = code(*(module if isinstance(module, tuple) else (module,) if module else ()))
    out = {"seq": seq, "playing": playing, "code_id": code_id, "scene_id": scene["id"], "frames": frames}
    if asked or sent.get("code") != code_id:
        out["code"] = source
        sent["code"] = code_id
    if asked or sent.get("scene") != scene["id"]:
        out["scene"] = scene
        sent["scene"] = scene["id"]
    if pause_on:
        out["pause_on"] = pause_on
    if curve is not None:
        out["curve"] = curve
    return out
