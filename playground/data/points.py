"""2D datasets, feature maps and CSV upload, after TensorFlow Playground's `dataset.ts`.

Points live in TFP's radius-5 world (mostly inside [-6, 6]^2). Labels are class
indices (TFP's +1 is class 1, its -1 is class 0) or real values for regression.
"""

import csv
import dataclasses
import io
import math
import re
from collections.abc import Callable

import numpy as np

CLASSIFICATION = "classification"
REGRESSION = "regression"
MAX_SAMPLES = 10_000
# Streamlit's server.maxUploadSize is in MB of 1024 * 1024 bytes (its server checks
# that; its browser check uses 1000 * 1000 except on Windows), so the parser takes
# every file .streamlit/config.toml lets through, and says "MB" the same way.
MAX_CSV_MB = 2
MB = 1024 * 1024
MAX_CSV_BYTES = MAX_CSV_MB * MB
MAX_CSV_ROWS = 5_000
MAX_ABS_VALUE = 1e6  # Far beyond the [-6, 6] world, and safe to cast to float32.
CSV_COLUMNS = ("x1", "x2", "label")


class DataError(ValueError):
    """Bad user data; message names row and column where applicable."""


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """A built-in dataset: registry key, task, one UI sentence and its generator.

    `generate(n_samples, noise, rng, n_classes)` takes noise as a fraction in [0, 0.5]
    and returns points (n, 2) float64 and labels (n,): int64 class indices, or float64
    values for regression. `uses_n_classes` is False where there are always 2 classes.
    """

    name: str
    task: str
    description: str
    generate: Callable
    uses_n_classes: bool = False


def _halves(n):
    # TFP draws n/2 per class; with odd n the first (TFP-positive) class gets the extra one.
    return n - n // 2, n // 2


def _circle(n, noise, rng, n_classes):
    n_in, n_out = _halves(n)
    radius = np.concatenate([rng.uniform(0.0, 2.5, n_in), rng.uniform(3.5, 5.0, n_out)])
    angle = rng.uniform(0.0, 2 * np.pi, n)
    points = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    # Noise flips labels near the boundary but leaves the drawn points where they are.
    noisy = points + rng.uniform(-5.0, 5.0, (n, 2)) * noise
    return points, (np.hypot(noisy[:, 0], noisy[:, 1]) < 2.5).astype(np.int64)


def _xor(n, noise, rng, n_classes):
    points = rng.uniform(-5.0, 5.0, (n, 2))
    points += np.where(points > 0, 0.3, -0.3)  # Keep points off the axes, where labels flip.
    noisy = points + rng.uniform(-5.0, 5.0, (n, 2)) * noise
    return points, (noisy[:, 0] * noisy[:, 1] >= 0).astype(np.int64)


def _gauss(n, noise, rng, n_classes):
    # TFP maps noise [0, 0.5] linearly to a variance in [0.5, 4]; its normalRandom
    # then scales by sqrt(variance), so the std is the square root.
    std = math.sqrt(0.5 + noise / 0.5 * 3.5)
    n_pos, n_neg = _halves(n)
    points = np.concatenate([rng.normal(2.0, std, (n_pos, 2)), rng.normal(-2.0, std, (n_neg, 2))])
    return points, np.repeat(np.array([1, 0], np.int64), [n_pos, n_neg])


def _spiral(n, noise, rng, n_classes):
    points, labels = [], []
    for count, delta, label in zip(_halves(n), (0.0, np.pi), (1, 0), strict=True):
        i = np.arange(count) / max(count, 1)
        r, t = i * 5.0, 1.75 * i * 2 * np.pi + delta
        arm = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
        points.append(arm + rng.uniform(-1.0, 1.0, (count, 2)) * noise)
        labels.append(np.full(count, label, np.int64))
    return np.concatenate(points), np.concatenate(labels)


def _moons(n, noise, rng, n_classes):
    n_outer, n_inner = _halves(n)
    labels = np.repeat(np.array([0, 1], np.int64), [n_outer, n_inner])
    t = rng.uniform(0.0, np.pi, n)
    # sklearn's make_moons shapes: outer arc over (0, 0), inner arc shifted to (1, 0.5).
    x = np.where(labels == 0, np.cos(t), 1.0 - np.cos(t))
    y = np.where(labels == 0, np.sin(t), 0.5 - np.sin(t))
    # Centre the [-1, 2] x [-0.5, 1] box and stretch x to about [-5, 5].
    points = (np.stack([x, y], axis=1) - [0.5, 0.25]) * (10.0 / 3.0)
    return points + rng.normal(0.0, noise * 2.0, (n, 2)), labels


def _blobs(n, noise, rng, n_classes):
    labels = np.arange(n, dtype=np.int64) % n_classes
    angle = 2 * np.pi * np.arange(n_classes) / n_classes + np.pi / 2
    centres = 3.5 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return centres[labels] + rng.normal(0.0, 0.5 + noise * 3.0, (n, 2)), labels


def _uniform_world(n, noise, rng):
    points = rng.uniform(-6.0, 6.0, (n, 2))
    return points, points + rng.uniform(-6.0, 6.0, (n, 2)) * noise


def _reg_plane(n, noise, rng, n_classes):
    points, noisy = _uniform_world(n, noise, rng)
    return points, np.clip((noisy[:, 0] + noisy[:, 1]) / 10.0, -1.0, 1.0)


# (x, y, sign) of TFP's regressGaussian bumps.
_BUMPS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]])


def _reg_gauss(n, noise, rng, n_classes):
    points, noisy = _uniform_world(n, noise, rng)
    dist = np.hypot(noisy[:, :1] - _BUMPS[:, 0], noisy[:, 1:] - _BUMPS[:, 1])  # (n, 6)
    # As TFP: each bump is a cone falling from 1 at its centre to 0 at distance 2,
    # and a point takes the value of the bump largest in absolute value.
    values = _BUMPS[:, 2] * np.clip(1.0 - dist / 2.0, 0.0, 1.0)
    return points, values[np.arange(n), np.argmax(np.abs(values), axis=1)]


DATASETS = {
    spec.name: spec
    for spec in (
        DatasetSpec("circle", CLASSIFICATION, "A disc inside a ring.", _circle),
        DatasetSpec("xor", CLASSIFICATION, "Quadrants labelled by the sign of x1*x2.", _xor),
        DatasetSpec("gauss", CLASSIFICATION, "Two Gaussian clouds; noise makes them overlap.", _gauss),
        DatasetSpec("spiral", CLASSIFICATION, "Two interleaved spirals.", _spiral),
        DatasetSpec("moons", CLASSIFICATION, "Two interleaving half-moons.", _moons),
        DatasetSpec(
            "blobs",
            CLASSIFICATION,
            "Gaussian blobs, one per class, on a circle.",
            _blobs,
            uses_n_classes=True,
        ),
        DatasetSpec("reg-plane", REGRESSION, "A tilted plane: the value grows with x1+x2.", _reg_plane),
        DatasetSpec("reg-gauss", REGRESSION, "Six bumps and dips of opposite sign.", _reg_gauss),
    )
}

# Each maps (x1, x2, xp) to a column; `xp` is numpy or jax.numpy, so the same table
# runs here and inside jax.jit.
FEATURES = {
    "x1": lambda x1, x2, xp: x1,
    "x2": lambda x1, x2, xp: x2,
    "x1^2": lambda x1, x2, xp: x1 * x1,
    "x2^2": lambda x1, x2, xp: x2 * x2,
    "x1*x2": lambda x1, x2, xp: x1 * x2,
    "sin(x1)": lambda x1, x2, xp: xp.sin(x1),
    "sin(x2)": lambda x1, x2, xp: xp.sin(x2),
    "cos(x1)": lambda x1, x2, xp: xp.cos(x1),
    "cos(x2)": lambda x1, x2, xp: xp.cos(x2),
}


def map_features(points, features, xp=np):
    """Maps raw points to the chosen input features.

    Args:
        points: (n, 2) array of (x1, x2).
        features: Names from `FEATURES`; order and repeats are ignored.
        xp: Array module, `numpy` or `jax.numpy`.

    Returns:
        (n, k) array, k the number of distinct names, columns in `FEATURES` order.

    Raises:
        ValueError: If `features` is empty or names an unknown feature.
    """
    unknown = sorted(set(features) - FEATURES.keys())
    if unknown or not features:
        raise ValueError(f"features must be a non-empty subset of {list(FEATURES)}; got {list(features)!r}")
    x1, x2 = points[:, 0], points[:, 1]
    return xp.stack([fn(x1, x2, xp) for name, fn in FEATURES.items() if name in features], axis=1)


@dataclasses.dataclass(frozen=True, eq=False)  # eq on arrays is ambiguous; compare by identity.
class Data:
    """A train/test split; arrays are read-only.

    Attributes:
        x_train, x_test: (n_train, 2) and (n_test, 2) float32 raw points.
        y_train, y_test: (n_train,) and (n_test,) float32: class index 0..n_classes-1,
            or real value for regression.
        task: "classification" (n_classes 2..6) or "regression" (n_classes 0).
        n_classes: Number of classes.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    task: str
    n_classes: int

    @property
    def points_range(self):
        """(lo, hi): a symmetric square range covering all points, at least TFP's [-6, 6]."""
        max_abs = max(float(np.abs(x).max(initial=0.0)) for x in (self.x_train, self.x_test))
        half = max(6.0, float(math.ceil(max_abs)))
        return -half, half


def _check(arg, value, lo, hi=math.inf, integer=False):
    """Returns `value` as an int (or float) if it lies in [lo, hi]; else raises ValueError."""
    kinds = (int, np.integer) + (() if integer else (float, np.floating))
    # `not lo <= value` also catches NaN.
    if isinstance(value, bool) or not isinstance(value, kinds) or not lo <= value <= hi:
        kind = "an integer" if integer else "a number"
        raise ValueError(f"{arg} must be {kind} between {lo} and {hi}, got {value!r}")
    return int(value) if integer else float(value)


def generate(name, n_samples, noise, seed, n_classes=3):
    """Generates a built-in dataset, deterministically from `seed`.

    Args:
        name: A key of `DATASETS`.
        n_samples: Number of points, 2..MAX_SAMPLES.
        noise: 0..50, TFP's slider (divided by 100 here, as TFP does).
        seed: Non-negative integer.
        n_classes: Number of classes, 3..6; used only by datasets with `uses_n_classes`.

    Returns:
        points: (n_samples, 2) float64.
        labels: (n_samples,) int64 class indices, or float64 values for regression.

    Raises:
        ValueError: On an unknown name or an argument out of range.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {list(DATASETS)}")
    spec = DATASETS[name]
    n = _check("n_samples", n_samples, 2, MAX_SAMPLES, integer=True)
    fraction = _check("noise", noise, 0, 50) / 100.0
    rng = np.random.default_rng(_check("seed", seed, 0, integer=True))
    if spec.uses_n_classes:
        n_classes = _check("n_classes", n_classes, 3, 6, integer=True)
    points, labels = spec.generate(n, fraction, rng, n_classes)
    return points.astype(np.float64), labels


def split(points, labels, train_ratio, seed, task, n_classes):
    """Shuffles deterministically from `seed` and splits into train and test.

    Args:
        points: (n, 2) array, n >= 2.
        labels: (n,) array.
        train_ratio: 0.1..0.9; round(train_ratio * n) points go to train, clamped so
            that train and test each get at least one.
        seed: Non-negative integer.
        task: "classification" (with n_classes 2..6) or "regression" (n_classes 0).
        n_classes: Number of classes.

    Returns:
        A `Data` with float32 arrays.

    Raises:
        ValueError: On inconsistent shapes or an argument out of range.
    """
    points, labels = np.asarray(points, np.float64), np.asarray(labels, np.float64)
    n = len(points)
    if points.shape != (n, 2) or labels.shape != (n,) or n < 2:
        raise ValueError(
            f"need points (n, 2) and labels (n,) with n >= 2, got {points.shape} and {labels.shape}"
        )
    ratio = _check("train_ratio", train_ratio, 0.1, 0.9)
    if task == CLASSIFICATION:
        _check("n_classes", n_classes, 2, 6, integer=True)
        if not np.isin(labels, np.arange(n_classes)).all():
            raise ValueError(f"classification labels must be integers in 0..{n_classes - 1}")
    elif task != REGRESSION or n_classes != 0:
        raise ValueError(
            f"task must be {CLASSIFICATION!r} or {REGRESSION!r} (with n_classes 0), "
            f"got {task!r} with n_classes {n_classes!r}"
        )
    # A stream apart from generate()'s, so which points are held out does not
    # correlate with how they were drawn from the same seed.
    order = np.random.default_rng([_check("seed", seed, 0, integer=True), 1]).permutation(n)
    n_train = min(max(round(ratio * n), 1), n - 1)
    arrays = [
        a[idx].astype(np.float32) for idx in (order[:n_train], order[n_train:]) for a in (points, labels)
    ]
    for a in arrays:
        a.flags.writeable = False  # Data may be shared between reruns and users.
    return Data(arrays[0], arrays[1], arrays[2], arrays[3], task, int(n_classes))


def make_data(name, n_samples, noise, train_ratio, seed, n_classes=3):
    """Generates a built-in dataset and splits it; see `generate` and `split`."""
    points, labels = generate(name, n_samples, noise, seed, n_classes)
    spec = DATASETS[name]
    k = 0 if spec.task == REGRESSION else (n_classes if spec.uses_n_classes else 2)
    return split(points, labels, train_ratio, seed, spec.task, k)


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def _show(text):
    return repr(text if len(text) <= 20 else text[:20] + "...")


def _decode(raw, max_bytes):
    if isinstance(raw, str):
        raw = raw.removeprefix("\ufeff")
        try:
            raw = raw.encode("utf-8")  # Fails on lone surrogates, which no file can hold.
        except UnicodeEncodeError:
            raise DataError("this is not a UTF-8 text CSV file") from None
    if not isinstance(raw, (bytes, bytearray)):
        raise TypeError(f"expected bytes or str, got {type(raw).__name__}")
    if len(raw) > max_bytes:
        size = [f"{b / MB:.1f} MB" if b >= 100_000 else f"{b:,} bytes" for b in (len(raw), max_bytes)]
        raise DataError(f"the file is {size[0]}; the limit is {size[1]}")
    if b"\x00" in raw:
        raise DataError("this is not a UTF-8 text CSV file (it contains NUL bytes)")
    try:
        return bytes(raw).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError("this is not a UTF-8 text CSV file") from None


def _header_order(row, line):
    names = [field.strip().lower() for field in row]
    if sorted(names) == sorted(CSV_COLUMNS):
        return [names.index(column) for column in CSV_COLUMNS]
    problems = {
        "missing": [c for c in CSV_COLUMNS if c not in names],
        "unexpected": [_show(name) for name in dict.fromkeys(names) if name not in CSV_COLUMNS],
        "repeated": [c for c in CSV_COLUMNS if names.count(c) > 1],
    }
    problems = [f"{kind} {', '.join(items)}" for kind, items in problems.items() if items]
    found = ", ".join(_show(f.strip()) for f in row[:10]) + (", ..." if len(row) > 10 else "")
    raise DataError(
        f"line {line}: the header must name exactly the columns x1, x2, label "
        f"(any order); found {found} ({'; '.join(problems)})"
    )


def _parse_value(text, line, column):
    text, where = text.strip(), f"line {line}, column {column}"
    if not _NUMBER.fullmatch(text):
        if not text:
            raise DataError(f"{where}: the value is empty")
        if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
            raise DataError(f"{where}: {_show(text)} is not a finite number (no NaN or inf)")
        raise DataError(f"{where}: {_show(text)} is not a number")
    value = float(text)
    if not abs(value) <= MAX_ABS_VALUE:  # Overflow to infinity lands here too.
        raise DataError(f"{where}: {_show(text)} is outside [-1e6, 1e6]")
    return value


def parse_csv(raw, max_bytes=MAX_CSV_BYTES, max_rows=MAX_CSV_ROWS):
    """Parses an uploaded CSV with a header naming the columns x1, x2, label.

    Errors count lines from 1 in the file as the user sees it (the header is line 1
    unless blank lines precede it); blank lines are skipped.

    Args:
        raw: The file's bytes (UTF-8, optional BOM) or its text.
        max_bytes: Largest accepted size in bytes.
        max_rows: Largest accepted number of data rows.

    Returns:
        points: (n, 2) float64 finite.
        labels: (n,) float64 finite: class indices for classification, values as
            written for regression.
        task: "classification" when every label is 0/1; or every label is -1/+1
            (TensorFlow Playground's classes, mapped -1 -> 0 and +1 -> 1; both must
            occur); or every label is an integer in 0..5 with at least 3 distinct
            values. "regression" otherwise, -1/0/1 included: those read as values in
            TensorFlow Playground's regression range [-1, 1], and 3 classes from them
            would need an order no file states.
        n_classes: max class index + 1 for classification, 0 for regression.

    Raises:
        DataError: With a message for the user naming the line and column at fault.
    """
    reader = csv.reader(io.StringIO(_decode(raw, max_bytes), newline=""))
    order, rows = None, []
    try:
        for row in reader:
            if not any(field.strip() for field in row):
                continue
            line = reader.line_num
            if order is None:
                order = _header_order(row, line)
                continue
            if len(rows) == max_rows:
                raise DataError(
                    f"line {line}: the file has more than {max_rows:,} data rows; the limit is {max_rows:,}"
                )
            if len(row) != len(CSV_COLUMNS):
                raise DataError(f"line {line}: expected 3 values (x1, x2, label), found {len(row)}")
            rows.append([_parse_value(row[i], line, c) for i, c in zip(order, CSV_COLUMNS)])
    except csv.Error:
        raise DataError(
            f"line {reader.line_num}: the CSV cannot be read there (a field is too "
            f"long or its quotes are unbalanced)"
        ) from None
    if order is None:
        raise DataError("the file is empty; expected a header x1,x2,label and data rows")
    if len(rows) < 2:
        found = "only 1 data row" if rows else "a header but no data rows"
        raise DataError(f"the file has {found}; at least 2 data rows are needed")
    values = np.array(rows, np.float64)
    points, labels = values[:, :2], values[:, 2]
    distinct = np.unique(labels)
    if len(distinct) == 2 and (distinct == (-1.0, 1.0)).all():
        labels, distinct = (labels > 0).astype(np.float64), np.array([0.0, 1.0])
    if np.isin(labels, (0.0, 1.0)).all():
        task, n_classes = CLASSIFICATION, 2
    elif np.isin(labels, np.arange(6.0)).all() and len(distinct) >= 3:
        task, n_classes = CLASSIFICATION, int(distinct[-1]) + 1
    else:
        task, n_classes = REGRESSION, 0
    if task == CLASSIFICATION and len(distinct) < 2:
        raise DataError(f"every label is {distinct[0]:g}; classification needs at least two different labels")
    return points, labels, task, n_classes


def data_from_csv(raw, train_ratio, seed):
    """Parses an uploaded CSV (see `parse_csv`) and splits it (see `split`)."""
    points, labels, task, n_classes = parse_csv(raw)
    return split(points, labels, train_ratio, seed, task, n_classes)
