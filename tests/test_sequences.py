"""Sequence tasks (playground/data/sequences.py): every task's shapes, dtypes and determinism, and its
answers recomputed here independently (Python list ops, loops, a stack), plus every argument check."""

import collections
import subprocess
import sys

import numpy as np
import pytest

from playground.data import sequences
from playground.data.points import DataError
from playground.data.sequences import SEQUENCE_TASKS, decode, default_text, make_sequences

TASKS = tuple(SEQUENCE_TASKS)
UNICODE = "héllo wörld ✓ … ñandú 日本 " * 40


def make(task, n=200, length=8, ratio=0.75, seed=3, **kw):
    return make_sequences(task, n, length, ratio, seed, **kw)


def both(data):
    """Train and test together: (x, y)."""
    return np.concatenate([data.x_train, data.x_test]), np.concatenate([data.y_train, data.y_test])


def balanced(s):
    stack = []
    for c in s:
        if c == "(":
            stack.append(c)
        elif not stack:
            return False
        else:
            stack.pop()
    return not stack


def test_registry():
    assert TASKS == ("sines", "first", "cumsum", "copy", "reverse", "sort", "parens", "text")
    for name, spec in SEQUENCE_TASKS.items():
        assert spec.name == name and spec.description.endswith(".")
        assert spec.kind in ("regression", "classification")
        assert spec.tokens == (spec.kind == "classification")  # as it happens for these tasks


@pytest.mark.parametrize("task", TASKS)
def test_shapes_dtypes_split_and_read_only(task):
    spec = SEQUENCE_TASKS[task]
    data = make(task, n=101, length=6, ratio=0.3)
    assert (data.task, data.per_step, data.length) == (task, spec.per_step, 6)
    assert len(data.x_train) == round(0.3 * 101) and len(data.x_test) == 101 - round(0.3 * 101)
    for x, y in ((data.x_train, data.y_train), (data.x_test, data.y_test)):
        assert x.shape == ((len(x), 6) if spec.tokens else (len(x), 6, 1))
        assert y.shape == ((len(x), 6) if spec.per_step else (len(x),))
        assert x.dtype == (np.int32 if spec.tokens else np.float32)
        assert y.dtype == (np.int32 if spec.kind == "classification" else np.float32)
        assert not x.flags.writeable and not y.flags.writeable
        assert x.flags.c_contiguous and y.flags.c_contiguous
        assert np.isfinite(x).all() and np.isfinite(y).all()
    if spec.tokens:
        x, y = both(data)
        assert data.vocab and 0 <= x.min() and x.max() < len(data.vocab)
        assert data.n_classes == len(data.vocab) and 0 <= y.min() and y.max() < data.n_classes
    else:
        assert data.vocab == () and data.n_classes == 0
    with pytest.raises(ValueError):
        data.x_train[0] = 0


@pytest.mark.parametrize("task", TASKS)
def test_deterministic_and_seeded(task):
    a, b, c = make(task, seed=5), make(task, seed=5), make(task, seed=6)
    for name in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.x_train, c.x_train)


@pytest.mark.parametrize("vocab", [2, 5, 10])
@pytest.mark.parametrize("task", ["copy", "reverse", "sort"])
def test_symbol_tasks(task, vocab):
    data = make(task, n=300, length=12, vocab=vocab)
    assert data.vocab == tuple(str(d) for d in range(vocab))
    x, y = both(data)
    assert set(np.unique(x)) == set(range(vocab))  # every digit occurs
    answer = {"copy": lambda s: list(s), "reverse": lambda s: s[::-1], "sort": sorted}[task]
    for row, target in zip(x.tolist(), y.tolist()):
        assert target == answer(row)
    assert decode(data, data.x_train[0]) == "".join(str(d) for d in data.x_train[0].tolist())


def test_first():
    x, y = both(make("first", n=500, length=10))
    assert -1 <= x.min() < -0.95 and 0.95 < x.max() <= 1  # uniform over [-1, 1]
    assert abs(x.mean()) < 0.05 and abs(x.var() - 1 / 3) < 0.02
    assert y.tolist() == [row[0][0] for row in x.tolist()]


@pytest.mark.parametrize("length", [2, 7, 64])
def test_cumsum(length):
    x, y = both(make("cumsum", n=100, length=length))
    for row, target in zip(x[..., 0].tolist(), y.tolist()):
        total, expected = 0.0, []
        for v in row:
            total += v
            expected.append(total / length**0.5)
        np.testing.assert_allclose(target, expected, rtol=0, atol=1e-5)
    assert 0.3 < y[:, -1].std() < 0.8  # O(1) for every length: 1/sqrt(3) expected


@pytest.mark.parametrize("length", [2, 4, 6, 16, 64])
def test_parens(length):
    data = make("parens", n=2000, length=length)
    assert data.vocab == ("(", ")") and data.n_classes == 2
    x, y = both(data)
    strings = [decode(data, row) for row in x]
    truth = [balanced(s) for s in strings]
    assert y.tolist() == [int(t) for t in truth]
    assert 0.3 <= np.mean(truth) <= 0.7
    wrong = [s for s, t in zip(strings, truth) if not t]
    even = [s for s in wrong if s.count("(") == s.count(")")]
    if length >= 4:  # counting alone does not solve it: some near misses have matching counts
        assert 0.1 < len(even) / len(wrong) < 0.9
    if length == 6:  # the 5 balanced strings of length 6 come about equally often
        counts = collections.Counter(s for s, t in zip(strings, truth) if t)
        assert len(counts) == 5 and max(counts.values()) < 1.5 * min(counts.values())
    if length == 16:  # and some unbalanced ones look fine at both ends
        assert any(s[0] == "(" and s[-1] == ")" for s in even)


def test_sines_series_continues_and_is_predictable():
    data = make("sines", n=400, length=16)
    x, y = both(data)
    np.testing.assert_array_equal(y[:, :-1], x[:, 1:, 0])
    assert np.abs(x).max() <= 1 and x.std() > 0.1
    # A sum of at most 4 sines obeys a linear recurrence of order 8: least squares on the window
    # predicts the next value almost exactly, which noise-free random data would not allow.
    features = np.concatenate([x[:, :, 0], np.ones((len(x), 1))], axis=1).astype(np.float64)
    coef, *_ = np.linalg.lstsq(features, y[:, -1], rcond=None)
    assert np.sqrt(np.mean((features @ coef - y[:, -1]) ** 2)) < 1e-3
    # Another seed draws other components: this recurrence no longer fits.
    ox, oy = both(make("sines", n=400, length=16, seed=4))
    features = np.concatenate([ox[:, :, 0], np.ones((len(ox), 1))], axis=1).astype(np.float64)
    assert np.sqrt(np.mean((features @ coef - oy[:, -1]) ** 2)) > 1e-2


@pytest.mark.parametrize("noise", [10, 50])
def test_sines_noise(noise):
    clean = both(make("sines", n=400, length=16))
    noisy = both(make("sines", n=400, length=16, noise=noise))
    np.testing.assert_array_equal(noisy[1][:, :-1], noisy[0][:, 1:, 0])  # inputs and targets agree
    delta = np.concatenate([noisy[0][:, :, 0] - clean[0][:, :, 0], noisy[1][:, -1:] - clean[1][:, -1:]], 1)
    assert abs(delta.std() - noise / 100) < 0.1 * noise / 100


def check_text(data, source):
    x, y = both(data)
    np.testing.assert_array_equal(y[:, :-1], x[:, 1:])  # each target is the next character
    assert data.vocab == tuple(sorted(set(source))) and data.n_classes == len(data.vocab)
    for row, target in zip(x[:50], y[:50]):
        window = decode(data, row) + data.vocab[target[-1]]
        assert len(window) == data.length + 1 and window in source


def test_text_default():
    source = default_text()
    assert len(source) == sequences.MAX_TEXT and source.startswith("The ")
    assert len(set(source)) <= sequences.MAX_VOCAB
    check_text(make("text", n=300, length=128), source)


def test_text_unicode():
    data = make("text", n=100, length=20, text=UNICODE)
    assert "✓" in data.vocab and "日" in data.vocab
    check_text(data, UNICODE)
    short = make("text", n=10, length=4, text="héllo")  # exactly T + 1 characters: one window
    assert decode(short, short.x_train[0]) == "héll"


def test_default_text_import_time():
    code = (
        "import time; t = time.perf_counter(); from playground.data.sequences import default_text as d; "
        "t1 = time.perf_counter(); d(); print(time.perf_counter() - t1, t1 - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    load, module = map(float, out.split())
    print(f"default_text(): {load * 1000:.1f} ms (import of sequences itself: {module * 1000:.0f} ms)")
    assert load < 0.5


def test_decode_errors():
    with pytest.raises(DataError, match="^ids"):
        decode(make("first"), [0])
    data = make("copy", vocab=3)
    assert decode(data, []) == ""
    for bad in ([3], [-1], [0.5]):
        with pytest.raises(DataError, match="^ids"):
            decode(data, bad)


BAD = [
    ("task", dict(task="nope")),
    ("task", dict(task=None)),
    ("n_samples", dict(n=9)),
    ("n_samples", dict(n=5001)),
    ("n_samples", dict(n=10.0)),
    ("n_samples", dict(n=True)),
    ("length", dict(length=1)),
    ("length", dict(length=65)),
    ("length", dict(task="copy", length=33)),
    ("length", dict(task="sort", length=33)),
    ("length", dict(task="text", length=129)),
    ("length", dict(task="parens", length=7)),
    ("length", dict(task="parens", length=66)),
    ("length", dict(length="8")),
    ("train_ratio", dict(ratio=0.05)),
    ("train_ratio", dict(ratio=0.95)),
    ("train_ratio", dict(ratio=float("nan"))),
    ("seed", dict(seed=-1)),
    ("seed", dict(seed=1.5)),
    ("noise", dict(noise=-1)),
    ("noise", dict(noise=51)),
    ("vocab", dict(task="copy", vocab=1)),
    ("vocab", dict(task="copy", vocab=11)),
    ("text", dict(task="text", text="")),
    ("text", dict(task="text", text=b"bytes")),
    ("text", dict(task="text", text="abc", length=3)),
    ("text", dict(task="text", text="".join(chr(0x100 + i) for i in range(200)))),
]


@pytest.mark.parametrize("field, kw", BAD, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD)])
def test_bad_arguments(field, kw):
    with pytest.raises(DataError, match=f"^{field}\\b"):
        make(kw.pop("task", "sines"), **kw)


def test_text_messages():
    with pytest.raises(DataError, match=r"^text is 20,001 characters long; the limit is 20,000"):
        make("text", text="a" * 20_001)
    with pytest.raises(DataError, match=r"^text has 200 distinct characters; the limit is 128"):
        make("text", text="".join(chr(0x100 + i) for i in range(200)))
    with pytest.raises(DataError, match=r"^text is 3 characters long; length 3 needs at least 4"):
        make("text", text="abc", length=3)
    assert len(make("text", text="ab" * 10_000).vocab) == 2  # exactly the cap is fine
