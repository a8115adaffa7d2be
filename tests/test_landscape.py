"""Loss landscapes: optimizer paths against closed-form iterates, the test functions'
minima, and the network loss slice against the engine's own loss."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from playground.core import engine, models
from playground.core.config import Config
from playground.lab import figures as race_figures
from playground.lab import landscape, race

A = landscape.QUADRATIC_A
QUAD = "ill-conditioned quadratic"
START = np.array([-2.5, -1.2])


def test_quadratic_is_ill_conditioned_as_documented():
    np.testing.assert_allclose(np.linalg.eigvalsh(A), [1.0, 20.0], rtol=1e-12)
    p = np.array([0.7, -0.3])
    np.testing.assert_allclose(landscape.function_value(QUAD, p), 0.5 * p @ A @ p, rtol=1e-6)


@pytest.mark.parametrize("lr", [0.01, 0.05, 0.09])
def test_gradient_descent_on_the_quadratic_matches_closed_form_iterates(lr):
    steps = 60
    paths, escaped = landscape.trajectories(QUAD, [Config(optimizer="sgd", learning_rate=lr)], START, steps)
    m = np.eye(2) - lr * A
    expected = np.stack([np.linalg.matrix_power(m, t) @ START for t in range(steps + 1)])
    assert paths.shape == (1, steps + 1, 2) and not escaped[0]
    np.testing.assert_allclose(paths[0], expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("optimizer", ["momentum", "nesterov"])
def test_momentum_on_the_quadratic_matches_its_recursion(optimizer):
    lr, mu, steps = 0.02, 0.8, 80
    config = Config(optimizer=optimizer, learning_rate=lr, momentum=mu)
    paths, _ = landscape.trajectories(QUAD, [config], START, steps)
    x, v, expected = START.copy(), np.zeros(2), [START.copy()]
    for _ in range(steps):  # optax.sgd: v <- g + mu v; step g + mu v (Nesterov) or v
        g = A @ x
        v = g + mu * v
        x = x - lr * (g + mu * v if optimizer == "nesterov" else v)
        expected.append(x.copy())
    np.testing.assert_allclose(paths[0], np.array(expected), rtol=1e-4, atol=1e-5)


def test_adam_path_matches_a_numpy_adam():
    lr, b1, b2, eps, steps = 0.05, 0.9, 0.999, 1e-8, 50
    paths, _ = landscape.trajectories(QUAD, [Config(optimizer="adam", learning_rate=lr)], START, steps)
    x, m, v, expected = START.copy(), np.zeros(2), np.zeros(2), [START.copy()]
    for t in range(1, steps + 1):
        g = A @ x
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        x = x - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        expected.append(x.copy())
    np.testing.assert_allclose(paths[0], np.array(expected), rtol=1e-4, atol=1e-4)


def test_contenders_run_together_as_they_run_alone():
    configs = [
        Config(optimizer="sgd", learning_rate=0.03),
        Config(optimizer="momentum", learning_rate=0.01, momentum=0.5),
        Config(optimizer="adam", learning_rate=0.1),
        Config(optimizer="rmsprop", learning_rate=0.01),
    ]
    together, _ = landscape.trajectories("Himmelblau", configs, (0.5, -1.0), 100, 0.3)
    for i, c in enumerate(configs):
        alone, _ = landscape.trajectories("Himmelblau", [c], (0.5, -1.0), 100, 0.3)
        np.testing.assert_allclose(together[i], alone[0], rtol=1e-5, atol=1e-5)


def test_a_path_that_blows_up_stops_and_is_flagged():
    paths, escaped = landscape.trajectories(
        QUAD, [Config(learning_rate=0.5), Config(learning_rate=0.01)], START, 200
    )
    assert escaped.tolist() == [True, False]
    assert np.all(np.isfinite(paths)) and np.abs(paths).max() < landscape.ESCAPE
    assert np.array_equal(paths[0, -1], paths[0, -2])  # frozen at its last good point


@pytest.mark.parametrize("name", list(landscape.FUNCTIONS))
def test_minima_have_zero_gradient_and_the_documented_value(name):
    f = landscape.FUNCTIONS[name]
    grad = jax.grad(lambda p: f.fn(p[0], p[1]))
    for point in (*f.minima, *f.saddles):
        g = np.asarray(grad(jnp.asarray(point, jnp.float64 if jax.config.x64_enabled else jnp.float32)))
        assert np.abs(g).max() < 1e-3, (name, point, g)
    for point in f.minima:
        assert abs(float(landscape.function_value(name, np.array(point))) - f.min_value) < 1e-5
    # minima are the lowest points of the plotted surface (on a fine grid)
    s = landscape.surface(name, 201)
    assert s["z"].min() >= f.min_value - 1e-3
    lo_x, hi_x = f.x_range
    assert all(lo_x <= m[0] <= hi_x for m in f.minima)


@pytest.mark.parametrize("name", list(landscape.FUNCTIONS))
def test_adam_or_momentum_gets_near_a_minimum_from_the_default_start(name):
    f = landscape.FUNCTIONS[name]
    configs = [Config(optimizer="momentum", learning_rate=0.03), Config(optimizer="adam", learning_rate=0.03)]
    paths, _ = landscape.trajectories(name, configs, f.start, 2000, f.lr_scale)
    ends = paths[:, -1]
    dist = np.linalg.norm(ends[:, None] - np.asarray(f.minima)[None], axis=-1).min()
    assert dist < 0.05, (name, ends)


@pytest.mark.parametrize(
    "args, words",
    [
        (("nope", (0, 0), 10), "unknown function"),
        ((QUAD, (0, 0), 0), "steps must be"),
        ((QUAD, (np.nan, 0), 10), "two finite numbers"),
        ((QUAD, (1, 2, 3), 10), "two finite numbers"),
    ],
)
def test_trajectory_arguments_are_checked(args, words):
    with pytest.raises(ValueError, match=words):
        landscape.trajectories(args[0], [Config()], args[1], args[2])


def test_landscape_figure_draws_paths_up_to_a_step():
    f = landscape.FUNCTIONS["Rosenbrock"]
    paths, _ = landscape.trajectories("Rosenbrock", [Config(), Config(optimizer="adam")], f.start, 100, 0.03)
    fig = race_figures.landscape_figure(
        f, landscape.surface("Rosenbrock", 50), paths, ["a", "b"], click_grid=5
    )
    assert [t.type for t in fig.data[:3]] == ["contour", "scatter", "scatter"] and fig.data[
        2
    ].name == "start here"
    assert len(fig.data[2].x) == 25
    assert [t.name for t in fig.data[3:]] == ["a", "a now", "b", "b now"]
    np.testing.assert_allclose(fig.data[3].x, paths[0, :, 0])
    part = race_figures.landscape_figure(f, landscape.surface("Rosenbrock", 50), paths, ["a", "b"], upto=10)
    np.testing.assert_allclose(part.data[2].y, paths[0, :11, 1])
    np.testing.assert_allclose(part.data[5].x, paths[1, 10:11, 0])  # "b now" at step 10


# ---- the network slice ------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained():
    base, contenders = race.preset("SGD vs momentum vs Adam", Config(noise=10))
    r = race.Race(base, contenders[:2])
    for _ in range(4):
        r.advance(8, chunk=8)
    return r


def test_slice_at_the_origin_is_the_loss_at_the_current_weights(trained):
    r = trained
    for i in range(2):
        task, params = r.groups[r.group_of[i]].task, r.params(i)
        d1, d2 = landscape.random_directions(params, seed=3)
        sl = landscape.loss_slice(task, params, d1, d2, span=0.5, n=21)
        assert sl["z"].shape == (21, 21) and sl["a"][10] == 0
        np.testing.assert_allclose(sl["z"][10, 10], r.histories[i]["train_loss"][-1], rtol=1e-5)


def test_slice_along_two_weights_matches_editing_those_weights(trained):
    r = trained
    task, params = r.groups[0].task, r.params(0)
    names = landscape.weight_names(params)
    first, second = names.index("layer 1 w 0→1"), names.index("layer 2 b 0")
    d1, d2 = landscape.weight_directions(params, first, second)
    sl = landscape.loss_slice(task, params, d1, d2, span=2.0, n=5)  # a, b in -2, -1, 0, 1, 2
    layers = [{k: np.array(v) for k, v in layer.items()} for layer in models.params_to_layers(params)]
    layers[0]["kernel"][0, 1] += sl["a"][4]
    layers[1]["bias"][0] += sl["b"][1]
    edited = models.layers_to_params(params, layers)
    per, _ = engine._metrics(task.arch, engine._graphdef(task.arch.specs, task.arch.n_in), edited,
                             task.x_train, task.y_train)  # fmt: skip
    np.testing.assert_allclose(sl["z"][1, 4], float(per.mean()), rtol=1e-5)


def test_random_directions_are_filter_normalized(trained):
    params = trained.params(0)
    d1, _ = landscape.random_directions(params, seed=0)
    flat = landscape.flatten(params)
    names = landscape.weight_names(params)
    layers = models.params_to_layers(params)
    for li, layer in enumerate(layers):
        kernel = layer["kernel"]
        for j in range(kernel.shape[1]):
            idx = [names.index(f"layer {li + 1} w {i}→{j}") for i in range(kernel.shape[0])]
            np.testing.assert_allclose(np.linalg.norm(d1[idx]), np.linalg.norm(flat[idx]), rtol=1e-6)
        bias = [names.index(f"layer {li + 1} b {j}") for j in range(kernel.shape[1])]
        assert not np.any(d1[bias])


def test_projection_recovers_plane_coordinates():
    rng = np.random.default_rng(0)
    center, d1, d2 = rng.normal(size=(3, 30))
    path = np.stack([center + a * d1 + b * d2 for a, b in [(0.3, -0.2), (1.0, 0.5), (0, 0)]])
    np.testing.assert_allclose(landscape.project(path, center, d1, d2), [[0.3, -0.2], [1.0, 0.5], [0, 0]],
                               atol=1e-10)  # fmt: skip


@pytest.mark.parametrize("mode", landscape.DIRECTIONS)
def test_network_slice_view_covers_the_path(trained, mode):
    r = trained
    epochs, path = r.path(1)
    assert epochs.tolist() == [0, 8, 16, 24, 32]
    view = landscape.network_slice(r.groups[0].task, r.params(1), epochs, path, mode, n=11)
    assert view["coords"].shape == (5, 2)
    np.testing.assert_allclose(view["coords"][-1], [0, 0], atol=1e-5)  # the path ends at the current weights
    span = view["slice"]["a"][-1]
    assert np.abs(view["coords"]).max() <= span + 1e-9
    fig = race_figures.slice_figure(view["slice"], view["coords"], view["epochs"], "momentum")
    assert [t.name for t in fig.data] == [None, "momentum", "current weights"]


def test_network_slice_errors_are_clear(trained):
    params = trained.params(0)
    with pytest.raises(ValueError, match="different weights"):
        landscape.weight_directions(params, 3, 3)
    with pytest.raises(ValueError, match="outside 0..24"):
        landscape.weight_directions(params, 0, 25)
    with pytest.raises(ValueError, match="at least 3 distinct snapshots"):
        landscape.path_directions(np.zeros((2, 25)))
