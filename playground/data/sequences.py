"""Sequence tasks for the recurrent-network and transformer pages, generated with NumPy from a seed.

Float tasks give inputs (n, T, 1) float32; token tasks give token ids (n, T) int32 that index
`SequenceData.vocab`. Targets are per step (n, T) or for the last step only (n,): float32 values
for regression, int32 class ids for classification. Nothing is downloaded: the default text is
CPython's own `pydoc_data.topics` (its wording, and so the data, can change between Python versions).
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from playground.data import points
from playground.data.points import CLASSIFICATION, REGRESSION, DataError

MAX_SAMPLES = 5_000
MAX_TEXT = 20_000  # characters, user text and the default slice alike
MAX_VOCAB = 128  # distinct characters of a text
DIGITS = tuple(str(d) for d in range(10))
PARENS = ("(", ")")


@dataclasses.dataclass(frozen=True)
class SequenceTask:
    """A registry entry: what the UI shows about a task and which arguments it reads.

    `max_length` and `length_step` bound the window length T (2..max_length in steps of
    length_step); `params` names the keyword arguments of `make_sequences` the task uses.
    """

    name: str
    description: str
    kind: str  # "regression" | "classification"
    tokens: bool  # inputs are token ids (n, T) int32, else floats (n, T, 1)
    per_step: bool  # targets at every step (n, T), else for the last step only (n,)
    max_length: int = 64
    length_step: int = 1
    params: tuple[str, ...] = ()


_FLOATS = dict(kind=REGRESSION, tokens=False)
_TOKENS = dict(kind=CLASSIFICATION, tokens=True)
_DIGITS = dict(_TOKENS, per_step=True, max_length=32, params=("vocab",))
SEQUENCE_TASKS = {
    t.name: t
    for t in (
        SequenceTask(
            "sines",
            "Predict the next value of a noisy sum of sine waves.",
            **_FLOATS,
            per_step=True,
            params=("noise",),
        ),
        SequenceTask("first", "Remember the first value until the end.", **_FLOATS, per_step=False),
        SequenceTask("cumsum", "Keep a running sum of the inputs.", **_FLOATS, per_step=True),
        SequenceTask("copy", "Repeat the digits.", **_DIGITS),
        SequenceTask("reverse", "Write the digits backwards.", **_DIGITS),
        SequenceTask("sort", "Sort the digits, smallest first.", **_DIGITS),
        SequenceTask(
            "parens", "Tell whether the parentheses are balanced.", **_TOKENS, per_step=False, length_step=2
        ),
        SequenceTask(
            "text",
            "Predict the next character of a text.",
            **_TOKENS,
            per_step=True,
            max_length=128,
            params=("text",),
        ),
    )
}


@dataclasses.dataclass(frozen=True, eq=False)
class SequenceData:
    """Train and test sequences, all arrays read-only.

    x: (n, T, 1) float32, or (n, T) int32 token ids for token tasks. y: (n, T) per step or (n,)
    for the last step; float32 for regression, int32 class ids for classification.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    task: str
    vocab: tuple[str, ...]  # token names for token tasks, () for float inputs
    n_classes: int  # classes of the targets, 0 for regression
    per_step: bool

    @property
    def length(self) -> int:
        """T, the steps of one sequence."""
        return self.x_train.shape[1]


@functools.cache
def default_text() -> str:
    """The first MAX_TEXT characters of CPython's help topics, joined in sorted key order (~3 ms)."""
    from pydoc_data.topics import topics

    return "".join(topics[k] for k in sorted(topics))[:MAX_TEXT]


def _check(field, value, lo, hi, integer=False, why=""):
    try:
        return points._check(field, value, lo, hi, integer)
    except ValueError as e:
        raise DataError(f"{e}{why}") from None


def _check_text(text):
    if not isinstance(text, str):
        raise DataError(f"text must be a string, got {type(text).__name__}")
    if not text:
        raise DataError("text is empty; paste some text to learn from")
    if len(text) > MAX_TEXT:
        raise DataError(f"text is {len(text):,} characters long; the limit is {MAX_TEXT:,}")
    vocab = sorted(set(text))
    if len(vocab) > MAX_VOCAB:
        raise DataError(f"text has {len(vocab):,} distinct characters; the limit is {MAX_VOCAB}")
    return text, tuple(vocab)


def _sines(n, T, seed, noise):
    # The signal (2-4 components, periods 4-40 steps) comes from its own stream, so it stays the
    # same for any n, T or noise; amplitudes sum to 1, so |signal| <= 1 and noise is relative to that.
    design = np.random.default_rng([seed, 2])
    k = design.integers(2, 5)
    freq = 2 * np.pi / design.uniform(4.0, 40.0, k)
    amp = design.uniform(0.3, 1.0, k)
    amp, phase = amp / amp.sum(), design.uniform(0, 2 * np.pi, k)
    start = np.random.default_rng([seed, 0]).integers(0, 100_000, n)
    t = (start[:, None] + np.arange(T + 1))[..., None]  # (n, T + 1, 1)
    series = (amp * np.sin(freq * t + phase)).sum(-1)
    series += noise * np.random.default_rng([seed, 3]).standard_normal(series.shape)
    series = series.astype(np.float32)  # one cast: the target at step t is the input at step t + 1
    return series[:, :-1, None], series[:, 1:]


def _uniform(n, T, seed):
    return np.random.default_rng([seed, 0]).uniform(-1.0, 1.0, (n, T, 1)).astype(np.float32)


def _first(n, T, seed):
    x = _uniform(n, T, seed)
    return x, x[:, 0, 0].copy()


def _cumsum(n, T, seed):
    # Scaled by 1/sqrt(T): the sum's std is then at most 1/sqrt(3) for every T (sqrt(T/3) unscaled).
    x = _uniform(n, T, seed)
    return x, (np.cumsum(x[..., 0], axis=1, dtype=np.float64) / math.sqrt(T)).astype(np.float32)


def _digits(n, T, seed, vocab):
    return np.random.default_rng([seed, 0]).integers(0, vocab, (n, T), dtype=np.int32)


def _balanced(steps):
    """(n,) bool: every prefix of +1/-1 steps (n, T) is >= 0 and the total is 0."""
    depth = np.cumsum(steps, axis=1)
    return (depth.min(axis=1) >= 0) & (depth[:, -1] == 0)


def _parens(n, T, seed):
    rng, h = np.random.default_rng([seed, 0]), T // 2
    # Uniform balanced strings by the cycle lemma: of h + 1 opens and h closes in random order,
    # exactly one rotation keeps every prefix positive, the one starting after the last lowest
    # prefix; dropping its leading open leaves a uniformly drawn balanced string of length T.
    walk = rng.permuted(np.repeat(np.array([[1] * (h + 1) + [-1] * h], np.int64), n, axis=0), axis=1)
    prefix = np.concatenate([np.zeros((n, 1), np.int64), np.cumsum(walk, axis=1)[:, :-1]], axis=1)
    last_low = T - np.argmin(prefix[:, ::-1], axis=1)  # index of the last minimum
    steps = np.take_along_axis(walk, (last_low[:, None] + 1 + np.arange(T)) % (T + 1), axis=1)
    # Half stay balanced; a quarter get one paren flipped (the counts no longer match); a quarter
    # become a shuffle with matching counts that is not balanced (a balanced shuffle is mirrored,
    # which makes it start with a close).
    kind = rng.permutation(np.arange(n) * 4 // n)  # 0, 1: keep; 2: flip one; 3: shuffle
    flip = kind == 2
    steps[flip, rng.integers(0, T, flip.sum())] *= -1
    shuffle = kind == 3
    shuffled = rng.permuted(np.repeat(np.array([[1] * h + [-1] * h], np.int64), shuffle.sum(), 0), axis=1)
    steps[shuffle] = np.where(_balanced(shuffled)[:, None], -shuffled, shuffled)
    return (steps < 0).astype(np.int32), _balanced(steps).astype(np.int32)  # "(" = 0, ")" = 1


def _text_windows(n, T, seed, text, vocab):
    ids = np.searchsorted(np.array(vocab), np.array(list(text))).astype(np.int32)
    start = np.random.default_rng([seed, 0]).integers(0, len(text) - T, n)
    windows = ids[start[:, None] + np.arange(T + 1)]  # (n, T + 1)
    return windows[:, :-1], windows[:, 1:]


def _frozen(*arrays):
    arrays = [np.ascontiguousarray(a) for a in arrays]
    for a in arrays:
        a.setflags(write=False)  # shared between reruns and users
    return arrays


def make_sequences(
    task: str,
    n_samples: int,
    length: int,
    train_ratio: float,
    seed: int,
    *,
    noise: float = 0.0,
    vocab: int = 10,
    text: str | None = None,
) -> SequenceData:
    """Sequences of a task, split into train and test; deterministic from `seed`.

    Args:
        task: A key of SEQUENCE_TASKS.
        n_samples: 10..5000 sequences.
        length: T, 2..the task's max_length (64; copy/reverse/sort 32; text 128); even for parens.
        train_ratio: 0.1..0.9; round(train_ratio * n) sequences, in seeded random order, train.
        seed: Non-negative integer.
        noise: 0..50 (sines only): Gaussian noise of std noise / 100 on the series, whose clean
            signal is bounded by 1 in absolute value; inputs and targets carry the same noise.
        vocab: 2..10 digits (copy, reverse, sort only).
        text: The text task's source, at most MAX_TEXT characters and MAX_VOCAB distinct ones,
            at least T + 1 long; None for `default_text()`. Checked if given, used by text only.

    Returns:
        A SequenceData (shapes in its docstring). Per task: sines, target at step t = input at
        step t + 1 (the series goes on one step past the window); first, x uniform in [-1, 1],
        target x[:, 0]; cumsum, target at t = (x[0] + ... + x[t]) / sqrt(T); copy, reverse, sort,
        target the digits as they are, reversed, sorted ascending; parens, tokens "(" ")", target
        1 if balanced (about half are; the rest are near misses); text, tokens the text's sorted
        distinct characters, target at t the character after x[t]. Text windows are drawn at
        random from the whole text, so train and test windows may overlap.

    Raises:
        DataError: With a message that starts with the bad field.
    """
    if task not in SEQUENCE_TASKS:
        raise DataError(f"task must be one of {', '.join(SEQUENCE_TASKS)}, got {task!r}")
    spec = SEQUENCE_TASKS[task]
    n = _check("n_samples", n_samples, 10, MAX_SAMPLES, integer=True)
    T = _check("length", length, 2, spec.max_length, integer=True, why=f" for {task}")
    if T % spec.length_step:
        raise DataError(f"length must be even for {task}, got {T}")
    ratio = _check("train_ratio", train_ratio, 0.1, 0.9)
    seed = _check("seed", seed, 0, math.inf, integer=True)
    std = _check("noise", noise, 0, 50) / 100
    n_digits = _check("vocab", vocab, 2, 10, integer=True)
    if text is not None:
        text, chars = _check_text(text)
    names = ()
    if task == "sines":
        x, y = _sines(n, T, seed, std)
    elif task in ("first", "cumsum"):
        x, y = (_first if task == "first" else _cumsum)(n, T, seed)
    elif task == "parens":
        (x, y), names = _parens(n, T, seed), PARENS
    elif task == "text":
        if text is None:
            text, chars = _check_text(default_text())
        if len(text) < T + 1:
            raise DataError(f"text is {len(text):,} characters long; length {T} needs at least {T + 1}")
        (x, y), names = _text_windows(n, T, seed, text, chars), chars
    else:
        x, names = _digits(n, T, seed, n_digits), DIGITS[:n_digits]
        y = {"copy": x, "reverse": x[:, ::-1], "sort": np.sort(x, axis=1)}[task]
    order = np.random.default_rng([seed, 1]).permutation(n)
    n_train = min(max(round(ratio * n), 1), n - 1)
    parts = (order[:n_train], order[n_train:])
    arrays = _frozen(*(a[idx] for idx in parts for a in (x, y)))
    n_classes = len(names) if spec.kind == CLASSIFICATION else 0
    return SequenceData(*arrays, task=task, vocab=names, n_classes=n_classes, per_step=spec.per_step)


def decode(data: SequenceData, ids) -> str:
    """Token ids (any shape, read in C order) as text: vocab names joined without separator.

    Raises:
        DataError: `data` holds float inputs, or an id lies outside 0..len(vocab) - 1.
    """
    if not data.vocab:
        raise DataError(f"ids: task {data.task} has float inputs, not tokens")
    ids = np.asarray(ids).ravel()
    if ids.size and (
        not np.issubdtype(ids.dtype, np.integer) or ids.min() < 0 or ids.max() >= len(data.vocab)
    ):
        raise DataError(f"ids must be integers in 0..{len(data.vocab) - 1}")
    return "".join(data.vocab[i] for i in ids.tolist())
