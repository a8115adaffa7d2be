"""The Playground's live view: a Session's scene and its batches of frames."""

from __future__ import annotations

import dataclasses

from playground.live import frames, stream

GRID = 50  # grid points per side of the output plane (nodes use every ~3rd)


@dataclasses.dataclass(frozen=True)
class Options:
    """What the user chose to see (none of it changes the training)."""

    show_test: bool = False
    discretize: bool = False
    edges: str = "weights"  # or "gradients"
    log_y: bool = False
    editable: bool = True  # the +/- layer and neuron buttons
    add_class: int | None = None  # clicks on the plane add a point of this class


def scene(session, opt: Options, cache: dict | None = None) -> dict:
    """The view's scene; with a cache (a per-user dict), built again only when the task or
    the options changed (it does not change while the network trains)."""
    if cache is not None:
        if cache.get("task") is session.task and cache.get("opt") == opt:
            return cache["scene"]
        cache.update(task=session.task, opt=opt, scene=scene(session, opt))
        return cache["scene"]
    return frames.scene(
        session.task,
        session.grid(GRID),
        session.layers(),
        show_test=opt.show_test,
        discretize=opt.discretize,
        edges=opt.edges,
        log_y=opt.log_y,
        editable=opt.editable,
        add_class=opt.add_class,
    )


def snapshot(session, opt: Options, since: int, detail: bool = True) -> dict:
    """The session's current state as one frame (its curve points are those after `since`)."""
    grads = session.gradients() if opt.edges == "gradients" else None
    return frames.frame(
        session.task,
        session.grid(GRID),
        session.layers(),
        session.history,
        since,
        discretize=opt.discretize,
        grads=grads,
        detail=detail,
    )


def batch(session, pace: stream.Pace, opt: Options, n_frames: int | None = None) -> list[dict]:
    """Train and snapshot `n_frames` times (see stream.play); frames in training order."""
    since = [session.epoch]

    def step(n):
        return session.step(n, chunk=stream.chunk_for(n, session.task.arch))

    def snap(last):
        f = snapshot(session, opt, since[0], detail=last or not session.running)
        since[0] = f["epoch"]
        return f

    return stream.play(step, snap, pace, n_frames)
