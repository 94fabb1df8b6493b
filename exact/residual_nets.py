"""Residual MLPs ``x + g(x)`` held exactly, and lowered to a plain :class:`~exact.network.ExactNet` on a box.

A :class:`ResidualNet` is a sequence of stages: exact affine maps
(:class:`AffineStage`), activations (:class:`~exact.activations.Activation`) and skip
blocks (:class:`Block`, ``v -> v + body(v)``, bodies nest).  :func:`exact.read_residual`
reads one from a torch module; :meth:`ResidualNet.evaluate` computes it in Fractions.

Every engine of exactnet handles an :class:`ExactNet`: a chain of layers with one
activation per hidden layer.  A skip connection must carry ``v`` past the hidden layers of
its block, so :meth:`ResidualNet.lower` adds *pass-through neurons* to each hidden layer
inside a block: for each coordinate ``c`` of the carried vector (``v`` itself, or the
previous layer's outputs when they are fewer), one neuron of the layer's own activation
with pre-activation ``t = alpha c + beta``, ``alpha > 0`` and ``beta`` exact, chosen from an
exact interval bound ``[l, u]`` of ``c`` over the box so that ``t`` stays strictly inside one
piece of nonzero slope (ReLU: ``t >= 1``; hardtanh: the middle quarter-to-three-quarters
of ``(lo, hi)``; leaky ReLU and abs: ``t >= 1`` on the positive piece).  On that piece the
neuron is affine, so the next layer recovers ``c`` exactly.  Over the closed box no
pass-through neuron meets a breakpoint: no line of theirs crosses it, the function is
unchanged, and the activation and linear regions in the box are those of the residual
net.  In each lowered hidden layer the net's own neurons come first, then the
pass-through neurons (:attr:`Lowering.own` marks them); their pattern bits are constant in
the box.  **The net analysed is the lowered one**: ``regions(...).net`` and the cells'
patterns include the pass-through bits.

The lowering needs a bounded domain; in the whole plane (``window=None``) there is no
such bound, and the readers refuse it (:func:`exact.lower_on_window`).

Examples
--------
>>> from fractions import Fraction
>>> from exact.activations import get_activation
>>> from exact.sparse_affine import SparseAffine
>>> g = (AffineStage.exact([[1, 0], [0, -1]], [0, 1]), get_activation("relu"))   # relu(x1), relu(1 - x2)
>>> net = ResidualNet((Block(g), AffineStage.exact([[1, 1]], [0])), input_dim=2)   # sum of x + g(x)
>>> net.evaluate([3, 5])
(Fraction(11, 1),)
>>> low = net.lower([-2, -2], [2, 2])
>>> low.net.widths, low.own                      # two own neurons, two pass-through neurons
((2, 4, 1), (True, True, False, False))
>>> low.net.evaluate([Fraction(-3, 2), 1]) == net.evaluate([Fraction(-3, 2), 1])
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from .activations import Activation
from .array_input import to_vector
from .errors import InputError, UnsupportedActivationError
from .network import ExactNet
from .sparse_affine import SparseAffine
from .wording import counted

__all__ = ["AffineStage", "Block", "Lowering", "ResidualNet"]

Dense = tuple[list[list[Fraction]], list[Fraction]]
"""An exact affine map ``x -> W x + b`` as dense rows of Fractions."""


@dataclass(frozen=True, eq=False)
class AffineStage:
    """An exact affine map of the stream.

    Attributes
    ----------
    map : SparseAffine
        The map, exact.
    parts : tuple of (callable, int)
        For each torch operation it composes, its magnitude bound ``s -> |W| s + |b|`` and
        fan-in (the forward check's rounding bound, as in :func:`exact.forward_check.check_forward`).
    """

    map: SparseAffine
    parts: tuple[tuple[Callable, int], ...] = field(default=())

    @classmethod
    def exact(cls, W: Sequence[Sequence[Any]], b: Sequence[Any]) -> AffineStage:
        """Make the stage ``x -> W x + b`` from exact values (ints, Fractions, floats at their binary value).

        Parameters
        ----------
        W : sequence of sequence of real, shape (m, n)
        b : sequence of real, shape (m,)

        Returns
        -------
        AffineStage

        Examples
        --------
        >>> AffineStage.exact([[1, 2]], [0]).map.shape
        (1, 2)
        """
        rows = [to_vector(r, "W") for r in W]
        f = _sparse((rows, to_vector(b, "b")), len(rows[0]) if rows else 0)
        return cls(f, ((f.abs_bound, f.fan_in()),))


@dataclass(frozen=True)
class Block:
    """A skip block ``v -> v + body(v)``; ``body`` is a tuple of stages (and may hold blocks)."""

    body: tuple


Stage = AffineStage | Activation | Block


@dataclass(frozen=True)
class Lowering:
    """A residual net lowered on a box.

    Attributes
    ----------
    net : ExactNet
        Equal to the residual net on the box (its input: the plane's ``(u, v)`` when lowered
        on a plane).
    own : tuple of bool
        One per hidden neuron of ``net``, in pattern order: True for the residual net's own
        neurons, False for pass-through neurons (whose piece is the same on the whole box).
    """

    net: ExactNet
    own: tuple[bool, ...]


class ResidualNet:
    """A piecewise-linear network with skip connections, exact (immutable by convention).

    Parameters
    ----------
    stages : sequence of AffineStage, Activation or Block
        In forward order.
    input_dim : int
        The width of the input.

    Raises
    ------
    InputError
        Stages whose widths do not follow each other, a block whose body changes the width.
    """

    def __init__(self, stages: Sequence[Stage], input_dim: int):
        self.stages = tuple(stages)
        self.input_dim = int(input_dim)
        self.output_dim = _width(self.stages, self.input_dim)

    def __repr__(self) -> str:
        return (f"ResidualNet(input_dim={self.input_dim}, output_dim={self.output_dim}, "
                f"stages={len(self.stages)})")

    def evaluate(self, point: Sequence[Any]) -> tuple[Fraction, ...]:
        """Compute the exact output at a point.

        Parameters
        ----------
        point : sequence of real, shape (input_dim,)

        Returns
        -------
        tuple of Fraction

        Raises
        ------
        InputError
            A point of the wrong length or with NaN/inf coordinates.
        """
        return tuple(_run_exact(self.stages, self._point(point), []))

    def pattern_at(self, point: Sequence[Any]) -> tuple[int, ...]:
        """Compute the exact activation pattern (piece index of every own neuron, layer after layer).

        Parameters
        ----------
        point : sequence of real, shape (input_dim,)

        Returns
        -------
        tuple of int
            In the order of the own neurons of :meth:`lower`'s net.

        Examples
        --------
        >>> from exact.activations import get_activation
        >>> net = ResidualNet((Block((get_activation("relu"),)),), input_dim=2)   # x + relu(x)
        >>> net.pattern_at([1, -1])
        (1, 0)
        """
        pattern: list[int] = []
        _run_exact(self.stages, self._point(point), pattern)
        return tuple(pattern)

    def _point(self, point: Sequence[Any]) -> list[Fraction]:
        x = to_vector(list(point), "point")
        if len(x) != self.input_dim:
            raise InputError(f"point has {counted(len(x), 'coordinate')}, the network input is "
                             f"{self.input_dim}-D")
        return list(x)

    def float_forward(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """Compute the float64 forward at the rows of ``X``, with the scale of its rounding error.

        Parameters
        ----------
        X : ndarray, shape (P, input_dim)

        Returns
        -------
        Y : ndarray, shape (P, output_dim)
        S : ndarray, shape (P, output_dim)
            The forward of ``|X|`` through the magnitude bound of every torch operation and
            each activation's largest slope and intercept; both this forward and the
            module's are within ``gamma_K S`` of the exact value.
        K : int
            The number of roundings on the longest path (fan-ins + 2 per operation).
        """
        with np.errstate(all="ignore"):
            return _run_float(self.stages, np.asarray(X, dtype=np.float64), np.abs(X))

    def lower(self, lo: Sequence[Any], hi: Sequence[Any], plane: Sequence[Any] | None = None) -> Lowering:
        """Lower to an :class:`ExactNet` equal to this net on the box ``[lo, hi]``, exactly.

        Parameters
        ----------
        lo, hi : sequence of real
            The box's corners: in the input space, or in the plane's ``(u, v)`` when
            ``plane`` is given (``lo <= hi`` on each axis).
        plane : (x0, x1, x2), optional
            Restrict to the affine plane ``x0 + u (x1 - x0) + v (x2 - x0)`` first.

        Returns
        -------
        Lowering
            The net and which of its hidden neurons are pass-through neurons (module notes).

        Raises
        ------
        InputError
            A box of the wrong width or empty; bad plane points (as
            :meth:`ExactNet.restrict_to_plane`).
        UnsupportedActivationError
            An activation inside a block with no piece of nonzero slope (nothing passes).

        Examples
        --------
        >>> from exact.activations import get_activation
        >>> net = ResidualNet((Block((get_activation("hardtanh"),)),), input_dim=1)   # x + hardtanh(x)
        >>> low = net.lower([-4], [4])
        >>> [str(w[0]) for w in low.net.weights[0]], [str(b) for b in low.net.biases[0]]   # x, then x/8
        (['1', '1/8'], ['0', '0'])
        """
        if plane is None:
            P = _identity(self.input_dim)
        else:
            eye, zero = _identity(self.input_dim)
            moved = ExactNet((eye,), (zero,), ()).restrict_to_plane(*plane)
            P = ([list(r) for r in moved.weights[0]], list(moved.biases[0]))
        box_lo, box_hi = to_vector(list(lo), "lo"), to_vector(list(hi), "hi")
        if len(box_lo) != len(P[0][0]) or len(box_hi) != len(box_lo):
            raise InputError(f"lo, hi must have {counted(len(P[0][0]), 'coordinate')}, got {len(box_lo)} and "
                             f"{len(box_hi)}")
        if any(a > b for a, b in zip(box_lo, box_hi)):
            raise InputError(f"the box [lo, hi] is empty: lo = {[str(v) for v in box_lo]}, "
                             f"hi = {[str(v) for v in box_hi]}")
        low = _Lowerer(box_lo, box_hi)
        W, b = low.run(self.stages, P)
        net = ExactNet(tuple(low.Ws) + (W,), tuple(low.bs) + (b,), tuple(low.acts))
        return Lowering(net, tuple(low.own))


# ---------------------------------------------------------------------------------------
# exact and float evaluation
# ---------------------------------------------------------------------------------------

def _width(stages: Sequence[Stage], n: int) -> int:
    """Return the width after ``stages`` on ``n`` inputs; InputError where they do not fit."""
    for st in stages:
        if isinstance(st, AffineStage):
            if st.map.shape[1] != n:
                raise InputError(f"an affine stage reads {st.map.shape[1]} values but gets {n}")
            n = st.map.shape[0]
        elif isinstance(st, Block):
            out = _width(st.body, n)
            if out != n:
                raise InputError(f"a skip block adds {out} values to its {n} inputs; x + g(x) needs "
                                 "equal widths")
        elif not isinstance(st, Activation):
            raise InputError(f"a stage must be an AffineStage, an Activation or a Block, got "
                             f"{type(st).__name__}")
    return n


def _run_exact(stages: Sequence[Stage], x: list[Fraction], pattern: list[int]) -> list[Fraction]:
    """Compute the exact forward; append the pieces of the activations to ``pattern``."""
    for st in stages:
        if isinstance(st, AffineStage):
            f = st.map
            y = [int(v) for v in f.bias.tolist()]
            for r, c, v in zip(f.rows.tolist(), f.cols.tolist(), f.nums.tolist()):
                y[r] = y[r] + v * x[c]
            x = [Fraction(v) / f.den for v in y]
        elif isinstance(st, Activation):
            pattern.extend(st.piece(v) for v in x)
            x = [st.apply(v) for v in x]
        else:
            x = [a + g for a, g in zip(x, _run_exact(st.body, x, pattern))]
    return x


def _run_float(stages: Sequence[Stage], h: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Compute the float forward of ``h`` with its magnitude ``s``, and the roundings on the way."""
    K = 0
    for st in stages:
        if isinstance(st, AffineStage):
            W, b = _rows(st.map)
            h = h @ np.array([[float(v) for v in r] for r in W]).reshape(len(W), -1).T + np.array(
                [float(v) for v in b])
            for bound, fan_in in st.parts:
                s = bound(s)
                K += fan_in + 2
        elif isinstance(st, Activation):
            bp, sl, ic = (np.array([float(v) for v in vals])
                          for vals in (st.breakpoints, st.slopes, st.intercepts))
            q = np.searchsorted(bp, h, side="left")
            h = sl[q] * h + ic[q]
            s = np.abs(sl).max() * s + np.abs(ic).max()
            K += 2
        else:
            g, sg, kg = _run_float(st.body, h, s)
            h, s, K = h + g, s + sg, K + kg + 2
    return h, s, K


# ---------------------------------------------------------------------------------------
# the lowering
# ---------------------------------------------------------------------------------------

def _sparse(m: Dense, n: int) -> SparseAffine:
    W, b = m
    entries = [(i, j, v) for i, r in enumerate(W) for j, v in enumerate(r) if v != 0]
    rows, cols, vals = zip(*entries) if entries else ((), (), ())
    return SparseAffine.from_fractions(np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64),
                                       list(vals), list(b), (len(b), n))


def _rows(f: SparseAffine) -> Dense:
    m, n = f.shape
    W = [[Fraction(0)] * n for _ in range(m)]
    for r, c, v in zip(f.rows.tolist(), f.cols.tolist(), f.nums.tolist()):
        W[r][c] = Fraction(v, f.den)
    return W, [Fraction(v, f.den) for v in f.bias.tolist()]


def _then(first: Dense, second: Dense) -> Dense:
    """``second ∘ first``, exactly (composed as :class:`SparseAffine` maps, in integers)."""
    n = len(first[0][0]) if first[0] else 0
    return _rows(_sparse(second, len(first[1])).compose(_sparse(first, n), "a skip block"))


def _identity(n: int) -> Dense:
    return [[Fraction(int(i == j)) for j in range(n)] for i in range(n)], [Fraction(0)] * n


def _row_range(w: Sequence[Fraction], c: Fraction, lo: Sequence[Fraction], hi: Sequence[Fraction]
               ) -> tuple[Fraction, Fraction]:
    """Exact interval bound of ``w . h + c`` over the box ``lo <= h <= hi``."""
    a = c + sum((v * (lo[j] if v > 0 else hi[j]) for j, v in enumerate(w) if v), Fraction(0))
    z = c + sum((v * (hi[j] if v > 0 else lo[j]) for j, v in enumerate(w) if v), Fraction(0))
    return a, z


def _image(act: Activation, l: Fraction, u: Fraction) -> tuple[Fraction, Fraction]:
    """Return the exact range of a continuous piecewise-linear activation on ``[l, u]``."""
    vals = [act.apply(v) for v in [l, u] + [p for p in act.breakpoints if l < p < u]]
    return min(vals), max(vals)


def _through_piece(act: Activation) -> tuple[Fraction | None, Fraction | None, Fraction, Fraction]:
    """Choose the piece of pass-through neurons: (lower end or None, upper end or None, slope, intercept).

    The last piece if its slope is nonzero, else the first, else the widest bounded one.
    """
    bps, k = act.breakpoints, len(act.breakpoints)
    live = [q for q in range(k + 1) if act.slopes[q] != 0]
    if not live:
        raise UnsupportedActivationError(f"activation {act.describe()} is constant: no neuron of it can "
                                         "carry a skip connection's input past its layer")
    bounded = sorted((q for q in live if 0 < q < k), key=lambda q: bps[q] - bps[q - 1])
    q = k if k in live else 0 if 0 in live else bounded[-1]
    return (bps[q - 1] if q > 0 else None, bps[q] if q < k else None, act.slopes[q], act.intercepts[q])


def _shift(piece: tuple, l: Fraction, u: Fraction) -> tuple[Fraction, Fraction]:
    """Return ``(alpha, beta)``, ``alpha > 0``: ``alpha c + beta`` strictly inside the piece on ``[l, u]``."""
    p, q = piece[0], piece[1]
    if p is None and q is None:
        return Fraction(1), Fraction(0)
    if q is None:
        return Fraction(1), p + 1 - l
    if p is None:
        return Fraction(1), q - 1 - u
    w = q - p
    if u == l:
        return Fraction(1), p + w / 2 - l
    alpha = w / (2 * (u - l))
    return alpha, p + w / 4 - alpha * l


class _Lowerer:
    """Builds the lowered layers; ``lo``, ``hi`` bound the current layer's outputs over the box."""

    def __init__(self, lo: Sequence[Fraction], hi: Sequence[Fraction]):
        self.lo, self.hi = list(lo), list(hi)
        self.Ws: list[tuple] = []
        self.bs: list[tuple] = []
        self.acts: list[Activation] = []
        self.own: list[bool] = []
        self.carried: list[Dense] = []  # the enclosing blocks' carried vectors, maps of the current layer

    def run(self, stages: Sequence[Stage], P: Dense) -> Dense:
        """Lower ``stages`` on the stream ``P(h)``; return the map of the stream after them."""
        for st in stages:
            if isinstance(st, AffineStage):
                P = _then(P, _rows(st.map))
            elif isinstance(st, Activation):
                P = self.layer(st, P)
            else:
                fewer = len(P[1]) > len(self.lo)  # carry the layer's outputs, not the stream
                self.carried.append(_identity(len(self.lo)) if fewer else P)
                entry = P
                G = self.run(st.body, P)
                C = self.carried.pop()
                V = _then(C, entry) if fewer else C
                P = ([[a + g for a, g in zip(ra, rg)] for ra, rg in zip(V[0], G[0])],
                     [a + g for a, g in zip(V[1], G[1])])
        return P

    def layer(self, act: Activation, P: Dense) -> Dense:
        """Add a hidden layer: the own neurons ``P``, then one pass-through neuron per carried coordinate."""
        W, b = [list(r) for r in P[0]], list(P[1])
        n_own = len(b)
        piece = _through_piece(act) if self.carried else None
        kept = []  # (alpha, beta) of each pass-through neuron, carried vector by carried vector
        for C in self.carried:
            for w, c in zip(*C):
                alpha, beta = _shift(piece, *_row_range(w, c, self.lo, self.hi))
                W.append([alpha * v for v in w])
                b.append(alpha * c + beta)
                kept.append((alpha, beta))
        ranges = [_row_range(w, c, self.lo, self.hi) for w, c in zip(W, b)]
        for l, u in ranges[n_own:]:  # the construction's promise, checked exactly
            if (piece[0] is not None and not l > piece[0]) or (piece[1] is not None and not u < piece[1]):
                raise RuntimeError(f"pass-through neuron range [{l}, {u}] leaves its piece {piece[:2]}")
        images = [_image(act, l, u) for l, u in ranges]
        self.lo, self.hi = [a for a, _ in images], [z for _, z in images]
        self.Ws.append(tuple(tuple(r) for r in W))
        self.bs.append(tuple(b))
        self.acts.append(act)
        self.own += [True] * n_own + [False] * len(kept)
        n, k = len(b), n_own
        for i, C in enumerate(self.carried):  # c = (h_k - intercept - slope beta) / (slope alpha)
            rows, bias = [], []
            for alpha, beta in kept[k - n_own: k - n_own + len(C[1])]:
                s = piece[2] * alpha
                rows.append([Fraction(0)] * k + [1 / s] + [Fraction(0)] * (n - k - 1))
                bias.append(-(piece[3] + piece[2] * beta) / s)
                k += 1
            self.carried[i] = (rows, bias)
        return [[Fraction(int(i == j)) for j in range(n)] for i in range(n_own)], [Fraction(0)] * n_own
