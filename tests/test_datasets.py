"""Tests for playground.data.points: generators, split, feature map and CSV upload."""

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.data import points as ds

NAMES = list(ds.DATASETS)
CLASSIFIERS = [name for name in NAMES if ds.DATASETS[name].task == ds.CLASSIFICATION]
GOOD_CSV = "x1,x2,label\n0.5,-1,0\n2,3.25,1\n-4e-1,+5,1\n"


def test_registries_are_in_the_documented_order():
    assert NAMES == ["circle", "xor", "gauss", "spiral", "moons", "blobs", "reg-plane", "reg-gauss"]
    assert list(ds.FEATURES) == [
        "x1",
        "x2",
        "x1^2",
        "x2^2",
        "x1*x2",
        "sin(x1)",
        "sin(x2)",
        "cos(x1)",
        "cos(x2)",
    ]
    assert all(spec.name == name and spec.description for name, spec in ds.DATASETS.items())


def test_module_does_not_import_jax():
    code = "import sys, playground.data.points; print('jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("noise", [0, 25, 50])
def test_generate_shapes_dtypes_and_label_ranges(name, noise):
    points, labels = ds.generate(name, 301, noise, seed=4, n_classes=5)
    assert points.shape == (301, 2) and points.dtype == np.float64
    assert labels.shape == (301,)
    assert np.isfinite(points).all() and np.isfinite(labels).all()
    assert np.abs(points).max() < 15  # TFP's radius-5 world, plus noise.
    if ds.DATASETS[name].task == ds.CLASSIFICATION:
        k = 5 if name == "blobs" else 2
        assert labels.dtype == np.int64 and set(np.unique(labels)) == set(range(k))
    else:
        assert labels.dtype == np.float64 and np.abs(labels).max() <= 1.0


@pytest.mark.parametrize("name", NAMES)
def test_generate_is_deterministic_per_seed(name):
    a_points, a_labels = ds.generate(name, 100, 20, seed=7)
    b_points, b_labels = ds.generate(name, 100, 20, seed=7)
    c_points, _ = ds.generate(name, 100, 20, seed=8)
    np.testing.assert_array_equal(a_points, b_points)
    np.testing.assert_array_equal(a_labels, b_labels)
    assert not np.allclose(a_points, c_points)


@pytest.mark.parametrize(("name", "noise"), [("circle", 0), ("gauss", 50), ("spiral", 50), ("moons", 50)])
@pytest.mark.parametrize("n", [200, 201])
def test_two_class_datasets_split_in_exact_halves(name, noise, n):
    _, labels = ds.generate(name, n, noise, seed=1)
    assert sorted(np.bincount(labels)) == [n // 2, n - n // 2]


@pytest.mark.parametrize("k", [3, 4, 5, 6])
def test_blobs_has_k_balanced_classes_around_distinct_centres(k):
    points, labels = ds.generate("blobs", 600, 0, seed=2, n_classes=k)
    counts = np.bincount(labels, minlength=k)
    assert len(counts) == k and counts.max() - counts.min() <= 1
    centres = np.array([points[labels == c].mean(axis=0) for c in range(k)])
    np.testing.assert_allclose(np.hypot(*centres.T), 3.5, atol=0.2)


def test_circle_without_noise_is_separable_by_radius():
    points, labels = ds.generate("circle", 1000, 0, seed=3)
    radius = np.hypot(points[:, 0], points[:, 1])
    np.testing.assert_array_equal(labels, radius < 3)
    assert radius.max() <= 5 and not ((radius > 2.5) & (radius < 3.5)).any()


def test_circle_noise_flips_labels_but_not_points():
    points, labels = ds.generate("circle", 1000, 50, seed=3)
    radius = np.hypot(points[:, 0], points[:, 1])
    assert radius.max() <= 5  # Points stay on the clean rings.
    assert 0 < np.mean(labels != (radius < 3)) < 0.5


def test_xor_without_noise_follows_the_sign_of_the_product():
    points, labels = ds.generate("xor", 1000, 0, seed=5)
    np.testing.assert_array_equal(labels, points[:, 0] * points[:, 1] >= 0)
    assert np.abs(points).min() >= 0.3 and np.abs(points).max() <= 5.3


def test_gauss_spread_follows_tfp_variance():
    for noise, variance in [(0, 0.5), (50, 4.0)]:
        points, labels = ds.generate("gauss", 2000, noise, seed=6)
        cloud = points[labels == 1]
        np.testing.assert_allclose(cloud.mean(axis=0), [2, 2], atol=0.3)
        np.testing.assert_allclose(cloud.std(axis=0), math.sqrt(variance), rtol=0.1)


def test_spiral_without_noise_lies_on_two_arms():
    points, labels = ds.generate("spiral", 200, 0, seed=0)
    for label, delta in [(1, 0.0), (0, math.pi)]:
        arm = points[labels == label]
        i = np.arange(100) / 100
        t = 1.75 * i * 2 * math.pi + delta
        np.testing.assert_allclose(arm, np.stack([5 * i * np.sin(t), 5 * i * np.cos(t)], 1))


def test_moons_without_noise_span_the_world():
    points, labels = ds.generate("moons", 1000, 0, seed=0)
    assert -5.01 < points[:, 0].min() < -4.9 and 4.9 < points[:, 0].max() < 5.01
    # The outer moon arches up, the inner one sags down.
    assert points[labels == 0, 1].mean() > points[labels == 1, 1].mean()


def test_reg_plane_without_noise_is_the_clipped_plane():
    points, labels = ds.generate("reg-plane", 500, 0, seed=9)
    np.testing.assert_allclose(labels, np.clip(points.sum(axis=1) / 10, -1, 1))
    assert np.abs(points).max() <= 6


def _tfp_regress_gaussian_label(x, y):
    # A line-by-line port of TFP's getLabel, independent of the vectorised version.
    label = 0.0
    for cx, cy, sign in [
        (-4, 2.5, 1),
        (0, 2.5, -1),
        (4, 2.5, 1),
        (-4, -2.5, -1),
        (0, -2.5, 1),
        (4, -2.5, -1),
    ]:
        new = sign * min(max(1 - math.hypot(x - cx, y - cy) / 2, 0), 1)
        if abs(new) > abs(label):
            label = new
    return label


def test_reg_gauss_without_noise_matches_tfp():
    points, labels = ds.generate("reg-gauss", 300, 0, seed=9)
    expected = [_tfp_regress_gaussian_label(x, y) for x, y in points]
    np.testing.assert_allclose(labels, expected)
    assert (labels > 0.5).any() and (labels < -0.5).any()


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"name": "nope"}, ["nope", "circle", "reg-gauss"]),
        ({"n_samples": 1}, ["n_samples"]),
        ({"n_samples": ds.MAX_SAMPLES + 1}, ["n_samples"]),
        ({"n_samples": 10.0}, ["n_samples"]),
        ({"noise": -1}, ["noise"]),
        ({"noise": 51}, ["noise"]),
        ({"noise": float("nan")}, ["noise"]),
        ({"noise": "5"}, ["noise"]),
        ({"seed": -1}, ["seed"]),
        ({"name": "blobs", "n_classes": 2}, ["n_classes"]),
        ({"name": "blobs", "n_classes": 7}, ["n_classes"]),
    ],
)
def test_generate_rejects_bad_arguments_by_name(kwargs, words):
    args = {"name": "circle", "n_samples": 50, "noise": 0, "seed": 0} | kwargs
    with pytest.raises(ValueError) as info:
        ds.generate(**args)
    assert all(word in str(info.value) for word in words)


def test_n_classes_is_ignored_by_two_class_datasets():
    _, labels = ds.generate("circle", 50, 0, seed=0, n_classes=99)
    assert set(labels) == {0, 1}


@pytest.mark.parametrize("n", [2, 3, 10, 97, 500])
@pytest.mark.parametrize("ratio", [0.1, 0.25, 0.5, 0.7, 0.9])
def test_split_sizes_and_contents(n, ratio):
    points = np.arange(2 * n, dtype=np.float64).reshape(n, 2)
    labels = np.arange(n) % 2
    data = ds.split(points, labels, ratio, seed=0, task=ds.CLASSIFICATION, n_classes=2)
    assert len(data.x_train) == min(max(round(ratio * n), 1), n - 1)
    if 1 <= round(ratio * n) <= n - 1:
        assert len(data.x_train) == round(ratio * n)
    assert len(data.x_train) + len(data.x_test) == n
    assert len(data.y_train) == len(data.x_train) and len(data.y_test) == len(data.x_test)
    for array in (data.x_train, data.y_train, data.x_test, data.y_test):
        assert array.dtype == np.float32 and not array.flags.writeable
    x = np.concatenate([data.x_train, data.x_test])
    y = np.concatenate([data.y_train, data.y_test])
    order = np.argsort(x[:, 0])
    np.testing.assert_array_equal(x[order], points)  # A permutation of the input...
    np.testing.assert_array_equal(y[order], labels)  # ...that keeps labels with points.


def test_split_is_deterministic_per_seed():
    points, labels = ds.generate("xor", 200, 0, seed=0)
    a, b, c = (ds.split(points, labels, 0.5, s, ds.CLASSIFICATION, 2) for s in (1, 1, 2))
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, c.x_train)


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"train_ratio": 0.05}, "train_ratio"),
        ({"train_ratio": 0.95}, "train_ratio"),
        ({"task": "clustering"}, "task"),
        ({"task": ds.REGRESSION}, "n_classes"),
        ({"n_classes": 7}, "n_classes"),
        ({"labels": np.array([0, 1, 2, 0])}, "labels"),
        ({"labels": np.array([0, 1, 0])}, "labels"),
        ({"seed": -3}, "seed"),
    ],
)
def test_split_rejects_bad_arguments(kwargs, word):
    args = {
        "points": np.zeros((4, 2)),
        "labels": np.array([0, 1, 0, 1]),
        "train_ratio": 0.5,
        "seed": 0,
        "task": ds.CLASSIFICATION,
        "n_classes": 2,
    } | kwargs
    with pytest.raises(ValueError, match=word):
        ds.split(**args)


@pytest.mark.parametrize("name", NAMES)
def test_make_data_sets_task_and_class_count(name):
    data = ds.make_data(name, 120, 10, 0.75, seed=3, n_classes=4)
    spec = ds.DATASETS[name]
    assert data.task == spec.task and len(data.x_train) == 90 and len(data.x_test) == 30
    if spec.task == ds.REGRESSION:
        assert data.n_classes == 0
    else:
        assert data.n_classes == (4 if name == "blobs" else 2)
        assert set(np.unique(np.concatenate([data.y_train, data.y_test]))) <= set(range(4))


def test_points_range_covers_all_points_and_tfp_domain():
    assert ds.make_data("circle", 100, 0, 0.5, seed=0).points_range == (-6.0, 6.0)
    points = np.array([[0.0, 0.0], [1.0, -7.2], [0.5, 0.5]])
    data = ds.split(points, np.zeros(3), 0.5, 0, ds.REGRESSION, 0)
    assert data.points_range == (-8.0, 8.0)


def _by_hand(x1, x2):
    return [x1, x2, x1 * x1, x2 * x2, x1 * x2, math.sin(x1), math.sin(x2), math.cos(x1), math.cos(x2)]


def test_map_features_matches_hand_computed_values():
    points = np.array([[1.0, 2.0], [-0.5, 3.0]])
    np.testing.assert_allclose(
        ds.map_features(points, tuple(ds.FEATURES)), [_by_hand(1.0, 2.0), _by_hand(-0.5, 3.0)]
    )


def test_map_features_uses_canonical_order_not_the_given_one():
    points = np.array([[1.0, 2.0], [-0.5, 3.0]])
    got = ds.map_features(points, ("cos(x2)", "x1*x2", "x1", "x1"))
    np.testing.assert_allclose(got, [[1.0, 2.0, math.cos(2.0)], [-0.5, -1.5, math.cos(3.0)]])


@pytest.mark.parametrize("features", [(), ("x3",), "x1"])
def test_map_features_rejects_unknown_or_empty(features):
    with pytest.raises(ValueError, match="features"):
        ds.map_features(np.zeros((2, 2)), features)


def test_map_features_in_jax_matches_numpy():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    points = np.random.default_rng(0).uniform(-6, 6, (50, 2)).astype(np.float32)
    features = ("x1", "x2^2", "x1*x2", "sin(x2)", "cos(x1)")
    expected = ds.map_features(points, features)
    jitted = jax.jit(lambda p: ds.map_features(p, features, xp=jnp))
    for got in (ds.map_features(jnp.asarray(points), features, xp=jnp), jitted(points)):
        np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("raw", "task", "n_classes", "points", "labels"),
    [
        (GOOD_CSV, ds.CLASSIFICATION, 2, [[0.5, -1], [2, 3.25], [-0.4, 5]], [0, 1, 1]),
        (GOOD_CSV.encode(), ds.CLASSIFICATION, 2, [[0.5, -1], [2, 3.25], [-0.4, 5]], [0, 1, 1]),
        (b"\xef\xbb\xbfx1,x2,label\r\n1,2,0\r\n3,4,1\r\n", ds.CLASSIFICATION, 2, [[1, 2], [3, 4]], [0, 1]),
        ("\ufeffx1,x2,label\n1,2,0\n3,4,1\n", ds.CLASSIFICATION, 2, [[1, 2], [3, 4]], [0, 1]),
        (" Label ,X2, x1\n0,2,1\n\n1,4,3\n", ds.CLASSIFICATION, 2, [[1, 2], [3, 4]], [0, 1]),
        (
            'x1,x2,label\n"1","2",2\n3,4,0\n5,6,4.0\n',
            ds.CLASSIFICATION,
            5,
            [[1, 2], [3, 4], [5, 6]],
            [2, 0, 4],
        ),
        ("x1,x2,label\n1,2,0.5\n3,4,-1.5\n", ds.REGRESSION, 0, [[1, 2], [3, 4]], [0.5, -1.5]),
        ("x1,x2,label\n1,2,0\n3,4,2\n", ds.REGRESSION, 0, [[1, 2], [3, 4]], [0, 2]),
        ("x1,x2,label\n1,2,3\n3,4,6\n5,6,7\n", ds.REGRESSION, 0, [[1, 2], [3, 4], [5, 6]], [3, 6, 7]),
        ("x1,x2,label\r1,2,1\r3,4,0\r", ds.CLASSIFICATION, 2, [[1, 2], [3, 4]], [1, 0]),
        # TensorFlow Playground's own classes, -1/+1 however written: -1 is class 0, +1 class 1.
        ("x1,x2,label\n1,2,-1\n3,4,1\n5,6,1\n", ds.CLASSIFICATION, 2, [[1, 2], [3, 4], [5, 6]], [0, 1, 1]),
        (
            "x1,x2,label\n1,2,+1\n3,4,-1.0\n5,6,-1e0\n",
            ds.CLASSIFICATION,
            2,
            [[1, 2], [3, 4], [5, 6]],
            [1, 0, 0],
        ),
        # -1/0/1 are values in TFP's regression range, not three classes in some order.
        ("x1,x2,label\n1,2,-1\n3,4,0\n5,6,1\n", ds.REGRESSION, 0, [[1, 2], [3, 4], [5, 6]], [-1, 0, 1]),
        ("x1,x2,label\n1,2,1.0\n3,4,-1\n", ds.CLASSIFICATION, 2, [[1, 2], [3, 4]], [1, 0]),
        ("x1,x2,label\n1,2,-1\n3,4,0\n", ds.REGRESSION, 0, [[1, 2], [3, 4]], [-1, 0]),
        ("x1,x2,label\n1,2,-1\n3,4,-1\n", ds.REGRESSION, 0, [[1, 2], [3, 4]], [-1, -1]),
        ("x1,x2,label\n1,2,-1\n3,4,2\n", ds.REGRESSION, 0, [[1, 2], [3, 4]], [-1, 2]),
    ],
)
def test_parse_csv_good_files(raw, task, n_classes, points, labels):
    got_points, got_labels, got_task, got_classes = ds.parse_csv(raw)
    assert got_points.dtype == got_labels.dtype == np.float64
    np.testing.assert_allclose(got_points, points)
    np.testing.assert_allclose(got_labels, labels)
    assert (got_task, got_classes) == (task, n_classes)


def test_data_from_csv_splits_the_parsed_rows():
    rows = "".join(f"{i},{-i},{i % 3}\n" for i in range(40))
    data = ds.data_from_csv("x1,x2,label\n" + rows, 0.8, seed=0)
    assert (data.task, data.n_classes, len(data.x_train), len(data.x_test)) == (ds.CLASSIFICATION, 3, 32, 8)


HEADER = "x1,x2,label\n1,2,0\n"


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"", ["empty"]),
        (" \n\n", ["empty"]),
        ("x1,x2,label\n", ["no data rows"]),
        ("x1,x2,label\n1,2,0\n", ["only 1 data row"]),
        ("x1,x2\n1,2\n", ["line 1", "missing label", "'x1', 'x2'"]),
        ("x1,x2,label,z\n1,2,0,4\n", ["line 1", "unexpected 'z'"]),
        ("x1,x1,label\n1,2,0\n", ["line 1", "missing x2", "repeated x1"]),
        ("1,2,0\n3,4,1\n", ["line 1", "header", "missing x1, x2, label"]),
        (HEADER + "3,4\n", ["line 3", "found 2"]),
        (HEADER + "3,4,1,\n", ["line 3", "found 4"]),
        (HEADER + "3,abc,1\n", ["line 3", "column x2", "'abc'"]),
        ("label,x2,x1\n0,2,1\n1,4,oops\n", ["line 3", "column x1", "'oops'"]),
        (HEADER + "3,4,nan\n", ["line 3", "column label", "'nan'"]),
        (HEADER + "-inf,4,1\n", ["line 3", "column x1", "'-inf'"]),
        (HEADER + "3,4,1e999\n", ["line 3", "column label", "'1e999'"]),
        (HEADER + "3,0x1F,1\n", ["line 3", "column x2", "'0x1F'"]),
        (HEADER + "3,1_000,1\n", ["line 3", "column x2", "'1_000'"]),
        (HEADER + "3,,1\n", ["line 3", "column x2", "empty"]),
        (HEADER + "2e6,4,1\n", ["line 3", "column x1", "outside"]),
        (HEADER + "3,4," + "z" * 50 + "\n", ["line 3", "column label", "'" + "z" * 20 + "...'"]),
        ("\n" + HEADER + "\n\n3,x,1\n", ["line 6", "column x2", "'x'"]),
        ("x1,x2,label\n1,2,1\n3,4,1\n", ["every label is 1", "two different labels"]),
        (b"x1,x2,label\n1,2,0\n\x00\x01\x02", ["UTF-8"]),
        (b"x1,x2,label\n1,\xff,0\n3,4,1\n", ["UTF-8"]),
        ("x1,x2,label\n1,\ud800,0\n3,4,1\n", ["UTF-8"]),
        (HEADER + '3,"' + "9" * 200_000 + '",1\n', ["line 3"]),
    ],
)
def test_parse_csv_bad_files_name_the_line_and_column(raw, words):
    with pytest.raises(ds.DataError) as info:
        ds.parse_csv(raw)
    assert all(word in str(info.value) for word in words), str(info.value)


def test_parse_csv_limits_rows_and_bytes():
    rows = "".join(f"{i},{i},{i % 2}\n" for i in range(5))
    assert len(ds.parse_csv("x1,x2,label\n" + rows, max_rows=5)[0]) == 5
    with pytest.raises(ds.DataError, match="line 7: the file has more than 5 data rows"):
        ds.parse_csv("x1,x2,label\n" + rows + "9,9,1\n", max_rows=5)
    with pytest.raises(ds.DataError, match=r"the file is 3\.0 MB; the limit is 2\.0 MB"):
        ds.parse_csv(b"x1,x2,label\n" + b"0" * 3_100_000)


def test_data_from_csv_with_plus_minus_one_labels_is_two_balanced_classes():
    rows = "".join(f"{i},{-i},{'+1' if i % 2 else '-1'}\n" for i in range(20))
    data = ds.data_from_csv("x1,x2,label\n" + rows, 0.5, seed=0)
    assert (data.task, data.n_classes) == (ds.CLASSIFICATION, 2)
    for x, y in ((data.x_train, data.y_train), (data.x_test, data.y_test)):
        np.testing.assert_array_equal(y, x[:, 0] % 2)  # odd rows were +1: class 1


def test_upload_limit_agrees_with_streamlits():
    # The uploader must never take a file the parser then turns away as too big,
    # and the "2 MB" it shows must be the parser's limit.
    import tomllib
    from pathlib import Path

    toml = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"
    max_mb = tomllib.loads(toml.read_text())["server"]["maxUploadSize"]
    assert max_mb == ds.MAX_CSV_MB
    assert max_mb * 1024 * 1024 == ds.MAX_CSV_BYTES  # Streamlit's server counts MB so
    rows = "x1,x2,label\n1,2,0\n3,4,1\n"
    padding = ds.MAX_CSV_BYTES - len(rows)  # blank lines, which the parser skips
    largest = rows + (" " * 999 + "\n") * (padding // 1000) + " " * (padding % 1000)
    assert len(largest.encode()) == ds.MAX_CSV_BYTES
    assert len(ds.parse_csv(largest)[0]) == 2
    with pytest.raises(ds.DataError, match=r"the limit is 2\.0 MB"):
        ds.parse_csv(largest + " ")


def _check_parse(raw):
    try:
        points, labels, task, n_classes = ds.parse_csv(raw, max_bytes=4000, max_rows=50)
    except ds.DataError as error:
        assert str(error)
        return
    n = len(points)
    assert points.shape == (n, 2) and labels.shape == (n,) and 2 <= n <= 50
    assert np.isfinite(points).all() and np.isfinite(labels).all()
    assert np.abs(points).max() <= ds.MAX_ABS_VALUE
    if task == ds.CLASSIFICATION:
        assert 2 <= n_classes <= 6 and len(np.unique(labels)) >= 2
        assert set(np.unique(labels)) <= set(range(n_classes))
    else:
        assert (task, n_classes) == (ds.REGRESSION, 0)


_COORDS = st.floats(-100, 100, allow_nan=False).map(lambda v: f"{v:g}")
_LABELS = [
    st.integers(0, 1).map(str),
    st.integers(0, 5).map(str),
    st.floats(-2, 2, allow_nan=False).map(lambda v: f"{v:g}"),
]
_BAD = st.sampled_from(["nan", "inf", "", " ", "1e7", "-0", ".5", "1.", "abc", "1,2", '"'])


@st.composite
def _mutated_csvs(draw):
    header = draw(st.permutations(["x1", "x2", "label"]))
    rows = draw(st.lists(st.tuples(_COORDS, _COORDS, draw(st.sampled_from(_LABELS))), max_size=12))
    if rows and draw(st.booleans()):
        row, column = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, 2))
        rows[row] = rows[row][:column] + (draw(_BAD),) + rows[row][column + 1 :]
    sep = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    fields = [[dict(zip(("x1", "x2", "label"), row, strict=True))[name] for name in header] for row in rows]
    text = sep.join(",".join(row) for row in [header, *fields])
    for _ in range(draw(st.sampled_from([0, 0, 1, 3]))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 3))
        insert = draw(st.text(alphabet=',"\n\r\x00 0123456789.-eE\ufeffx', max_size=4))
        text = text[:at] + insert + text[at + cut :]
    return text.encode() if draw(st.booleans()) else text


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400) | _mutated_csvs())
def test_parse_csv_returns_valid_arrays_or_raises_data_error(raw):
    _check_parse(raw)
