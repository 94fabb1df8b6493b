"""Exact representation of a piecewise-linear MLP: layers of rational weights.

:class:`ExactNet` holds each layer's weight matrix ``W`` (shape ``(out, in)``) and bias
``b`` as :class:`fractions.Fraction` values equal to the exact binary value of the
inputs, and one :class:`~exact.activations.Activation` per hidden layer.  The last
layer is the output layer and has no activation.  Arrays are read and checked by
:mod:`exact.array_input`.

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
from .affine_maps import AffineMap
from .array_input import describe_value, float_layers, to_matrix, to_vector
from .errors import InputError, InputTypeError
from .sparse_affine import dyadic_integers
from .wording import counted

__all__ = ["AffineMap", "ExactNet", "IntLayer", "affine_on_pattern", "expand_activations",
           "nonzero_structure", "parameter_count"]


def expand_activations(activation: str | Activation | Sequence[str | Activation], n_hidden: int
                       ) -> tuple[Activation, ...]:
    """Expand ``activation`` (one for all, or one per hidden layer) into Activations.

    Parameters
    ----------
    activation : str or Activation or sequence of them
        One for every hidden layer, or a list with one per hidden layer.
    n_hidden : int
        The number of hidden layers.

    Returns
    -------
    tuple of Activation
        ``n_hidden`` of them.

    Raises
    ------
    InputError
        A list of the wrong length.
    InputTypeError
        Anything that is not a name or an Activation.
    UnsupportedActivationError
        A name that is not piecewise linear.

    Examples
    --------
    >>> [a.name for a in expand_activations(["relu", "abs"], 2)]
    ['relu', 'abs']
    """
    if isinstance(activation, (str, Activation)):
        acts = [activation] * n_hidden
    elif isinstance(activation, (list, tuple)):
        acts = list(activation)
        if len(acts) != n_hidden:
            raise InputError(f"activation: got {counted(len(acts), 'activation')} for "
                             f"{counted(n_hidden, 'hidden layer')}")
    else:
        raise InputTypeError("activation must be a name such as 'relu', an Activation, or a list of them "
                             f"(one per hidden layer), got {describe_value(activation)}")
    for i, a in enumerate(acts):
        if not isinstance(a, (str, Activation)):
            raise InputTypeError(f"activation[{i}] must be a name such as 'relu' or an Activation, "
                                 f"got {describe_value(a)}")
    return tuple(a if isinstance(a, Activation) else get_activation(a) for a in acts)


@dataclass(frozen=True)
class IntLayer:
    """A layer scaled to integers: ``W = Wi / scale``, ``b = bi / scale``.

    Attributes
    ----------
    Wi : tuple of tuple of int
        Integer weights, shape ``(out, in)``.
    bi : tuple of int
        Integer biases, shape ``(out,)``.
    scale : int
        Positive common denominator (the lcm of the layer's denominators).

    Examples
    --------
    >>> ExactNet.from_layers([([[0.5, 1]], [0.25]), ([[1]], [0])]).integer_layers()[0]
    IntLayer(Wi=((2, 4),), bi=(1,), scale=4)
    """

    Wi: tuple[tuple[int, ...], ...]
    bi: tuple[int, ...]
    scale: int


def _dyadic_layer(W: np.ndarray, b: np.ndarray) -> IntLayer:
    """Make the :class:`IntLayer` of float64 arrays: each value ``m 2^k``, over the least power of 2."""
    nums, den = dyadic_integers(np.concatenate([W.ravel(), b.ravel()]))
    vals = nums.tolist()
    nonzero = [v for v in vals if v]
    t = min([(v & -v).bit_length() - 1 for v in nonzero] + [den.bit_length() - 1])  # common factor 2^t
    vals = [v >> t for v in vals]  # exact: every value is a multiple of 2^t
    k = W.size
    rows = tuple(tuple(vals[i * W.shape[1]:(i + 1) * W.shape[1]]) for i in range(W.shape[0]))
    return IntLayer(rows, tuple(vals[k:]), den >> t)


def parameter_count(widths: Sequence[int]) -> int:
    """Count the weights and biases of a fully connected MLP with these widths.

    Parameters
    ----------
    widths : sequence of int
        ``(n_0, ..., n_L)``: input width, hidden widths, output width; each positive.

    Returns
    -------
    int
        ``sum_l (n_{l-1} + 1) * n_l``.

    Raises
    ------
    InputError
        Fewer than two widths, or a width that is not a positive integer.

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


class ExactNet:
    """An MLP with exact rational weights (immutable).

    Parameters
    ----------
    weights : tuple of tuple of tuple of Fraction
        ``weights[l][i][j]``: layer ``l``, output neuron ``i``, input ``j``.
    biases : tuple of tuple of Fraction
        ``biases[l][i]``: layer ``l``, output neuron ``i``.
    activations : tuple of Activation
        One per hidden layer (``len(weights) - 1`` of them).

    Raises
    ------
    InputError
        When the number of activations is not ``len(weights) - 1``.  The constructor
        checks nothing else: :meth:`from_layers` validates.

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

    __slots__ = ("_weights", "_biases", "activations", "_floats", "_int_layers")

    def __init__(self, weights: Sequence[Sequence[Sequence[Fraction]]], biases: Sequence[Sequence[Fraction]],
                 activations: Sequence[Activation]):
        if len(activations) != len(weights) - 1:
            raise InputError(f"activations: {counted(len(weights), 'layer')} need "
                             f"{counted(len(weights) - 1, 'activation')}, got {len(activations)}")
        object.__setattr__(self, "_weights", tuple(tuple(tuple(r) for r in W) for W in weights))
        object.__setattr__(self, "_biases", tuple(tuple(b) for b in biases))
        object.__setattr__(self, "activations", tuple(activations))
        object.__setattr__(self, "_floats", None)
        object.__setattr__(self, "_int_layers", None)

    @classmethod
    def _from_floats(cls, Ws: Sequence[np.ndarray], bs: Sequence[np.ndarray],
                     activations: Sequence[Activation]) -> ExactNet:
        """Make a network whose weights are the exact values of finite float64 arrays.

        The caller validates the arrays; the Fractions are made on first use.
        """
        net = cls.__new__(cls)
        frozen = []
        for a in list(Ws) + list(bs):
            a = np.ascontiguousarray(a, dtype=np.float64)  # C order: bit-equal nets sum alike in BLAS
            frozen.append(np.frombuffer(a.tobytes(), np.float64).reshape(a.shape))  # on bytes: never writable
        object.__setattr__(net, "_weights", None)
        object.__setattr__(net, "_biases", None)
        object.__setattr__(net, "activations", tuple(activations))
        object.__setattr__(net, "_floats", (tuple(frozen[: len(Ws)]), tuple(frozen[len(Ws):])))
        object.__setattr__(net, "_int_layers", None)
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
        """Return the read-only float64 arrays equal to the exact weights, if the net was read from floats.

        Returns
        -------
        tuple (Ws, bs) of tuples of ndarray, or None
            ``Ws[l]`` of shape ``(out, in)``, ``bs[l]`` of shape ``(out,)``, when the
            network was read from float arrays; ``None`` otherwise (see
            :func:`exact._certified.float_net.float_weights`).
        """
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

        Returns
        -------
        ExactNet
            The network, weights at their exact (binary) values.

        Raises
        ------
        InputError
            Empty network or layer, shape mismatch, NaN/inf weights (names layer and neuron).
        InputTypeError
            Complex, bool or string dtypes, string or ``Decimal`` entries, ``layers`` not a
            sequence, or ``activation`` of another type.
        UnsupportedActivationError
            An activation name that is not piecewise linear.

        Examples
        --------
        >>> ExactNet.from_layers([([[1, 2]], [float("nan")]), ([[1]], [0])])
        Traceback (most recent call last):
        ...
        exact.errors.InputError: bias of layer 0 contains nan at neuron 0; weights must be finite
        """
        if isinstance(layers, (str, bytes)) or not hasattr(layers, "__len__"):
            raise InputTypeError(f"layers must be a list of (W, b) pairs, got {describe_value(layers)}")
        if len(layers) == 0:
            raise InputError("layers is empty: a network needs at least an output layer")
        acts = expand_activations(activation, len(layers) - 1)
        fast = float_layers(layers)
        if fast is not None:
            return cls._from_floats(fast[0], fast[1], acts)
        Ws, bs = [], []
        for l, pair in enumerate(layers):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise InputError(f"layers[{l}] must be a (W, b) pair, got {describe_value(pair)}")
            W = to_matrix(pair[0], f"weight of layer {l}")
            b = to_vector(pair[1], f"bias of layer {l}")
            if len(b) != len(W):
                raise InputError(f"layer {l}: weight has {counted(len(W), 'row')} (neurons) but bias has "
                                 f"{counted(len(b), 'entry', 'entries')}")
            if l > 0 and len(W[0]) != len(Ws[-1]):
                raise InputError(f"layer {l} expects {counted(len(W[0]), 'input')} but layer {l - 1} has "
                                 f"{counted(len(Ws[-1]), 'neuron')}")
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
        """Input width (2 for the plane)."""
        return self.widths[0]

    @property
    def output_dim(self) -> int:
        """Output width."""
        return self.widths[-1]

    @property
    def n_hidden_layers(self) -> int:
        """Number of hidden layers (of activations)."""
        return len(self.activations)

    @property
    def n_parameters(self) -> int:
        """Number of weights and biases (:func:`parameter_count` of the widths)."""
        return parameter_count(self.widths)

    def __repr__(self) -> str:
        acts = [a.describe() for a in self.activations]  # in layer order; one name when all are alike
        shown = "none" if not acts else acts[0] if len(set(acts)) == 1 else "/".join(acts)
        return f"ExactNet(widths={self.widths}, activation={shown})"

    # -- transformations ----------------------------------------------------------------
    def restrict_to_plane(self, x0: Any, x1: Any, x2: Any) -> ExactNet:
        """Restrict the network to the affine plane through three points.

        The new input ``(u, v)`` maps to ``x0 + u (x1 - x0) + v (x2 - x0)``; the first layer
        is composed with that map exactly.

        Parameters
        ----------
        x0, x1, x2 : sequence of real
            Three points of the input space, each of length :attr:`input_dim`.

        Returns
        -------
        ExactNet
            A network with 2-D input and the same later layers.

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
            v = to_vector(p, name, noun="a point's coordinates")
            if len(v) != d:
                raise InputError(f"{name} has {counted(len(v), 'coordinate')} but the network input is {d}-D")
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
        """Scale each layer by the lcm of its denominators to integers.

        Returns
        -------
        tuple of IntLayer
            One per layer, the output layer last.

        Examples
        --------
        >>> net = ExactNet.from_layers([([[0.5, 1]], [0.25]), ([[3]], [1])])
        >>> [(L.Wi, L.bi, L.scale) for L in net.integer_layers()]
        [(((2, 4),), (1,), 4), (((3,),), (1,), 1)]
        """
        if self._int_layers is not None:  # made once: the net is immutable
            return self._int_layers
        if self._floats is not None:  # float64 weights: integers over a power of two, no Fraction made
            layers = tuple(_dyadic_layer(W, b) for W, b in zip(*self._floats))
            object.__setattr__(self, "_int_layers", layers)
            return layers
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
        object.__setattr__(self, "_int_layers", tuple(out))
        return self._int_layers

    def evaluate(self, point: Sequence[Any]) -> tuple[Fraction, ...]:
        """Compute the exact output of the network at a point (rationals in, rationals out).

        Parameters
        ----------
        point : sequence of real
            :attr:`input_dim` coordinates, taken at their exact values.

        Returns
        -------
        tuple of Fraction
            The :attr:`output_dim` outputs.

        Raises
        ------
        InputError
            A point of the wrong length or with NaN/inf coordinates.
        InputTypeError
            Non-real coordinates.

        Examples
        --------
        >>> net = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])])
        >>> net.evaluate([Fraction(-1, 3), Fraction(1, 2)])
        (Fraction(1, 2),)
        """
        x = to_vector(list(point), "point")
        if len(x) != self.input_dim:
            raise InputError(f"point has {counted(len(x), 'coordinate')}, the network input is "
                             f"{self.input_dim}-D")
        for l, (W, b) in enumerate(zip(self.weights, self.biases)):
            z = [sum((w * xi for w, xi in zip(r, x)), Fraction(0)) + bb for r, bb in zip(W, b)]
            x = [self.activations[l].apply(v) for v in z] if l < self.n_hidden_layers else z
        return tuple(x)

    def pattern_at(self, point: Sequence[Any]) -> tuple[int, ...]:
        """Compute the exact activation pattern (piece index per hidden neuron) at a point.

        Parameters
        ----------
        point : sequence of real
            :attr:`input_dim` coordinates, taken at their exact values.

        Returns
        -------
        tuple of int
            The piece index (:meth:`Activation.piece`) of every hidden neuron, layer
            after layer.

        Raises
        ------
        InputError
            A point of the wrong length or with NaN/inf coordinates.
        InputTypeError
            Non-real coordinates.

        Examples
        --------
        >>> net = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])])
        >>> net.pattern_at([1, 0])
        (1, 0)
        """
        x = to_vector(list(point), "point")
        pat: list[int] = []
        for l in range(self.n_hidden_layers):
            W, b, act = self.weights[l], self.biases[l], self.activations[l]
            z = [sum((w * xi for w, xi in zip(r, x)), Fraction(0)) + bb for r, bb in zip(W, b)]
            pat.extend(act.piece(v) for v in z)
            x = [act.apply(v) for v in z]
        return tuple(pat)


def affine_on_pattern(net: ExactNet, pattern: Sequence[int]) -> AffineMap:
    """Compose the exact affine output map of ``net`` on the cell with this activation pattern.

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input.
    pattern : sequence of int
        Piece index of every hidden neuron, layer after layer (as
        :meth:`ExactNet.pattern_at` gives it).

    Returns
    -------
    AffineMap
        The output as an affine function of the input wherever the pattern holds.

    Examples
    --------
    >>> net = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 1]), ([[2, 3]], [5])])
    >>> str(affine_on_pattern(net, (1, 0)))
    '(2)*x1 + (0)*x2 + (5)'
    """
    # in integers: rows (d/dx, d/dy, offset) of the layer's values over one common denominator D
    G, D, k = [(1, 0, 0), (0, 1, 0)], 1, 0
    layers = net.integer_layers()
    for layer, act in zip(layers, net.activations):
        mu, slopes, inters = act.integer_form
        rows = []
        for wrow, bj in zip(layer.Wi, layer.bi):  # z = (sum w g + b D) / (scale D)
            z0, z1, z2 = (sum(w * g[c] for w, g in zip(wrow, G) if w) for c in range(3))
            s, ic = slopes[pattern[k]], inters[pattern[k]]
            k += 1
            rows.append((s * z0, s * z1, s * (z2 + bj * D) + ic * layer.scale * D))  # over mu scale D
        G, D = rows, mu * layer.scale * D
    out = layers[-1]
    grads, offs = [], []
    for wrow, bj in zip(out.Wi, out.bi):
        z0, z1, z2 = (sum(w * g[c] for w, g in zip(wrow, G) if w) for c in range(3))
        den = out.scale * D
        grads.append((Fraction(z0, den), Fraction(z1, den)))
        offs.append(Fraction(z2 + bj * D, den))
    return AffineMap(tuple(grads), tuple(offs))


def nonzero_structure(net: ExactNet) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Find the paths a gradient can take: nonzero weights and pieces of nonzero slope.

    Parameters
    ----------
    net : ExactNet

    Returns
    -------
    nonzero : list of ndarray of bool
        One matrix per layer, shape ``(out, in)``: which weights are exactly nonzero.
    live : list of ndarray of bool
        One vector per hidden layer, shape ``(pieces,)``: which pieces of its activation
        have a nonzero slope.

    Examples
    --------
    >>> nz, live = nonzero_structure(ExactNet.from_layers([([[1, 0]], [0]), ([[2]], [0])]))
    >>> nz[0].tolist(), live[0].tolist()
    ([[True, False]], [False, True])
    """
    fl = net.float_layers()
    if fl is not None:
        nz = [W != 0 for W in fl[0]]
    else:
        nz = [np.array([[w != 0 for w in row] for row in W], dtype=bool) for W in net.weights]
    live = [np.array([s != 0 for s in act.slopes], dtype=bool) for act in net.activations]
    return nz, live
