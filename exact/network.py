"""Exact representation of a piecewise-linear MLP: layers of rational weights.

:class:`ExactNet` holds each layer's weight matrix ``W`` (shape ``(out, in)``) and bias
``b`` as :class:`fractions.Fraction` values equal to the exact binary value of the
inputs, and one :class:`~exact.activations.Activation` per hidden layer.  The last
layer is the output layer and has no activation.

Examples
--------
>>> net = ExactNet.from_layers([([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.5]), ([[1.0, -1.0]], [0.0])])
>>> net.widths
(2, 2, 1)
>>> net.n_parameters
9
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from .activations import Activation, get_activation
from .errors import InputError, InputTypeError
from .predicates import to_fraction

__all__ = ["AffineMap", "ExactNet", "IntLayer", "affine_on_pattern", "nonzero_structure", "parameter_count"]


def _activations(activation: str | Activation | Sequence[str | Activation], n_hidden: int
                 ) -> tuple[Activation, ...]:
    if isinstance(activation, (str, Activation)):
        acts = [activation] * n_hidden
    else:
        acts = list(activation)
        if len(acts) != n_hidden:
            raise InputError(f"activation: got {len(acts)} activations for {n_hidden} hidden layers")
    return tuple(a if isinstance(a, Activation) else get_activation(a) for a in acts)


def _float_array(obj: Any, ndim: int) -> np.ndarray | None:
    """``obj`` as float64 if it is a non-empty, finite numpy array or torch tensor of a real
    float dtype with ``ndim`` dimensions (every such value is exact in float64); else None, and
    the general path validates it and words the error."""
    mod = type(obj).__module__
    if mod.startswith("torch"):
        if not obj.is_floating_point():
            return None
        obj = obj.detach().cpu().double().numpy()
    elif not isinstance(obj, np.ndarray) or obj.dtype.kind != "f" or obj.dtype.itemsize > 8:
        return None
    if obj.ndim != ndim or obj.size == 0 or not np.isfinite(obj).all():
        return None
    return np.asarray(obj, dtype=np.float64)


def _float_layers(layers: Sequence[Any]) -> tuple[list[np.ndarray], list[np.ndarray]] | None:
    """The layers as float64 arrays when every weight and bias is a well-formed float array
    whose shapes chain; None sends them down the general path."""
    Ws, bs = [], []
    for pair in layers:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            return None
        W, b = _float_array(pair[0], 2), _float_array(pair[1], 1)
        if W is None or b is None or len(b) != len(W) or (Ws and W.shape[1] != Ws[-1].shape[0]):
            return None
        Ws.append(W)
        bs.append(b)
    return Ws, bs


@dataclass(frozen=True)
class IntLayer:
    """A layer scaled to integers: ``W = Wi / scale``, ``b = bi / scale``."""

    Wi: tuple[tuple[int, ...], ...]
    bi: tuple[int, ...]
    scale: int


def parameter_count(widths: Sequence[int]) -> int:
    """Number of weights and biases of a fully connected MLP with these widths.

    ``sum_l (n_{l-1} + 1) * n_l`` for widths ``(n_0, ..., n_L)``.

    Examples
    --------
    >>> parameter_count([2, 20, 1])
    81
    >>> parameter_count([2, 5, 5, 5, 5, 1])
    111
    """
    w = list(widths)
    if len(w) < 2:
        raise InputError(f"widths needs at least an input and an output width, got {w!r}")
    for i, n in enumerate(w):
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise InputError(f"widths[{i}] must be a positive integer, got {n!r}")
    return sum((w[i] + 1) * w[i + 1] for i in range(len(w) - 1))


def _to_matrix(obj: Any, what: str) -> list[list[Fraction]]:
    rows = _to_nested(obj, what)
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) for r in rows):
        raise InputError(f"{what} must be a non-empty 2-D array, got {_describe(obj)}")
    n = len(rows[0])
    if n == 0:
        raise InputError(f"{what} has no columns (shape ({len(rows)}, 0))")
    for i, r in enumerate(rows):
        if len(r) != n:
            raise InputError(f"{what} is ragged: row 0 has {n} entries, row {i} has {len(r)}")
    return [[_entry(v, what, i, j) for j, v in enumerate(r)] for i, r in enumerate(rows)]


def _to_vector(obj: Any, what: str) -> list[Fraction]:
    vals = _to_nested(obj, what)
    if not isinstance(vals, list) or any(isinstance(v, list) for v in vals):
        raise InputError(f"{what} must be a 1-D array, got {_describe(obj)}")
    return [_entry(v, what, i, None) for i, v in enumerate(vals)]


def _describe(obj: Any) -> str:
    shape = getattr(obj, "shape", None)
    if shape is not None:
        return f"an array of shape {tuple(shape)}"
    return f"{type(obj).__name__} {obj!r}"[:120]


def _to_nested(obj: Any, what: str) -> Any:
    """Turn numpy arrays, torch tensors and nested sequences into nested lists of scalars."""
    mod = type(obj).__module__
    if mod.startswith("torch"):
        if obj.is_complex():
            raise InputTypeError(f"{what} has complex dtype {obj.dtype}; weights must be real")
        if obj.dtype == __import__("torch").bool:
            raise InputTypeError(f"{what} has bool dtype; weights must be real numbers")
        t = obj.detach().cpu()
        if t.is_floating_point() and t.dtype not in (__import__("torch").float64,):
            t = t.double()  # float16/bfloat16/float32 -> float64 is exact
        obj = t.numpy()
        mod = "numpy"
    if mod.startswith("numpy"):
        kind = obj.dtype.kind
        if kind == "c":
            raise InputTypeError(f"{what} has complex dtype {obj.dtype}; weights must be real")
        if kind == "b":
            raise InputTypeError(f"{what} has bool dtype; weights must be real numbers")
        if kind in "OUSV":
            if kind != "O":
                raise InputTypeError(f"{what} has dtype {obj.dtype}; weights must be real numbers")
        if obj.dtype.itemsize > 8 and kind == "f":
            raise InputTypeError(f"{what} has dtype {obj.dtype}; use float64 or Fraction")
        return obj.tolist() if kind != "O" else [_to_nested(x, what) for x in obj]
    if isinstance(obj, (list, tuple)):
        return [_to_nested(x, what) for x in obj]
    return obj


def _entry(v: Any, what: str, i: int, j: int | None) -> Fraction:
    where = f"{what}[{i}]" if j is None else f"{what}[{i}, {j}]"
    try:
        return to_fraction(v)
    except TypeError as exc:
        raise InputTypeError(f"{where}: {exc}") from None
    except ValueError:
        neuron = f"neuron {i}" + ("" if j is None else f", input {j}")
        raise InputError(f"{what} contains {v!r} at {neuron}; weights must be finite") from None


class ExactNet:
    """An MLP with exact rational weights (immutable).

    Parameters
    ----------
    weights : tuple of tuple of tuple of Fraction
        ``weights[l][i][j]``: layer ``l``, output neuron ``i``, input ``j``.
    biases : tuple of tuple of Fraction
    activations : tuple of Activation
        One per hidden layer (``len(weights) - 1`` of them).

    Notes
    -----
    A network read from float arrays (numpy, torch) keeps those float64 arrays, which hold
    the weights' exact binary values, and makes the Fractions only when ``weights`` or
    ``biases`` is first read: the certified float engines never need them, and turning a
    few thousand floats into Fractions costs milliseconds.

    Examples
    --------
    >>> import numpy as np
    >>> net = ExactNet.from_layers([(np.array([[0.5, 0.1]]), np.array([0.0])),
    ...                             (np.array([[1.0]]), np.array([0.0]))])
    >>> net.float_layers()[0][0]
    array([[0.5, 0.1]])
    >>> ExactNet.from_layers([([[0.5, 0.1]], [0]), ([[1]], [0])]).float_layers() is None
    True
    >>> net.weights[0][0][1] == Fraction(0.1)   # the exact binary value of 0.1
    True
    >>> net == ExactNet(net.weights, net.biases, net.activations)
    True
    """

    __slots__ = ("_weights", "_biases", "activations", "_floats")

    def __init__(self, weights: Sequence[Sequence[Sequence[Fraction]]], biases: Sequence[Sequence[Fraction]],
                 activations: Sequence[Activation]):
        if len(activations) != len(weights) - 1:
            raise InputError(f"activations: {len(weights)} layers need {len(weights) - 1} activations, "
                             f"got {len(activations)}")
        object.__setattr__(self, "_weights", tuple(tuple(tuple(r) for r in W) for W in weights))
        object.__setattr__(self, "_biases", tuple(tuple(b) for b in biases))
        object.__setattr__(self, "activations", tuple(activations))
        object.__setattr__(self, "_floats", None)

    @classmethod
    def _from_floats(cls, Ws: Sequence[np.ndarray], bs: Sequence[np.ndarray],
                     activations: Sequence[Activation]) -> ExactNet:
        """A network whose weights are the exact values of finite float64 arrays (validated by
        the caller); the Fractions are made on first use."""
        net = cls.__new__(cls)
        frozen = []
        for a in list(Ws) + list(bs):
            a = np.array(a, dtype=np.float64)  # a private copy
            a.setflags(write=False)
            frozen.append(a)
        object.__setattr__(net, "_weights", None)
        object.__setattr__(net, "_biases", None)
        object.__setattr__(net, "activations", tuple(activations))
        object.__setattr__(net, "_floats", (tuple(frozen[: len(Ws)]), tuple(frozen[len(Ws):])))
        return net

    @property
    def weights(self) -> tuple[tuple[tuple[Fraction, ...], ...], ...]:
        """``weights[l][i][j]`` as Fractions: layer ``l``, output neuron ``i``, input ``j``."""
        if self._weights is None:
            object.__setattr__(self, "_weights", tuple(
                tuple(tuple(Fraction(v) for v in row) for row in W.tolist()) for W in self._floats[0]))
        return self._weights

    @property
    def biases(self) -> tuple[tuple[Fraction, ...], ...]:
        """``biases[l][i]`` as Fractions."""
        if self._biases is None:
            object.__setattr__(self, "_biases", tuple(
                tuple(Fraction(v) for v in b.tolist()) for b in self._floats[1]))
        return self._biases

    def float_layers(self) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]] | None:
        """The read-only float64 arrays ``(Ws, bs)`` equal to the exact weights, when the network
        was read from float arrays; ``None`` otherwise (see :func:`exact._certified.bounds.float_net`)."""
        return self._floats

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"ExactNet is immutable; cannot set {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ExactNet):
            return NotImplemented
        if self.activations != other.activations:
            return False
        a, b = self._floats, other._floats
        if a is not None and b is not None:
            return (len(a[0]) == len(b[0]) and all(x.shape == y.shape and np.array_equal(x, y)
                                                   for x, y in zip(a[0] + a[1], b[0] + b[1])))
        return self.weights == other.weights and self.biases == other.biases

    def __hash__(self) -> int:
        return hash((self.weights, self.biases, self.activations))

    def __reduce__(self):
        if self._floats is not None:
            return (ExactNet._from_floats, (self._floats[0], self._floats[1], self.activations))
        return (ExactNet, (self.weights, self.biases, self.activations))

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_layers(
        cls,
        layers: Sequence[tuple[Any, Any]],
        activation: str | Activation | Sequence[str | Activation] = "relu",
    ) -> ExactNet:
        """Build and validate a network from ``[(W0, b0), (W1, b1), ...]``.

        Parameters
        ----------
        layers : sequence of (W, b)
            ``W`` of shape ``(out, in)``, ``b`` of shape ``(out,)``: numpy arrays, torch
            tensors, nested lists of ints/floats/Fractions.  The last pair is the output
            layer.
        activation : str or Activation or sequence of them
            Activation of every hidden layer, or one per hidden layer.

        Raises
        ------
        InputError
            Empty network or layer, shape mismatch, NaN/inf weights (names layer and neuron).
        InputTypeError
            Complex, bool or string dtypes.

        Examples
        --------
        >>> ExactNet.from_layers([([[1, 2]], [float("nan")]), ([[1]], [0])])
        Traceback (most recent call last):
        ...
        exact.errors.InputError: bias of layer 0 contains nan at neuron 0; weights must be finite
        """
        if isinstance(layers, (str, bytes)) or not hasattr(layers, "__len__"):
            raise InputTypeError(f"layers must be a list of (W, b) pairs, got {_describe(layers)}")
        if len(layers) == 0:
            raise InputError("layers is empty: a network needs at least an output layer")
        acts = _activations(activation, len(layers) - 1)
        fast = _float_layers(layers)
        if fast is not None:
            return cls._from_floats(fast[0], fast[1], acts)
        Ws, bs = [], []
        for l, pair in enumerate(layers):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise InputError(f"layers[{l}] must be a (W, b) pair, got {_describe(pair)}")
            W = _to_matrix(pair[0], f"weight of layer {l}")
            b = _to_vector(pair[1], f"bias of layer {l}")
            if len(b) != len(W):
                raise InputError(
                    f"layer {l}: weight has {len(W)} rows (neurons) but bias has {len(b)} entries"
                )
            if l > 0 and len(W[0]) != len(Ws[-1]):
                raise InputError(
                    f"layer {l} expects {len(W[0])} inputs but layer {l - 1} has "
                    f"{len(Ws[-1])} neurons"
                )
            Ws.append(tuple(tuple(r) for r in W))
            bs.append(tuple(b))
        return cls(tuple(Ws), tuple(bs), acts)

    # -- shape ----------------------------------------------------------------------------
    @property
    def widths(self) -> tuple[int, ...]:
        """``(input, hidden..., output)`` widths."""
        if self._floats is not None:
            Ws = self._floats[0]
            return (Ws[0].shape[1],) + tuple(W.shape[0] for W in Ws)
        return (len(self.weights[0][0]),) + tuple(len(W) for W in self.weights)

    @property
    def input_dim(self) -> int:
        return self.widths[0]

    @property
    def output_dim(self) -> int:
        return self.widths[-1]

    @property
    def n_hidden_layers(self) -> int:
        return len(self.activations)

    @property
    def n_parameters(self) -> int:
        return parameter_count(self.widths)

    def __repr__(self) -> str:
        acts = sorted({a.describe() for a in self.activations}) or ["none"]
        return f"ExactNet(widths={self.widths}, activation={'/'.join(acts)})"

    # -- transformations ----------------------------------------------------------------
    def restrict_to_plane(self, x0: Any, x1: Any, x2: Any) -> ExactNet:
        """The network restricted to the affine plane through three points.

        The new input ``(u, v)`` maps to ``x0 + u (x1 - x0) + v (x2 - x0)``; the first layer
        is composed with that map exactly.

        Raises
        ------
        InputError
            Points of the wrong length or collinear points.

        Examples
        --------
        >>> net = ExactNet.from_layers([([[1, 1, 1]], [0]), ([[1]], [0])])
        >>> net.restrict_to_plane([0, 0, 0], [1, 0, 0], [0, 0, 2]).weights[0]
        ((Fraction(1, 1), Fraction(2, 1)),)
        """
        d = self.input_dim
        pts = []
        for name, p in (("plane[0]", x0), ("plane[1]", x1), ("plane[2]", x2)):
            v = _to_vector(p, name)
            if len(v) != d:
                raise InputError(f"{name} has {len(v)} coordinates but the network input is {d}-D")
            pts.append(v)
        e1 = [pts[1][k] - pts[0][k] for k in range(d)]
        e2 = [pts[2][k] - pts[0][k] for k in range(d)]
        # collinear iff all 2x2 minors vanish
        if all(e1[i] * e2[j] - e1[j] * e2[i] == 0 for i in range(d) for j in range(i + 1, d)):
            raise InputError("plane: the three points are collinear, they span no plane")
        W0, b0 = self.weights[0], self.biases[0]
        W = tuple(
            (sum(r[k] * e1[k] for k in range(d)), sum(r[k] * e2[k] for k in range(d))) for r in W0
        )
        b = tuple(bb + sum(r[k] * pts[0][k] for k in range(d)) for r, bb in zip(W0, b0))
        return ExactNet((W,) + self.weights[1:], (b,) + self.biases[1:], self.activations)

    def integer_layers(self) -> tuple[IntLayer, ...]:
        """Each layer scaled by the lcm of its denominators to integers."""
        out = []
        for W, b in zip(self.weights, self.biases):
            dens = [v.denominator for r in W for v in r] + [v.denominator for v in b]
            s = math.lcm(*dens)
            out.append(
                IntLayer(
                    tuple(tuple(int(v * s) for v in r) for r in W),
                    tuple(int(v * s) for v in b),
                    s,
                )
            )
        return tuple(out)

    def evaluate(self, point: Sequence[Any]) -> tuple[Fraction, ...]:
        """Exact output of the network at a point (rationals in, rationals out).

        Examples
        --------
        >>> net = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])])
        >>> net.evaluate([Fraction(-1, 3), Fraction(1, 2)])
        (Fraction(1, 2),)
        """
        x = _to_vector(list(point), "point")
        if len(x) != self.input_dim:
            raise InputError(f"point has {len(x)} coordinates, the network input is {self.input_dim}-D")
        for l, (W, b) in enumerate(zip(self.weights, self.biases)):
            z = [sum((w * xi for w, xi in zip(r, x)), Fraction(0)) + bb for r, bb in zip(W, b)]
            x = [self.activations[l].apply(v) for v in z] if l < self.n_hidden_layers else z
        return tuple(x)

    def pattern_at(self, point: Sequence[Any]) -> tuple[int, ...]:
        """Exact activation pattern (piece index per hidden neuron) at a point.

        Examples
        --------
        >>> net = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])])
        >>> net.pattern_at([1, 0])
        (1, 0)
        """
        x = _to_vector(list(point), "point")
        pat: list[int] = []
        for l in range(self.n_hidden_layers):
            W, b, act = self.weights[l], self.biases[l], self.activations[l]
            z = [sum((w * xi for w, xi in zip(r, x)), Fraction(0)) + bb for r, bb in zip(W, b)]
            pat.extend(act.piece(v) for v in z)
            x = [act.apply(v) for v in z]
        return tuple(pat)


@dataclass(frozen=True)
class AffineMap:
    """An exact affine map ``x -> gradient @ x + offset`` from the plane to R^m.

    Examples
    --------
    >>> f = AffineMap(((Fraction(1), Fraction(2)),), (Fraction(1, 2),))
    >>> f((1, 1))
    (Fraction(7, 2),)
    """

    gradient: tuple[tuple[Fraction, Fraction], ...]
    offset: tuple[Fraction, ...]

    def __call__(self, point: Sequence[Any]) -> tuple[Fraction, ...]:
        x, y = (to_fraction(v) for v in point)
        return tuple(g[0] * x + g[1] * y + o for g, o in zip(self.gradient, self.offset))

    def __str__(self) -> str:
        parts = [f"({g[0]})*x1 + ({g[1]})*x2 + ({o})" for g, o in zip(self.gradient, self.offset)]
        return "; ".join(parts)


def affine_on_pattern(net: ExactNet, pattern: Sequence[int]) -> AffineMap:
    """The exact affine output map of ``net`` on the cell with this activation pattern.

    Examples
    --------
    >>> net = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 1]), ([[2, 3]], [5])])
    >>> str(affine_on_pattern(net, (1, 0)))
    '(2)*x1 + (0)*x2 + (5)'
    """
    G = [(Fraction(1), Fraction(0), Fraction(0)), (Fraction(0), Fraction(1), Fraction(0))]
    k = 0
    for l in range(net.n_hidden_layers):
        act = net.activations[l]
        rows = []
        for wrow, bj in zip(net.weights[l], net.biases[l]):
            z = [sum((w * g[c] for w, g in zip(wrow, G)), Fraction(0)) for c in range(3)]
            z[2] += bj
            q = pattern[k]
            k += 1
            s, ic = act.slopes[q], act.intercepts[q]
            rows.append((s * z[0], s * z[1], s * z[2] + ic))
        G = rows
    grads, offs = [], []
    for wrow, bj in zip(net.weights[-1], net.biases[-1]):
        z = [sum((w * g[c] for w, g in zip(wrow, G)), Fraction(0)) for c in range(3)]
        grads.append((z[0], z[1]))
        offs.append(z[2] + bj)
    return AffineMap(tuple(grads), tuple(offs))


def nonzero_structure(net: ExactNet) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Which weights are exactly nonzero (one boolean matrix per layer) and which pieces of each
    hidden layer's activation have a nonzero slope: the paths a gradient can take."""
    fl = net.float_layers()
    if fl is not None:
        nz = [W != 0 for W in fl[0]]
    else:
        nz = [np.array([[w != 0 for w in row] for row in W], dtype=bool) for W in net.weights]
    live = [np.array([s != 0 for s in act.slopes], dtype=bool) for act in net.activations]
    return nz, live
