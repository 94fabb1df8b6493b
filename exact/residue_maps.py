"""Exact layer maps of a block of cells at once, as residues modulo word-sized primes.

:class:`exact.prefix_maps.PrefixMaps` makes each prefix's layer map with Python integers,
one product of big integers per weight.  :class:`BlockMaps` makes the maps of every
prefix of a block of cells together, as array products: every coefficient of every
layer's rows is an integer below ``2^(K-1)`` in absolute value (the a-priori field
width ``K`` of :class:`~exact.prefix_maps.PrefixMaps`), so it is fixed by its residues
modulo primes whose product exceeds ``2^K`` (the Chinese remainder theorem), and the
residues of a layer's rows are a matrix product of residues.  Each prime ``p`` is below
``2^b`` with ``k (p - 1)^2 < 2^53`` for the widest layer ``k``, so a float64 matrix
product of residues is exact: every partial sum is a nonnegative integer below ``2^53``,
in whatever order the BLAS adds.  Only the rows asked for are turned back into Python
integers (:func:`crt_ints`), a block of values at a time.

Examples
--------
>>> import numpy as np
>>> from exact.network import ExactNet
>>> from exact.prefix_maps import PrefixMaps
>>> net = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [-1]), ([[2]], [0])])
>>> pm = PrefixMaps(net, np.array([[1, 1, 1], [1, 0, 0]], dtype=np.int8))
>>> hidden, out = BlockMaps(pm).block(np.array([0, 1]))
>>> crt_ints(out[:, 0, 0, :], BlockMaps(pm).primes)   # output map of cell 0: 2x + 2y - 2
[2, 2, -2]
>>> crt_ints(np.array([[2], [1]]), [3, 5]), crt_ints(np.array([[1], [4]]), [3, 5])
([-4], [4])
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .errors import Undecided
from .prefix_maps import PrefixMaps

__all__ = ["BlockMaps", "crt_ints", "word_primes"]


def word_primes(bits: int, count: int) -> list[int]:
    """Return the ``count`` largest primes below ``2^bits``, largest first.

    Parameters
    ----------
    bits : int
        At most 62.
    count : int

    Returns
    -------
    list of int
        Each in ``[2^(bits-1), 2^bits)`` while there are enough there.

    Examples
    --------
    >>> word_primes(5, 3)
    [31, 29, 23]
    """
    found, n = [], (1 << bits) - 1
    while len(found) < count and n > 2:
        if _is_prime(n):
            found.append(n)
        n -= 2
    return found


def _is_prime(n: int) -> bool:
    """Deterministic Miller-Rabin for ``n < 3.3e24`` (bases up to 41)."""
    if n < 2:
        return False
    bases = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)
    if n in bases:
        return True
    if any(n % b == 0 for b in bases):
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in bases:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def crt_ints(res: np.ndarray, primes: Sequence[int]) -> list[int]:
    """Return the integers of least absolute value with the given residues.

    Parameters
    ----------
    res : ndarray of int64, shape (n, N)
        ``res[i, j]`` in ``[0, primes[i])``.
    primes : sequence of n distinct primes, each below ``2^26``

    Returns
    -------
    list of int
        ``N`` integers ``v_j`` with ``v_j = res[i, j] (mod primes[i])`` and
        ``-M/2 < v_j <= M/2``, ``M`` the product of the primes.

    Notes
    -----
    Garner's mixed-radix digits are found with array arithmetic, then the number is
    built in base-``2^32`` limbs (``acc = acc p_i + d_i`` from the top digit, with
    carries) and read with one :meth:`int.from_bytes` per value.

    Examples
    --------
    >>> crt_ints(np.array([[0, 1, 2], [0, 1, 3]]), [3, 5])
    [0, 1, -7]
    """
    n, N = res.shape
    digits = [np.asarray(res[0], dtype=np.int64)]
    for i in range(1, n):
        p = primes[i]
        t = np.asarray(res[i], dtype=np.int64)
        for j in range(i):
            t = (t - digits[j]) % p * pow(primes[j], -1, p) % p
        digits.append(t)
    M = math.prod(primes)
    nl = M.bit_length() // 32 + 2
    limbs = np.zeros((nl, N), dtype=np.int64)
    limbs[0] = digits[-1]
    used = 1
    for i in range(n - 2, -1, -1):
        carry = digits[i]
        used = min(nl, used + 1)
        for j in range(used):
            t = limbs[j] * primes[i] + carry
            limbs[j] = t & 0xFFFFFFFF
            carry = t >> 32
    buf = limbs.T.astype("<u4").tobytes()
    w, half = 4 * nl, M // 2
    out = [int.from_bytes(buf[k : k + w], "little") for k in range(0, N * w, w)]
    return [x - M if x > half else x for x in out]


def _residues(vals: Sequence, primes: Sequence[int]) -> np.ndarray:
    """Return ``vals`` (integers, any nesting) modulo each prime, int64 of shape ``(n, *shape)``."""
    try:
        a = np.array(vals, dtype=np.int64)  # weights of float32 nets fit: array arithmetic
    except OverflowError:
        a = np.array(vals, dtype=object)
    return np.stack([np.asarray(a % p).astype(np.int64) for p in primes])


class BlockMaps:
    """Residues of every layer map on the prefixes of a block of cells.

    Parameters
    ----------
    pm : PrefixMaps
        The net, the cells' patterns, prefix numbering, scales and field width.

    Attributes
    ----------
    primes : list of int
        The moduli, their product above ``2^K``.
    """

    def __init__(self, pm: PrefixMaps):
        self.pm = pm
        layers = pm.net.integer_layers()
        forms = [act.integer_form for act in pm.net.activations]
        widest = max(len(L.Wi[0]) for L in layers)
        bits = min(25, (53 - widest.bit_length()) // 2)  # widest * (p-1)^2 < 2^53
        self.primes = word_primes(bits, -(-(pm.K + 1) // (bits - 1)))  # product > 2^K
        ps = self.primes
        if math.prod(ps).bit_length() <= pm.K + 1:  # too few primes of that size (layers of 2^30 and more)
            raise Undecided(f"{len(ps)} primes below 2^{bits} cannot hold {pm.K}-bit coefficients")
        self._p = np.array(ps, dtype=np.int64)

        def residues(vals) -> np.ndarray:
            return _residues(vals, ps)

        # transposed: a block's rows are multiplied from the left, (n, 3 P, k) @ (n, k, k')
        self.WT = [residues(L.Wi).astype(np.float64).transpose(0, 2, 1).copy() for L in layers]
        self.bias = [residues(layers[0].bi)]
        for l in range(1, len(layers)):
            self.bias.append(residues([b * forms[l - 1][0] * pm.scales[l - 1] for b in layers[l].bi]))
        self.slope = [residues(f[1]) for f in forms]
        self.icpt = [residues([c * pm.scales[l] for c in f[2]]) for l, f in enumerate(forms)]
        # pieces whose activated row is the row itself or 0 (ReLU): a mask, no products or reductions
        self.masks = [f[1] in ((0, 1), (1, 0)) and not any(f[2]) for f in forms]
        W0 = layers[0].Wi
        first = np.stack([residues([r[0] for r in W0]), residues([r[1] for r in W0]), self.bias[0]], axis=1)
        self.first = first[:, None, :, :].astype(np.float64)  # (n, 1 prefix, 3, k0)

    def cells_per_block(self, budget: int = 1 << 26) -> int:
        """Return how many cells to make at once so that one residue array stays within ``budget`` bytes.

        Parameters
        ----------
        budget : int, default 64 MiB
            Bytes for one array of residues (a block holds a few at a time).

        Returns
        -------
        int
            At least 16.
        """
        widest = max(self.pm.widths + [self.WT[-1].shape[2]])
        return max(16, budget // (len(self.primes) * 3 * widest * 8))

    def block(self, cells: np.ndarray) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray]:
        """Return the residues of every hidden layer's rows on the prefixes of ``cells``, and of the outputs.

        Parameters
        ----------
        cells : ndarray of int64
            Cells (rows of the patterns).

        Returns
        -------
        hidden : list of (ndarray, ndarray)
            Per hidden layer ``l``: the sorted prefix ids of ``cells``
            (:meth:`~exact.prefix_maps.PrefixMaps.prefix_ids`) and the residues, float64
            holding integers, shape ``(n, P, 3, k_l)``: coefficient ``f`` of neuron ``j``
            on prefix ``u[m]`` is ``Z[i, m, f, j]`` modulo ``primes[i]``, over ``scales[l]``.
        out : ndarray of int64, shape (n, C, n_out, 3)
            The output rows of each cell, over ``scales[-1]``.
        """
        pm = self.pm
        u, Z = np.zeros(1, dtype=np.int64), self.first
        hidden = [(u, Z)]
        for l in range(1, pm.n_hidden + 1):
            if l < pm.n_hidden:
                ids, rep = pm.prefix_ids(l)
                nu = np.unique(ids[cells])
                reps = rep[nu]
            else:
                nu = reps = cells
            parent = np.searchsorted(u, pm.prefix_ids(l - 1)[0][reps])
            pieces = pm.patterns[reps, int(pm.offs[l - 1]) : int(pm.offs[l])].astype(np.intp)
            Z = self._next_layer(l, Z[:, parent], pieces)
            u = nu
            hidden.append((u, Z))
        return hidden[:-1], hidden[-1][1].transpose(0, 1, 3, 2).astype(np.int64)

    def _next_layer(self, l: int, Z: np.ndarray, pieces: np.ndarray) -> np.ndarray:
        """Return layer ``l``'s residues from layer ``l - 1``'s (``(n, P, 3, k)``) and pieces (``(P, k)``)."""
        n, P, _, k = Z.shape
        p = self._p[:, None, None, None]
        if self.masks[l - 1]:  # ReLU-like: the row where the piece has slope 1, else 0
            on = pieces if self.slope[l - 1][0, 1] == 1 else 1 - pieces
            A = Z * on[None, :, None, :].astype(np.float64)
        else:
            A = Z.astype(np.int64) * self.slope[l - 1][:, pieces][:, :, None, :]
            A[:, :, 2, :] += self.icpt[l - 1][:, pieces]
            A = (A % p).astype(np.float64)
        out = np.matmul(A.reshape(n, P * 3, k), self.WT[l]).astype(np.int64)  # exact: below 2^53
        out = out.reshape(n, P, 3, -1)
        out[:, :, 2, :] += self.bias[l][:, None, :]
        out %= p
        return out.astype(np.float64)
