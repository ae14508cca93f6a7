"""L-BFGS on an image in float32, with box bounds ([0, 1] pixels).

The method is L-BFGS (Liu & Nocedal, "On the limited memory BFGS method for large scale optimization", Math.
Programming 1989) with the bound handling of L-BFGS-B simplified (Byrd, Lu, Nocedal & Zhu, "A limited memory
algorithm for bound constrained optimization", SIAM J. Sci. Comput. 1995):
- a pixel on a bound whose gradient pushes it outwards is held for the step (a projected quasi-Newton method's
  active set: Bertsekas, "Projected Newton methods for optimization problems with simple constraints", SIAM J.
  Control Optim. 1982), instead of L-BFGS-B's generalized Cauchy point;
- the other pixels take the Newton step of the L-BFGS model with the held ones fixed, as in L-BFGS-B's subspace
  minimisation, from the compact form of the model (Byrd, Nocedal & Schnabel, "Representations of quasi-Newton
  matrices and their use in limited memory methods", Math. Programming 1994);
- a backtracking (Armijo) line search runs along the projection of that path onto the box, instead of L-BFGS-B's
  Moré-Thuente search; a pair (s, y) enters the history only with positive curvature, as in L-BFGS-B.
Each iteration reads the history as four matrix-vector products (BLAS, several threads).

Why not SciPy's L-BFGS-B, which `stylize` used before session 20? It works in float64 on one core, and with the
history of 100 that `torch.optim.LBFGS` uses it took longer per iteration than the VGG evaluation itself. Measured
at 256 px with the `gatys2016` and `pytorch-tutorial` presets on three paintings: 0.43-0.73x the time of L-BFGS-B,
and a lower final loss at the same budget in five cases of six (19 % higher in the sixth, where many pixels reach
the bounds early; `benchmarks/RESULTS.md`, session 20)."""

import numpy as np

ARMIJO = 1e-4  # sufficient-decrease constant c1 (Nocedal & Wright's usual value, also L-BFGS-B's ftol)
MAX_TRIALS = 20  # line-search trials before the history is dropped (then the search stops)
GRADIENT_TOLERANCE = 1e-5  # stop when no projected-gradient entry is larger (SciPy's default `gtol`)


class History:
    """The last `memory` pairs (s, y) = (step, change of gradient) as the rows of one float32 matrix [S; Y], with
    their inner products s_i·y_j, s_i·s_j and y_i·y_j in float64, kept up to date one pair at a time.

    Slots are reused oldest first; `order` lists the filled slots from oldest to newest.
    """

    def __init__(self, size, memory):
        self.memory = memory
        # NumPy, not a tf.Variable: assigning one row of a variable this large took 36 ms, and TensorFlow's
        # matrix-vector product 50 ms against BLAS's 12 ms (measured at 384 px with m = 100)
        self.rows = np.zeros((2 * memory, size), np.float32)
        self.sy, self.ss, self.yy = (np.zeros((memory, memory)) for _ in range(3))
        self.order = []

    def __len__(self):
        return len(self.order)

    def clear(self):
        self.order = []

    def add(self, s, y):
        """Stores a pair in the oldest slot (a new one while the history is not full)."""
        if len(self.order) == self.memory:
            slot = self.order.pop(0)
        else:
            slot = next(i for i in range(self.memory) if i not in self.order)
        self.rows[slot] = s
        self.rows[self.memory + slot] = y
        with_s = (self.rows @ s).astype(np.float64)  # s_i·s_new and y_i·s_new for every stored pair
        with_y = (self.rows @ y).astype(np.float64)  # s_i·y_new and y_i·y_new
        self.ss[:, slot] = self.ss[slot, :] = with_s[: self.memory]
        self.sy[slot, :] = with_s[self.memory :]
        self.sy[:, slot] = with_y[: self.memory]
        self.yy[:, slot] = self.yy[slot, :] = with_y[self.memory :]
        self.order.append(slot)

    def direction(self, g, held):
        """The quasi-Newton step −(Zᵀ B Z)⁻¹ Zᵀ g in the free variables (Z: the identity without the `held` ones,
        which stay put), as in L-BFGS-B's subspace minimisation (Byrd, Lu, Nocedal & Zhu, "A limited memory
        algorithm for bound constrained optimization", SIAM J. Sci. Comput. 1995, section 5.1).

        B is the L-BFGS Hessian approximation in Byrd, Nocedal & Schnabel's compact form, B = θI − W M Wᵀ with
        W = [Y θS], M⁻¹ = K = [[−D, Lᵀ], [L, θSᵀS]] (D: diagonal of SᵀY, L: its strict lower triangle, pairs in
        time order) and θ = y·y / s·y of the newest pair. By the Sherman-Morrison-Woodbury formula, with U = ZᵀW,
            (ZᵀBZ)⁻¹ = I/θ + U (K − UᵀU/θ)⁻¹ Uᵀ / θ²,
        where UᵀU = WᵀW minus the held variables' part, so one pass over the history gives Uᵀg and another U·v.
        Restricting B rather than its inverse matters: a pixel held at a bound with a large change of gradient
        would otherwise distort the step of every free one.
        """
        g = g * ~held
        if not self.order:
            return -g
        order, m = np.array(self.order), self.memory
        newest = order[-1]
        theta = self.yy[newest, newest] / self.sy[newest, newest]
        sy, ss = self.sy[np.ix_(order, order)], self.ss[np.ix_(order, order)]
        middle = np.block([[-np.diag(np.diag(sy)), np.tril(sy, -1).T],
                           [np.tril(sy, -1), theta * ss]])  # fmt: skip
        gram = np.block([[self.yy[np.ix_(order, order)], theta * sy.T],
                         [theta * sy, theta**2 * ss]])  # fmt: skip
        held_columns = np.flatnonzero(held)
        if held_columns.size:
            # np.ix_ gathers only the held columns (rows[order] would copy the whole history first)
            w_held = self.rows[np.ix_(np.concatenate([m + order, order]), held_columns)].astype(np.float64)
            w_held[len(order) :] *= theta
            gram -= w_held @ w_held.T
        products = (self.rows @ g).astype(np.float64)
        w_g = np.concatenate([products[m + order], theta * products[order]])
        v = np.linalg.solve(middle - gram / theta, w_g)
        coefficients = np.zeros(2 * m, np.float32)
        coefficients[m + order] = v[: len(order)]
        coefficients[order] = theta * v[len(order) :]
        w_v = coefficients @ self.rows
        return (-g / np.float32(theta) - w_v * ~held / np.float32(theta**2)).astype(np.float32)


def minimize(fun, x0, steps, max_evaluations, memory=50, bounds=(0.0, 1.0), callback=None):
    """Minimises `fun` from `x0` with L-BFGS, keeping every entry within `bounds`.

    Args:
        fun: x (a float32 NumPy array shaped like `x0`) -> (value, gradient, extra): the gradient as an array or a
            tensor; `extra` is passed to `callback`.
        x0: the starting point, an array of any shape (projected onto the bounds first).
        steps: iterations at most.
        max_evaluations: calls of `fun` at most (line searches may call it more than once per iteration).
        memory: pairs of vectors the history keeps (m). Defaults to 50.
        bounds: (low, high) for every entry, or None for no bounds. Defaults to (0.0, 1.0).
        callback: called as `callback(x, value, extra)` after every iteration. Defaults to None.

    Returns:
        The last accepted point, a float32 array shaped like `x0`. The run also stops early when the line search
        finds no decrease even along the (projected) steepest descent, or when the projected gradient vanishes.
    """
    shape = np.shape(x0)
    project = (lambda v: np.clip(v, *bounds)) if bounds is not None else (lambda v: v)  # noqa: E731
    x = project(np.asarray(x0, np.float32).ravel())
    history = History(x.size, memory)
    value, gradient, extra = fun(x.reshape(shape))
    value, gradient = float(value), _flat(gradient)
    evaluations = 1
    for _ in range(steps):
        if np.max(np.abs(project(x - gradient) - x)) <= GRADIENT_TOLERANCE:
            break
        found, evaluations = _step(fun, shape, project, bounds, history, x, value, gradient, evaluations,
                                   max_evaluations)  # fmt: skip
        if found is None and len(history):
            history.clear()  # the history misleads here: try the steepest descent before giving up
            found, evaluations = _step(fun, shape, project, bounds, history, x, value, gradient, evaluations,
                                       max_evaluations)  # fmt: skip
        if found is None:
            break
        x_new, value, gradient_new, extra = found
        s, y = x_new - x, gradient_new - gradient
        # keep the pair only if it has positive curvature, as L-BFGS-B does, so that B stays positive definite
        if float(s @ y) > np.finfo(np.float32).eps * -float(gradient @ s):
            history.add(s, y)
        x, gradient = x_new, gradient_new
        if callback is not None:
            callback(x.reshape(shape), value, extra)
        if evaluations >= max_evaluations:
            break
    return x.reshape(shape)


def _step(fun, shape, project, bounds, history, x, value, gradient, evaluations, max_evaluations):
    """One iteration's direction and line search. Returns ((x, f, g, extra) or None, evaluations so far)."""
    held = _held(x, gradient, bounds)
    direction = history.direction(gradient, held)
    if float(gradient @ direction) >= 0.0:  # not a descent direction: start the history over
        history.clear()
        direction = history.direction(gradient, held)
    # the first step of a fresh history has length 1, as in L-BFGS-B; later ones take the full quasi-Newton step
    step = 1.0 if len(history) else min(1.0, 1.0 / max(float(np.linalg.norm(direction)), 1e-30))
    return _line_search(fun, shape, project, x, value, gradient, direction, step, max_evaluations - evaluations,
                        evaluations)  # fmt: skip


def _flat(gradient):
    return np.asarray(gradient, np.float32).ravel()


def _held(x, gradient, bounds):
    """True where a variable sits on a bound and the gradient pushes it outwards: it stays there for the step."""
    if bounds is None:
        return np.zeros(x.shape, bool)
    low, high = bounds
    return ((x <= low) & (gradient > 0)) | ((x >= high) & (gradient < 0))


def _line_search(fun, shape, project, x, value, gradient, direction, step, budget, evaluations):
    """Backtracking along the projected path x(t) = P(x + t·d) until f(x(t)) ≤ f(x) + c₁·g·(x(t) − x); each
    shorter trial step comes from a quadratic fitted to the last one, kept within [0.1, 0.5] of it.

    Returns ((x(t), f, g, extra) or None, evaluations so far)."""
    for _ in range(min(MAX_TRIALS, budget)):
        trial = project(x + step * direction)
        slope = float(gradient @ (trial - x))  # g·(x(t) − x) < 0 along a descent path
        if slope >= 0.0:
            return None, evaluations
        trial_value, trial_gradient, extra = fun(trial.reshape(shape))
        trial_value = float(trial_value)
        evaluations += 1
        if np.isfinite(trial_value) and trial_value <= value + ARMIJO * slope:
            return (trial, trial_value, _flat(trial_gradient), extra), evaluations
        if np.isfinite(trial_value):
            # minimiser of the quadratic through f(0) = value, f'(0) = slope / step, f(step) = trial_value
            fitted = -slope * step / (2.0 * (trial_value - value - slope))
            step = min(max(fitted, 0.1 * step), 0.5 * step)
        else:
            step *= 0.1
    return None, evaluations
