"""Finite-difference checks of gradient rules, run through `gf.gradients` and a `gf.Session` (STYLE.md section 11).

Every check builds a small float64 graph from placeholders, so it tests the rule, the backward walk and the plan
together. First derivatives are compared with central differences of `sum(y * c)` for a random cotangent `c` (a
ones-cotangent would miss rules that are wrong by a term summing to zero, such as softmax's); second derivatives
are compared as Hessian-vector products with central differences of the first derivative along a random direction.

Inputs are drawn from the standard normal unless a `domain` says otherwise: a `(lo, hi)` pair (uniform), a callable
`domain(rng, shape) -> array` such as `kink_free()`, or a list with one of those (or None) per input. Inputs that are
not differentiated (integer labels, a bool condition) are passed as `extra` arrays: each is fed through a placeholder
of its own dtype and shape and handed to `build` after the differentiable inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import graphflow as gf

Shape = tuple[int, ...]
Domain = tuple[float, float] | Callable[[np.random.Generator, Shape], np.ndarray] | None


def kink_free(margin: float = 0.2, high: float = 2.0, at: float = 0.0) -> Callable[[np.random.Generator, Shape], Any]:
    """A domain whose values keep at least `margin` from the kink at `at` (relu, abs, sign), with random signs."""

    def draw(rng: np.random.Generator, shape: Shape) -> np.ndarray:
        magnitude = rng.uniform(margin, high, size=shape)
        return at + np.where(rng.random(shape) < 0.5, -magnitude, magnitude)

    return draw


def draw_inputs(rng: np.random.Generator, shapes: Sequence[Shape], domain: Domain | Sequence[Domain]) -> list[Any]:
    """One float64 array per shape, drawn from `domain` (one domain for all inputs, or a list with one per input)."""
    domains = list(domain) if isinstance(domain, list) else [domain] * len(shapes)
    if len(domains) != len(shapes):
        raise ValueError(f"{len(domains)} domains for {len(shapes)} inputs")
    values = []
    for shape, dom in zip(shapes, domains, strict=True):
        if dom is None:
            value = rng.standard_normal(shape)
        elif callable(dom):
            value = dom(rng, shape)
        else:
            lo, hi = dom
            value = rng.uniform(lo, hi, size=shape)
        values.append(np.array(value, dtype=np.float64).reshape(shape))
    return values


class _Problem:
    """The graph shared by both checks: placeholders, y = build(...), a scalar loss sum(y * c), and its feeds."""

    def __init__(
        self,
        build: Callable[..., gf.Node],
        shapes: Sequence[Shape],
        seed: int,
        domain: Domain | Sequence[Domain],
        extra: Sequence[np.ndarray],
        static_shapes: bool,
    ) -> None:
        self.rng = np.random.default_rng(seed)
        self.shapes = [tuple(s) for s in shapes]
        self.xs = [
            gf.placeholder(gf.float64, s if static_shapes else None, name=f"x{i}") for i, s in enumerate(self.shapes)
        ]
        extra = [np.asarray(e) for e in extra]
        self.extra_nodes = [
            gf.placeholder(e.dtype, e.shape if static_shapes else None, name=f"extra{i}") for i, e in enumerate(extra)
        ]
        self.extra_feed = dict(zip(self.extra_nodes, extra, strict=True))
        self.y = build(*self.xs, *self.extra_nodes)
        self.values = draw_inputs(self.rng, self.shapes, domain)

    def feed(self, values: Sequence[np.ndarray]) -> dict:
        return {**dict(zip(self.xs, values, strict=True)), **self.extra_feed}

    def make_loss(self, sess: gf.Session) -> gf.Node:
        y_value = np.asarray(sess.run(self.y, self.feed(self.values)))
        if y_value.dtype != np.float64:
            raise AssertionError(f"build() must return float64 for a finite-difference check, got {y_value.dtype}")
        self.cotangent = self.rng.standard_normal(y_value.shape)
        return gf.reduce_sum(self.y * gf.constant(self.cotangent, dtype=gf.float64))


def _numeric_gradient(f: Callable[[], float], v: np.ndarray, eps: float) -> np.ndarray:
    num = np.zeros_like(v)
    for i in np.ndindex(v.shape):
        old = v[i]
        v[i] = old + eps
        hi = f()
        v[i] = old - eps
        lo = f()
        v[i] = old
        num[i] = (hi - lo) / (2 * eps)
    return num


def _as_array(grad: Any, like: np.ndarray, what: str) -> np.ndarray:
    """A fetched gradient as an array, zeros where gf.gradients returned None (the rule says nothing flows)."""
    if grad is None:
        return np.zeros_like(like)
    grad = np.asarray(grad)
    if grad.shape != like.shape:
        raise AssertionError(f"{what}: gradient has shape {grad.shape}, but the input has shape {like.shape}")
    if grad.dtype != like.dtype:
        raise AssertionError(f"{what}: gradient has dtype {grad.dtype}, but the input has dtype {like.dtype}")
    return grad


def check_gradients(
    build: Callable[..., gf.Node],
    shapes: Sequence[Shape],
    rtol: float = 1e-5,
    atol: float = 1e-7,
    seed: int = 0,
    eps: float = 1e-6,
    domain: Domain | Sequence[Domain] = None,
    extra: Sequence[np.ndarray] = (),
    static_shapes: bool = True,
) -> list[np.ndarray]:
    """Compares `gf.gradients` of `sum(build(*xs, *extra) * c)` with central differences, in float64.

    Args:
        build: `build(*placeholders, *extra_placeholders) -> node`, a float64 output of any shape.
        shapes: one shape per differentiable input.
        domain: where inputs are drawn from (see the module docstring).
        extra: arrays fed to further placeholders that are not differentiated (integer labels, bool conditions).
        static_shapes: when False, placeholders are declared with unknown shape, so rules take their run-time paths.

    Returns:
        The analytic gradients (zeros where `gf.gradients` returned None), one per input.

    Raises:
        AssertionError: a gradient differs from the finite differences, or has the wrong shape or dtype.
    """
    with gf.Graph().as_default():
        p = _Problem(build, shapes, seed, domain, extra, static_shapes)
        with gf.Session() as sess:
            loss = p.make_loss(sess)
            grad_nodes = gf.gradients(loss, p.xs)
            fetch = [g for g in grad_nodes if g is not None]
            fetched = iter(sess.run(fetch, p.feed(p.values)) if fetch else [])
            grads = [None if g is None else next(fetched) for g in grad_nodes]
            values = [v.copy() for v in p.values]

            def f() -> float:
                return float(sess.run(loss, p.feed(values)))

            result = []
            for x, v, g in zip(p.xs, values, grads, strict=True):
                analytic = _as_array(g, v, f"d/d {x.op.name}")
                numeric = _numeric_gradient(f, v, eps)
                np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol, err_msg=f"d/d {x.op.name}")
                result.append(analytic)
    return result


def check_second_derivative(
    build: Callable[..., gf.Node],
    shapes: Sequence[Shape],
    rtol: float = 1e-5,
    atol: float = 1e-6,
    seed: int = 0,
    eps: float = 1e-5,
    domain: Domain | Sequence[Domain] = None,
    extra: Sequence[np.ndarray] = (),
    static_shapes: bool = True,
) -> list[np.ndarray]:
    """Checks the gradient of the gradient: a Hessian-vector product against differences of the first derivative.

    With L = sum(build(...) * c) for a random cotangent c and a random direction v (one array per input), the
    graph computes H v = gradients(sum_i sum(dL/dx_i * v_i), xs), which is compared with
    (grad L(x + eps v) - grad L(x - eps v)) / (2 eps), where grad L is itself computed by `gf.gradients`.
    The arguments are those of `check_gradients`.

    Returns:
        The Hessian-vector product, one array per input.
    """
    with gf.Graph().as_default():
        p = _Problem(build, shapes, seed, domain, extra, static_shapes)
        with gf.Session() as sess:
            loss = p.make_loss(sess)
            first = gf.gradients(loss, p.xs)
            direction = [p.rng.standard_normal(s) for s in p.shapes]
            terms = [
                gf.reduce_sum(g * gf.constant(v, dtype=gf.float64))
                for g, v in zip(first, direction, strict=True)
                if g is not None
            ]
            if not terms:
                raise AssertionError(
                    "no first derivative flows to any input, so there is no second derivative to check"
                )
            second = gf.gradients(terms[0] if len(terms) == 1 else gf.add_n(terms), p.xs)

            def run(nodes: list[gf.Node | None], values: list[np.ndarray]) -> list[np.ndarray]:
                fetch = [n for n in nodes if n is not None]
                fetched = iter(sess.run(fetch, p.feed(values)) if fetch else [])
                return [
                    _as_array(None if n is None else next(fetched), v, f"d/d {x.op.name}")
                    for n, v, x in zip(nodes, values, p.xs, strict=True)
                ]

            hvp = run(second, p.values)
            hi = run(first, [x + eps * v for x, v in zip(p.values, direction, strict=True)])
            lo = run(first, [x - eps * v for x, v in zip(p.values, direction, strict=True)])
            for x, h, a, b in zip(p.xs, hvp, hi, lo, strict=True):
                np.testing.assert_allclose(h, (a - b) / (2 * eps), rtol=rtol, atol=atol, err_msg=f"H v for {x.op.name}")
    return hvp


def check_forward(
    build: Callable[..., gf.Node],
    reference: Callable[..., Any],
    shapes: Sequence[Shape],
    seed: int = 0,
    domain: Domain | Sequence[Domain] = None,
    extra: Sequence[np.ndarray] = (),
    rtol: float = 1e-12,
    atol: float = 1e-12,
    static_shape: Shape | None = None,
) -> np.ndarray:
    """Runs `build` on drawn inputs and compares the result (value, shape and static shape) with `reference`.

    `reference` receives the same arrays as `build` (differentiable inputs, then `extra`) as numpy arrays. The
    static shape must equal `static_shape`, by default the run-time shape: every input's shape is declared, so an
    op that leaves a dimension unknown (None) must say so here.
    """
    with gf.Graph().as_default():
        p = _Problem(build, shapes, seed, domain, extra, static_shapes=True)
        with gf.Session() as sess:
            got = np.asarray(sess.run(p.y, p.feed(p.values)))
        expected = np.asarray(reference(*[v.copy() for v in p.values], *[np.asarray(e) for e in extra]))
        assert got.shape == expected.shape, f"shape {got.shape}, expected {expected.shape}"
        # A None accepted here would let a shape rule that gives up pass, and with it a bad matmul after the op
        # that is no longer refused at build time.
        static = None if p.y.shape is None else tuple(p.y.shape)
        want = got.shape if static_shape is None else tuple(static_shape)
        assert static == want, f"static shape {static}, expected {want}"
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
    return got
