"""The float32 L-BFGS of `tfstyle.style.lbfgs`: its compact form against the two-loop recursion, bounds, budgets."""

import numpy as np
import pytest
import scipy.optimize

from tfstyle.style.lbfgs import History, minimize


def two_loop(g, pairs):
    """Nocedal's two-loop recursion (Nocedal & Wright, Algorithm 7.4) in float64, H₀ = γI from the newest pair."""
    q, alphas = g.astype(np.float64).copy(), []
    for s, y in reversed(pairs):
        alpha = (s @ q) / (s @ y)
        q -= alpha * y
        alphas.append(alpha)
    s, y = pairs[-1]
    r = (s @ y) / (y @ y) * q
    for (s, y), alpha in zip(pairs, reversed(alphas)):
        r += s * (alpha - (y @ r) / (s @ y))
    return r


def dense_bfgs_hessian(pairs):
    """B from B₀ = θI (θ = y·y / s·y of the newest pair) and the BFGS update with every pair in turn, float64."""
    s, y = pairs[-1]
    b = (y @ y) / (s @ y) * np.eye(len(s))
    for s, y in pairs:
        bs = b @ s
        b = b - np.outer(bs, bs) / (s @ bs) + np.outer(y, y) / (y @ s)
    return b


def filled_history(rng, n, memory, added):
    a = rng.normal(size=(n, n))
    hessian = a @ a.T / n + np.eye(n)  # s·y > 0 for every pair, as the curvature check guarantees
    history, pairs = History(n, memory), []
    for _ in range(added):
        s = rng.normal(size=n).astype(np.float32)
        y = (hessian @ s).astype(np.float32)
        history.add(s, y)
        pairs.append((s.astype(np.float64), y.astype(np.float64)))
    return history, pairs[-memory:]


@pytest.mark.parametrize("added", [1, 3, 7])  # 7 pairs in a history of 4: slots are reused, oldest first
def test_step_with_nothing_held_equals_the_two_loop_recursion(rng, added):
    n, memory = 40, 4
    history, pairs = filled_history(rng, n, memory, added)
    g = rng.normal(size=n).astype(np.float32)
    expected = -two_loop(g, pairs)
    np.testing.assert_allclose(history.direction(g, np.zeros(n, bool)), expected, rtol=2e-4,
                               atol=2e-5 * np.abs(expected).max())  # fmt: skip
    assert len(history) == min(added, memory)


def test_step_with_held_variables_solves_the_reduced_hessian(rng):
    """Held variables do not move, and the free ones take −(B_FF)⁻¹ g_F: the Newton step of the model with the held
    ones fixed (not the restriction of B⁻¹, which differs whenever the held ones are coupled to the free ones)."""
    n, memory = 40, 5
    history, pairs = filled_history(rng, n, memory, 8)
    g = rng.normal(size=n).astype(np.float32)
    held = np.zeros(n, bool)
    held[[2, 3, 17, 30, 31, 39]] = True
    b = dense_bfgs_hessian(pairs)
    free = ~held
    expected = np.zeros(n)
    expected[free] = -np.linalg.solve(b[np.ix_(free, free)], g[free])
    step = history.direction(g, held)
    np.testing.assert_allclose(step, expected, rtol=1e-3, atol=1e-4 * np.abs(expected).max())
    assert np.all(step[held] == 0.0)
    restricted_inverse = -(np.linalg.inv(b)[np.ix_(free, free)] @ g[free])
    assert np.abs(restricted_inverse - expected[free]).max() > 0.05 * np.abs(expected).max()  # the test can tell


def test_unconstrained_rosenbrock_reaches_its_minimum():
    def rosenbrock(x):
        x = x.astype(np.float64)
        value = np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
        grad = np.zeros_like(x)
        grad[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
        grad[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
        return value, grad, None

    x = minimize(rosenbrock, np.full((2, 5), -1.0), steps=500, max_evaluations=1000, memory=10, bounds=None)
    assert x.shape == (2, 5) and x.dtype == np.float32
    np.testing.assert_allclose(x, 1.0, atol=1e-3)


def test_bounded_quadratic_matches_scipy_lbfgsb(rng):
    """A coupled quadratic whose unconstrained minimum lies partly outside [0, 1]: the box solution has pixels on
    both bounds and inside; float32 L-BFGS must find the same point and value as SciPy's float64 L-BFGS-B."""
    n = 300
    a = rng.normal(size=(n, n))
    hessian = a @ a.T / n + 0.1 * np.eye(n)
    centre = rng.uniform(-0.5, 1.5, n)

    def quadratic(x):
        d = x.astype(np.float64) - centre
        return 0.5 * d @ hessian @ d, hessian @ d, None

    reference = scipy.optimize.minimize(lambda x: quadratic(x)[:2], np.full(n, 0.5), jac=True, method="L-BFGS-B",
                                        bounds=[(0.0, 1.0)] * n, options={"maxiter": 5000, "maxfun": 10000,
                                                                          "ftol": 1e-15, "gtol": 1e-10})  # fmt: skip
    seen = []
    x = minimize(quadratic, np.full(n, 0.5), steps=2000, max_evaluations=4000, memory=20,
                 callback=lambda x, value, extra: seen.append(value))  # fmt: skip
    assert x.min() >= 0.0 and x.max() <= 1.0
    on_bounds = np.mean((reference.x < 1e-6) | (reference.x > 1 - 1e-6))
    assert 0.2 < on_bounds < 0.9  # the bounds matter in this problem
    np.testing.assert_allclose(x, reference.x, atol=2e-3)
    assert quadratic(x)[0] <= reference.fun * (1 + 1e-5) + 1e-6
    assert all(later <= earlier for earlier, later in zip(seen, seen[1:]))  # every accepted step decreases f


def test_budgets_are_kept_and_a_stationary_point_stops_at_once():
    calls = []

    def quartic(x):
        calls.append(1)
        return float(np.sum((x - 3.0) ** 4)), 4.0 * (x - 3.0) ** 3, None

    minimize(quartic, np.zeros(10), steps=100, max_evaluations=7, bounds=None)
    assert len(calls) == 7
    iterations = []
    minimize(quartic, np.zeros(10), steps=3, max_evaluations=100, bounds=None,
             callback=lambda *args: iterations.append(1))  # fmt: skip
    assert len(iterations) == 3
    # the minimum lies outside the [0, 1] box: the run ends on the bound, where the projected gradient is zero
    calls.clear()
    x = minimize(quartic, np.zeros(10), steps=50, max_evaluations=200)
    np.testing.assert_allclose(x, 1.0)
    assert len(calls) < 10
    calls.clear()
    flat = lambda x: (calls.append(1), (0.0, np.zeros_like(x), None))[1]  # noqa: E731
    minimize(flat, np.full(4, 0.5), steps=50, max_evaluations=50)
    assert len(calls) == 1


def test_held_variables_are_those_pushed_out_of_the_box():
    from tfstyle.style.lbfgs import _held

    x = np.array([0.0, 0.0, 1.0, 1.0, 0.5, 0.5], np.float32)
    gradient = np.array([1.0, -1.0, -1.0, 1.0, 1.0, -1.0], np.float32)  # descent moves along −g
    np.testing.assert_array_equal(_held(x, gradient, (0.0, 1.0)), [True, False, True, False, False, False])
    assert not _held(x, gradient, None).any()
