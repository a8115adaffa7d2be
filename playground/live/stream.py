"""Batches of frames: how a live page turns one server round trip into many pictures.

A browser asks for the next batch as soon as it has one left to play (a pull, not
a timer). The server trains `frames` short stretches of `epochs` epochs each and
snapshots the state after each one; the browser plays the snapshots back at an even
pace while the next batch trains. So the frame rate is set by the browser's clock,
and the round trip only has to keep up with whole batches.

`Pace` sizes the stretches from the wall time of the last batch, as a thermostat:
twice as many epochs per frame while a batch takes well under its budget, half as
many when it runs over. Everything here is model-agnostic: a page passes a `step`
function (train n epochs, return how many were done) and a `snapshot` function.
No Streamlit.
"""

from __future__ import annotations

import dataclasses
import time

from playground.core import engine

LADDER = tuple(2**i for i in range(11))  # epochs per frame: 1, 2, 4, ..., 1024
_clock = time.perf_counter  # a seam for tests


@dataclasses.dataclass
class Pace:
    epochs: int = 16  # epochs per frame, one of LADDER
    frames: int = 14  # frames per batch
    budget_s: float = 0.25  # wall time a batch may take on the server
    last_s: float | None = None  # how long the last counted batch took

    def adapt(self, elapsed: float) -> None:
        i = LADDER.index(self.epochs)
        self.last_s = elapsed
        if elapsed < self.budget_s / 2.5 and i + 1 < len(LADDER):
            self.epochs = LADDER[i + 1]
        elif elapsed > 1.5 * self.budget_s and i > 0:
            self.epochs = LADDER[i - 1]


def chunk_for(epochs: int, arch) -> int:
    """The compiled chunk length that tiles `epochs` exactly (a power of 4), within the
    engine's cap on minibatch steps per call."""
    cap = engine.chunk_size(epochs, arch) if epochs > 1 else 1
    fits = [c for c in engine.CHUNK_SIZES if epochs % c == 0 and c <= max(cap, 1)]
    return max(fits or [1])


def play(step, snapshot, pace: Pace, frames: int | None = None, max_s: float | None = None) -> list[dict]:
    """Train up to `frames` stretches of `pace.epochs` epochs, a snapshot after each.

    Args:
      step: step(n_epochs) -> epochs actually trained (fewer when training stopped).
      snapshot: snapshot(last: bool) -> a frame (a dict); `last` marks the batch's final
        frame (it may carry more detail, such as the numbers behind hover).
      pace: sizes the stretches, and learns from this batch's wall time.
      frames: how many (default pace.frames).
      max_s: stop early once the batch has taken this long (slow epochs: a big network's
        batch would otherwise keep the browser waiting for every frame of it).

    Returns:
      The frames in training order; an empty list when nothing could be trained.
    """
    n = frames or pace.frames
    epochs = pace.epochs
    start, compiles = _clock(), engine.compile_count()
    out = []
    for i in range(n):
        done = step(epochs)
        if done == 0:
            break
        last = i == n - 1 or done < epochs or (max_s is not None and _clock() - start >= max_s)
        out.append(snapshot(last))
        if last:
            break
    if out and len(out) == n and engine.compile_count() == compiles:  # a compile says nothing of speed
        pace.adapt(_clock() - start)
    return out
