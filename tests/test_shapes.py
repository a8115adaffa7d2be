"""The procedural shapes dataset (playground/data/shapes.py): areas against geometry, symmetry,
determinism, balance and limits."""

import numpy as np
import pytest

from playground.data import shapes

SIZE, R = 32, 9.0


def ink(kind: str, angle: float = 0.3, sub: int = 8) -> float:
    return float(shapes.draw(kind, SIZE / 2, SIZE / 2, R, angle, SIZE, sub).sum())


@pytest.mark.parametrize(
    "kind, area",
    [
        ("circle", np.pi * R**2),
        ("square", (2 * shapes.SQUARE_HALF * R) ** 2),
        ("triangle", 3 * np.sqrt(3) / 4 * (shapes.TRIANGLE_SCALE * R) ** 2),  # equilateral, circumradius 1.2R
        ("cross", 2 * (2 * shapes.CROSS_HALF_WIDTH * R) * (2 * R) - (2 * shapes.CROSS_HALF_WIDTH * R) ** 2),
    ],
)
def test_ink_equals_the_shapes_area(kind, area):
    assert ink(kind) == pytest.approx(area, rel=0.02)


def test_rotations_and_symmetries():
    circle = [shapes.draw("circle", 16, 16, R, a, SIZE, 8) for a in (0.0, 0.7, 2.0)]
    np.testing.assert_allclose(circle[0], circle[1], atol=1e-6)
    np.testing.assert_allclose(circle[0], circle[2], atol=1e-6)
    square = shapes.draw("square", 16, 16, R, 0.0, SIZE, 8)
    np.testing.assert_allclose(square, shapes.draw("square", 16, 16, R, np.pi / 2, SIZE, 8), atol=1e-6)
    cross = shapes.draw("cross", 16, 16, R, 0.0, SIZE, 8)
    np.testing.assert_allclose(cross, cross.T, atol=1e-6)  # a plus sign: the same transposed
    tri = shapes.draw("triangle", 16, 16, R, 0.0, SIZE, 8)
    np.testing.assert_allclose(tri, tri[:, ::-1], atol=1e-6)  # vertex up: mirror-symmetric left-right
    top, bottom = tri[: SIZE // 2].sum(), tri[SIZE // 2 :].sum()
    assert top < bottom  # a vertex up, an edge down
    rotated = shapes.draw("triangle", 16, 16, R, np.pi, SIZE, 8)
    np.testing.assert_allclose(rotated, tri[::-1, :], atol=1e-6)  # half a turn: upside down


def test_dataset_is_deterministic_balanced_and_bounded():
    a, la = shapes.make_shapes(101, seed=3, noise=0.1)
    b, lb = shapes.make_shapes(101, seed=3, noise=0.1)
    c, _ = shapes.make_shapes(101, seed=4, noise=0.1)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(la, lb)
    assert not np.array_equal(a, c)
    assert a.shape == (101, 16, 16) and a.dtype == np.float32 and la.dtype == np.int64
    assert a.min() >= 0 and a.max() <= 1
    counts = np.bincount(la, minlength=len(shapes.SHAPES))
    assert counts.max() - counts.min() <= 1
    clean, labels = shapes.make_shapes(200, seed=1)
    assert ((clean > 0) & (clean < 1)).any()  # anti-aliased edges
    # Every image has ink and stays inside the frame (no shape cut off by the border).
    assert (clean.sum(axis=(1, 2)) > 10).all()
    border = np.concatenate([clean[:, 0], clean[:, -1], clean[:, :, 0], clean[:, :, -1]], axis=1)
    assert border.max() < 0.5
    # Classes differ on average where it shows: a cross has less ink than a square of its radius.
    mean_ink = [clean[labels == k].sum(axis=(1, 2)).mean() for k in range(4)]
    assert mean_ink[shapes.SHAPES.index("cross")] < mean_ink[shapes.SHAPES.index("square")]


@pytest.mark.parametrize(
    "kwargs, field",
    [({"n": 0}, "n"), ({"n": shapes.MAX_IMAGES + 1}, "n"), ({"n": 4, "size": 4}, "size"),
     ({"n": 4, "noise": -0.1}, "noise"), ({"n": 4, "noise": 2.0}, "noise")],
)  # fmt: skip
def test_bad_arguments_name_the_field(kwargs, field):
    with pytest.raises(ValueError) as err:
        shapes.make_shapes(**kwargs)
    assert str(err.value).startswith(field + ":")
    with pytest.raises(ValueError, match="unknown shape"):
        shapes.draw("hexagon", 8, 8, 3, 0)
