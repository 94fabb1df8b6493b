"""Layer-batched enumeration of activation cells with certified float arithmetic.

The fast path of :func:`exact.count_regions` for deep networks in a window.  It builds
the same cells as :func:`exact.enumerate.enumerate_cells`, but all cells of a layer are
split at once with numpy, in float64, and every decision carries a rigorous error bound:

* each cell's map (the current layer's pre-activations as affine functions of the
  input) is a float matrix ``M`` with an entrywise bound ``E`` on ``|M - M_exact|``;
* each vertex is a float point with a bound ``e`` on its distance (max-norm) from the
  exact vertex, which is the intersection of the same two exact lines;
* a side test "is neuron ``j`` above breakpoint ``b`` at vertex ``v``" is accepted only
  when ``|f| > bound``.  One undecided test anywhere and the whole computation gives up
  (:class:`Undecided`); the caller then runs the exact engine.  Floats filter; they never
  decide a tie.

When every test is decided, the cells, their patterns and their combinatorics are those
of the exact arrangement: every vertex of every cell has strict, certified signs for all
neurons except the two whose lines meet there.  Then each edge (not on the window
border) lies on exactly one breakpoint line, and the cell across it has the same
pattern with that one neuron moved to the neighbouring piece.  That gives the adjacency
for the linear regions without any geometry; whether two adjacent cells have the same
output map is decided by the float maps and their bounds, or exactly
(:func:`exact.regions.affine_on_pattern`) when the bounds cannot tell.

Bounds used (``u = 2**-53``, ``gamma_k = k u / (1 - k u)``); each final bound is also
multiplied by ``1 + 16 u`` to cover the rounding of the bound itself:

* value of row ``m`` (bound ``e_m``) at ``(x, y)`` (bound ``e``), minus breakpoint ``beta``:
  ``e_m . (|x|+e, |y|+e, 1) + (|m_0|+|m_1|) e + 5u (|m_0 x| + |m_1 y| + |m_2| + |beta|)``
  plus the breakpoint's own rounding;
* cut point ``P = A + t (B - A)``, ``t = f_A / (f_A - f_B)``: ``t`` is monotone in each of
  ``f_A, f_B`` (fixed signs), so its exact value lies between the four corner values of
  the boxes ``f_A +- e_fA``, ``f_B +- e_fB``; then
  ``e_P = max(e_A, e_B) + dt |B - A| + 4u (|A| + |B|)``;
* next layer: ``M' = W H + b`` with ``H = slope * M + intercept``:
  ``E' = |W| (E_H + (gamma_k + 2u)(|H| + E_H)) + 2u (|M'| + |b|)``.

Examples
--------
>>> import torch
>>> _ = torch.manual_seed(0)
>>> net = torch.nn.Sequential(torch.nn.Linear(2, 5), torch.nn.ReLU(), torch.nn.Linear(5, 5),
...                           torch.nn.ReLU(), torch.nn.Linear(5, 1))
>>> from exact.network import as_exact_net
>>> cells = batched_cells(as_exact_net(net), Fraction(10))
>>> len(cells), cells.linear_count()
(42, 38)
>>> from exact import regions
>>> r = regions(net, window=10)   # the exact engine agrees
>>> r.n_activation, r.n_linear
(42, 38)
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .arrangement import _U
from .errors import ExactnetError, TooManyRegionsError
from .network import ExactNet

__all__ = ["BatchedCells", "Undecided", "batched_cells"]

_SAFE = 1.0 + 16 * _U  # covers the rounding of the bound computations themselves
_TINY = 1e-300  # covers underflow in the bounds
_CHUNK = 1 << 14  # vertices per chunk when classifying all neurons at once
_VCOLS = ("x", "y", "e", "lab", "L", "LE")  # vertex columns; L, LE: line of the edge to the next vertex


class Undecided(ExactnetError):
    """A float side test could not be certified; the exact engine has to decide."""


@dataclass
class BatchedCells:
    """Activation cells found by :func:`batched_cells`.

    Attributes
    ----------
    net : ExactNet
    patterns : ndarray of int8, shape (C, N)
        Piece index of every hidden neuron (layer order) in each cell.
    start, nv : ndarray of int64, shape (C,)
        Cell ``c`` owns vertices ``start[c] : start[c] + nv[c]`` (counter-clockwise).
    x, y, err : ndarray of float64, shape (V,)
        Vertex coordinates and a bound on their max-norm distance from the exact vertex.
    label : ndarray of int64, shape (V,)
        Line of the edge from each vertex to the next: ``-1`` for the window border, else
        an index into ``label_neuron`` / ``label_piece``.
    label_neuron, label_piece : ndarray of int64
        Global neuron index and breakpoint index of each line label.
    out : ndarray of float64, shape (C, m, 3)
        Output map ``(d/dx, d/dy, offset)`` of each cell.
    out_err : ndarray of float64, shape (m, 3)
        Entrywise error bound of ``out``, valid in every cell.
    """

    net: ExactNet
    patterns: np.ndarray
    start: np.ndarray
    nv: np.ndarray
    x: np.ndarray
    y: np.ndarray
    err: np.ndarray
    label: np.ndarray
    label_neuron: np.ndarray
    label_piece: np.ndarray
    out: np.ndarray
    out_err: np.ndarray

    def __len__(self) -> int:
        return len(self.patterns)

    def adjacent_pairs(self) -> np.ndarray:
        """Pairs ``(i, j)``, ``i < j``, of cells sharing an edge of positive length.

        The cell across an edge on breakpoint line ``(g, q)`` has the pattern of this one
        with neuron ``g`` moved across breakpoint ``q`` (see the module notes).  Patterns are
        matched by a hash and then compared in full, so a collision cannot join the wrong
        cells.

        Raises
        ------
        Undecided
            If some edge has no matching cell (which the certified construction rules
            out; the exact engine is then used).
        """
        C, N = self.patterns.shape
        cov = np.repeat(np.arange(C), self.nv)
        inner = self.label >= 0
        cell = cov[inner]
        g = self.label_neuron[self.label[inner]]
        q = self.label_piece[self.label[inner]]
        p = self.patterns[cell, g].astype(np.int64)
        newp = np.where(p == q + 1, q, q + 1)
        if not np.all((p == q + 1) | (p == q)):
            raise Undecided("an edge's line does not separate its cell from the next piece")
        rng = np.random.default_rng(20261126)
        R = rng.integers(1, 2**63, size=N, dtype=np.uint64)
        h = np.zeros(C, dtype=np.uint64)
        for col in range(N):  # wrap-around sum of piece * R
            h += self.patterns[:, col].astype(np.uint64) * R[col]
        step = R[g]
        hn = np.where(newp > p, h[cell] + step, h[cell] - step)
        order = np.argsort(h, kind="stable")
        hs = h[order]
        pos = np.searchsorted(hs, hn)
        pos[pos >= C] = C - 1
        nb = order[pos]
        if not np.all(hs[pos] == hn):
            raise Undecided("a cell across an edge was not found")
        key = np.unique(np.minimum(cell, nb) * C + np.maximum(cell, nb))
        a, b = key // C, key % C
        # verify the matches in full: the two patterns differ in exactly one neuron, by one piece
        d = self.patterns[a].astype(np.int16) - self.patterns[b]
        nz = np.count_nonzero(d, axis=1)
        if not (np.all(nz == 1) and np.all(np.abs(d).sum(axis=1) == 1)):
            raise Undecided("pattern hash collision")
        return np.stack([a, b], axis=1)

    def linear_count(self) -> int:
        """Number of linear regions: cells joined across edges where the output map is unchanged.

        Maps that differ by more than their error bounds are different; the rest are
        compared exactly.
        """
        pairs = self.adjacent_pairs()
        if len(pairs) == 0:
            return len(self)
        i, j = pairs[:, 0], pairs[:, 1]
        apart = np.abs(self.out[i] - self.out[j]) > 2 * self.out_err
        maybe = ~apart.reshape(len(pairs), -1).any(axis=1)
        from .regions import affine_on_pattern

        parent = list(range(len(self)))

        def find(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        merged = 0
        for a, b in pairs[maybe].tolist():
            fa = affine_on_pattern(self.net, tuple(self.patterns[a].tolist()))
            fb = affine_on_pattern(self.net, tuple(self.patterns[b].tolist()))
            if fa == fb:
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
                    merged += 1
        return len(self) - merged


class _Buffer:
    """Growable columns of equal length (amortised doubling)."""

    def __init__(self, cols: dict[str, np.ndarray]):
        self.n = len(next(iter(cols.values())))
        cap = max(16, 2 * self.n)
        self.cols = {}
        for k, v in cols.items():
            a = np.empty((cap,) + v.shape[1:], dtype=v.dtype)
            a[: self.n] = v
            self.cols[k] = a

    def __getitem__(self, k: str) -> np.ndarray:
        return self.cols[k]

    def append(self, new: dict[str, np.ndarray]) -> np.ndarray:
        m = len(next(iter(new.values())))
        if self.n + m > len(next(iter(self.cols.values()))):
            cap = 2 * (self.n + m)
            for k, a in self.cols.items():
                b = np.empty((cap,) + a.shape[1:], dtype=a.dtype)
                b[: self.n] = a[: self.n]
                self.cols[k] = b
        for k, v in new.items():
            self.cols[k][self.n : self.n + m] = v
        idx = np.arange(self.n, self.n + m)
        self.n += m
        return idx

    def view(self, k: str) -> np.ndarray:
        return self.cols[k][: self.n]


def _ranges(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + n)`` for each pair (vectorised)."""
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offs = np.cumsum(lens) - lens
    return np.repeat(starts - offs, lens) + np.arange(total)


def _values(m, e, x, y, ev, beta, ebeta):
    """Float values of maps ``m`` (shape ``(3, n)``, error bound ``e`` of shape ``(3,)``) at
    points, and certified error bounds (see module notes)."""
    ax, ay = np.abs(x), np.abs(y)
    t0, t1 = m[0] * x, m[1] * y
    f = t0 + t1 + m[2] - beta
    err = (e[0] * (ax + ev) + e[1] * (ay + ev) + e[2]
           + (np.abs(m[0]) + np.abs(m[1])) * ev
           + 5 * _U * (np.abs(t0) + np.abs(t1) + np.abs(m[2]) + abs(beta)) + ebeta)
    return f, err * _SAFE + _TINY


def _intersect(L1, E1, L2, E2):
    """Intersection of two lines ``a x + b y + c = 0`` given as float rows (``(n, 3)``)
    with entrywise error bounds, by Cramer's rule, with a max-norm error bound.

    With ``D = a1 b2 - a2 b1``, ``N_x = b1 c2 - b2 c1``, ``N_y = c1 a2 - c2 a1`` and error
    bounds ``dD, dN`` (coefficient errors plus ``3u`` of the product magnitudes),
    ``|x - x*| <= (|x| dD + dN_x) / (|D| - dD) + u |x|``; the bound depends only on the two
    lines, not on earlier vertices, so errors do not build up along a chain of cuts.

    Raises
    ------
    Undecided
        If ``|D| <= dD``: the floats cannot certify that the lines are not parallel.
    """
    a1, b1, c1 = L1[:, 0], L1[:, 1], L1[:, 2]
    a2, b2, c2 = L2[:, 0], L2[:, 1], L2[:, 2]
    ea1, eb1, ec1 = E1[:, 0], E1[:, 1], E1[:, 2]
    ea2, eb2, ec2 = E2[:, 0], E2[:, 1], E2[:, 2]

    def det(p, ep, q, eq, r, er, s, es):  # p q - r s and its error bound
        pq, rs = p * q, r * s
        err = (ep * np.abs(q) + np.abs(p) * eq + ep * eq + er * np.abs(s) + np.abs(r) * es + er * es
               + 3 * _U * (np.abs(pq) + np.abs(rs)))
        return pq - rs, err

    D, dD = det(a1, ea1, b2, eb2, a2, ea2, b1, eb1)
    Nx, dNx = det(b1, eb1, c2, ec2, b2, eb2, c1, ec1)
    Ny, dNy = det(c1, ec1, a2, ea2, c2, ec2, a1, ea1)
    dD = dD * _SAFE + _TINY
    room = np.abs(D) - dD
    if not np.all(room > 0):
        raise Undecided("two lines are too close to parallel to intersect in floats")
    x, y = Nx / D, Ny / D
    ex = (np.abs(x) * dD + dNx) / room + _U * np.abs(x)
    ey = (np.abs(y) * dD + dNy) / room + _U * np.abs(y)
    return x, y, np.maximum(ex, ey) * _SAFE * _SAFE + _TINY


def _classify(M, E, start, nv, x, y, ev, bps) -> np.ndarray:
    """For every cell, neuron and breakpoint: +1 / -1 if the whole cell is certainly above /
    below, 0 if the line may cut it (those are settled vertex by vertex later).

    ``M`` has shape ``(k, 3, C)`` (one map per neuron and cell), ``E`` shape ``(k, 3)``.
    Each cell is enclosed in its float bounding box widened by its largest vertex error;
    over a box with centre ``c`` and half-sides ``(h_x, h_y)`` the exact map varies from its
    value at ``c`` by at most ``(|m_0| + E_0) h_x + (|m_1| + E_1) h_y``, and its value at
    ``c`` is within ``E . (|c_x|, |c_y|, 1) + 5u (...)`` of the float one.  One pass over
    the cells instead of over all vertices; boxes are a little larger than the cells, so
    some lines that miss a cell are left to the vertex tests.
    """
    k, _, C = M.shape
    nq = len(bps)
    xmin, xmax = np.minimum.reduceat(x, start), np.maximum.reduceat(x, start)
    ymin, ymax = np.minimum.reduceat(y, start), np.maximum.reduceat(y, start)
    emax = np.maximum.reduceat(ev, start)
    cx, cy = 0.5 * (xmin + xmax), 0.5 * (ymin + ymax)
    hx = (0.5 * (xmax - xmin) + emax) * (1 + 4 * _U) + _U * np.abs(cx)  # covers the rounding of c
    hy = (0.5 * (ymax - ymin) + emax) * (1 + 4 * _U) + _U * np.abs(cy)
    m0, m1, m2 = M[:, 0, :], M[:, 1, :], M[:, 2, :]
    t0, t1 = m0 * cx, m1 * cy
    base = t0 + t1 + m2
    np.abs(t0, out=t0)
    np.abs(t1, out=t1)
    mag = t0 + t1 + np.abs(m2)
    spread = (np.abs(m0) + E[:, 0, None]) * hx + (np.abs(m1) + E[:, 1, None]) * hy
    spread += E[:, 0, None] * np.abs(cx) + E[:, 1, None] * np.abs(cy) + E[:, 2, None]
    out = np.zeros((C, k, nq), dtype=np.int8)
    for qi, (beta, ebeta) in enumerate(bps):
        f = base - beta
        err = (spread + 5 * _U * (mag + abs(beta)) + ebeta) * _SAFE + _TINY
        out[:, :, qi] = ((f > err).astype(np.int8) - (f < -err).astype(np.int8)).T
    return out


def _rounding(v: Fraction) -> float:
    """A float bound on ``|float(v) - v|`` (twice the rounded exact difference; 0 when exact)."""
    f = float(v)
    if f.as_integer_ratio() == (v.numerator, v.denominator):
        return 0.0
    return 2.0 * float(abs(Fraction(f) - v))


def _act_floats(act):
    """Breakpoints (float, rounding bound), float slopes and intercepts, and the activation's
    constants for the error bounds: max |slope|, slope rounding, max |intercept| (exact bound)."""
    bps = [(float(b), _rounding(b)) for b in act.breakpoints]
    slopes = np.array([float(s) for s in act.slopes])
    inter = np.array([float(c) for c in act.intercepts])
    smax = float(np.abs(slopes).max())
    ds = max(_rounding(s) for s in act.slopes)
    dc = max(_rounding(c) for c in act.intercepts)
    cmax = float(np.abs(inter).max()) + dc
    return bps, slopes, inter, (smax, ds, cmax, dc)


def _layer_bounds(Wf, bf, EW, Eb, A, E, consts):
    """A priori bounds for the next layer, valid in every cell: ``A' >= |M'_exact|`` and
    ``E' >= |M' - M'_exact|`` (shape ``(k', 3)``), from those of this layer.

    With ``H = slope * M + intercept e3`` (slope, intercept of any piece):
    ``|H*| <= AH = smax A + cmax e3`` and ``|H - H*| <= EH = smax E + (ds + 2u smax) A + u AH + dc e3``;
    then ``|M'| <= (|W| (AH + EH) + |b|)(1 + gamma)`` and
    ``E' = |W| EH + |W - W*| AH + gamma_k |W| (AH + EH) + u |M'| + |b - b*|``.
    """
    smax, ds, cmax, dc = consts
    k = Wf.shape[1]
    e3 = np.array([0.0, 0.0, 1.0])
    AH = smax * A + cmax * e3
    EH = smax * E + (ds + 2 * _U * smax) * A + _U * AH + dc * e3
    g = (k + 1) * _U / (1 - (k + 1) * _U)
    absW = np.abs(Wf)
    Mabs = (absW @ (AH + EH) + np.abs(bf)[:, None] * e3) * (1 + 2 * g)
    En = absW @ EH + EW @ AH + g * (absW @ (AH + EH)) + _U * Mabs + Eb[:, None] * e3
    En = En * (1 + 4 * (k + 4) * _U) + _TINY
    return Mabs + En, En


def _next_map(Wf, bf, M, piece, slopes, inter):
    """Float maps ``(k', 3, C)`` of the next layer's pre-activations in every cell."""
    k, _, C = M.shape
    pt = piece.T  # (k, C)
    H = M * slopes[pt][:, None, :]
    if inter.any():
        H[:, 2, :] += inter[pt]
    Mn = (Wf @ H.reshape(k, 3 * C)).reshape(Wf.shape[0], 3, C)
    Mn[:, 2, :] += bf[:, None]
    return Mn


def batched_cells(net: ExactNet, half: Fraction, *, max_regions: int | None = None,
                  progress: bool = False) -> BatchedCells:
    """Activation cells of ``net`` in ``[-half, half]^2``, split with certified floats.

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input and at least one hidden layer.
    half : Fraction
        Half-width of the window.
    max_regions : int, optional
        Stop with :class:`~exact.errors.TooManyRegionsError` beyond this many cells.
    progress : bool
        A tqdm bar per layer (shown after one second).

    Returns
    -------
    BatchedCells

    Raises
    ------
    Undecided
        When a side test is too close to call in floats (a degenerate or nearly degenerate
        network); the caller must then use the exact engine.
    """
    Ws = [np.array(W, dtype=float) for W in net.weights]
    bs = [np.array(b, dtype=float) for b in net.biases]
    EW = [np.array([[_rounding(w) for w in row] for row in W], dtype=float) for W in net.weights]
    Eb = [np.array([_rounding(v) for v in b], dtype=float) for b in net.biases]
    h = float(half)
    eh = _rounding(half)
    x = np.array([-h, h, h, -h])
    y = np.array([-h, -h, h, h])
    ev = np.full(4, eh)
    lab = np.full(4, -1, dtype=np.int64)
    L = np.array([[0.0, 1.0, h], [1.0, 0.0, -h], [0.0, 1.0, -h], [1.0, 0.0, h]])  # the window's sides
    LE = np.array([[0.0, 0.0, eh]] * 4)
    start = np.array([0], dtype=np.int64)
    nv = np.array([4], dtype=np.int64)
    M = np.concatenate([Ws[0], bs[0][:, None]], axis=1)[:, :, None]  # (k, 3, 1)
    E = np.concatenate([EW[0], Eb[0][:, None]], axis=1) * _SAFE + _TINY
    A = np.abs(M[:, :, 0]) + E
    pat = np.zeros((1, 0), dtype=np.int8)
    label_neuron: list[int] = []
    label_piece: list[int] = []
    g0 = 0
    nhid = net.n_hidden_layers
    for l in range(nhid):
        act = net.activations[l]
        bps, slopes, inter, consts = _act_floats(act)
        k, _, C = M.shape
        nq = len(bps)
        lab0 = len(label_neuron)
        for j in range(k):
            for q in range(nq):
                label_neuron.append(g0 + j)
                label_piece.append(q)
        cls = _classify(M, E, start, nv, x, y, ev, bps) if nq else np.zeros((C, k, 0), np.int8)
        piece = (cls > 0).sum(axis=2).astype(np.int8)  # pieces known from the classification
        cand = cls == 0  # (C, k, nq): the line may cut the cell
        verts = _Buffer({"x": x, "y": y, "e": ev, "lab": lab, "L": L, "LE": LE})
        cells = _Buffer({"start": start, "nv": nv, "anc": np.arange(C), "piece": piece})
        bar = _bar(progress, k * nq, f"layer {l + 1}/{nhid}")
        for j in range(k):
            for q in range(nq):
                if bar is not None:
                    bar.update(1)
                anc = cells.view("anc")
                sel = np.nonzero(cand[anc, j, q])[0]
                if len(sel) == 0:
                    continue
                _split_step(verts, cells, sel, M[j], E[j], bps[q], lab0 + j * nq + q, j)
                if max_regions is not None and cells.n > max_regions:
                    raise TooManyRegionsError(
                        f"more than max_regions={max_regions} cells in hidden layer {l + 1}; "
                        "raise max_regions or shrink the window"
                    )
        if bar is not None:
            bar.close()
        # compact: cells in order, their vertices contiguous
        start_b, nv_b = cells.view("start"), cells.view("nv")
        idx = _ranges(start_b, nv_b)
        x, y, ev, lab, L, LE = (verts.view(c)[idx] for c in _VCOLS)
        nv = nv_b.copy()
        start = np.cumsum(nv) - nv
        anc = cells.view("anc")
        piece = cells.view("piece").copy()
        pat = np.concatenate([pat[anc], piece], axis=1)
        M = _next_map(Ws[l + 1], bs[l + 1], np.take(M, anc, axis=2), piece.astype(np.int64), slopes, inter)
        A, E = _layer_bounds(Ws[l + 1], bs[l + 1], EW[l + 1], Eb[l + 1], A, E, consts)
        g0 += k
    return BatchedCells(net, pat, start, nv, x, y, ev, lab, np.array(label_neuron, dtype=np.int64),
                        np.array(label_piece, dtype=np.int64), M.transpose(2, 0, 1), E)


def _split_step(verts: _Buffer, cells: _Buffer, sel: np.ndarray, Mj, Ej, bp, label: int, j: int):
    """Split the selected cells by the line of neuron ``j`` at breakpoint ``bp``.

    Cells entirely above the breakpoint get their piece of neuron ``j`` raised; a cut cell
    keeps its slot as the part above and gets a new slot for the part below.
    """
    beta, ebeta = bp
    st, n = cells["start"][sel], cells["nv"][sel]
    idx = _ranges(st, n)
    local = np.repeat(np.arange(len(sel)), n)
    a = cells["anc"][sel][local]
    xv, yv, ev = verts["x"][idx], verts["y"][idx], verts["e"][idx]
    f, fe = _values(Mj[:, a], Ej, xv, yv, ev, beta, ebeta)
    pos, neg = f > fe, f < -fe
    if not np.all(pos | neg):
        raise Undecided(f"a vertex is too close to the line of neuron {j} to decide its side in floats")
    offs = np.cumsum(n) - n
    npos = np.add.reduceat(pos.astype(np.int64), offs)
    allpos = npos == n
    cells["piece"][sel[allpos], j] += 1
    mixed = (npos > 0) & ~allpos
    if not mixed.any():
        return
    # position of each vertex's successor within its cell (cyclic)
    r = np.arange(len(idx)) - np.repeat(offs, n)
    succ = np.repeat(offs, n) + (r + 1) % np.repeat(n, n)
    mcells = np.nonzero(mixed)[0]
    C_ = np.nonzero(neg & pos[succ])[0]  # last negative vertex before the positive run
    A_ = np.nonzero(pos & neg[succ])[0]  # last positive vertex before the negative run
    if len(C_) != len(mcells) or len(A_) != len(mcells):  # impossible for convex cells
        raise Undecided("a cut cell is not convex in floats")
    D_ = succ[C_]
    m = len(mcells)
    # the cut line in each cut cell, as a line a x + b y + c = 0 (c shifted by the breakpoint)
    cut = Mj[:, cells["anc"][sel[mcells]]].T.copy()
    cut_e = np.repeat(Ej[None, :], m, axis=0)
    cut[:, 2] -= beta
    cut_e[:, 2] = (cut_e[:, 2] + ebeta + _U * (np.abs(cut[:, 2]) + abs(beta))) * _SAFE
    Lv, LEv = verts["L"][idx], verts["LE"][idx]
    p1 = _intersect(cut, cut_e, Lv[A_], LEv[A_])  # on edge A -> B
    p2 = _intersect(cut, cut_e, Lv[C_], LEv[C_])  # on edge C -> D
    # a pool of rows: the gathered vertices, then P1/P2 with the edge line each child needs
    G = len(idx)
    cut_lab = np.full(m, label, dtype=np.int64)
    pool = {
        "x": np.concatenate([xv, p1[0], p2[0], p2[0], p1[0]]),
        "y": np.concatenate([yv, p1[1], p2[1], p2[1], p1[1]]),
        "e": np.concatenate([ev, p1[2], p2[2], p2[2], p1[2]]),
        "lab": np.concatenate([verts["lab"][idx], cut_lab, verts["lab"][idx][C_], cut_lab,
                               verts["lab"][idx][A_]]),
        "L": np.concatenate([Lv, cut, Lv[C_], cut, Lv[A_]]),
        "LE": np.concatenate([LEv, cut_e, LEv[C_], cut_e, LEv[A_]]),
    }
    ar = np.arange(m)
    p1_pos, p2_pos, p2_neg, p1_neg = G + ar, G + m + ar, G + 2 * m + ar, G + 3 * m + ar
    nm, npm = n[mcells], npos[mcells]
    shift = r[D_]  # rotate each cut cell to start at its first positive vertex
    base = offs[mcells]
    # positive part: the npos positive vertices, then P1 (cut edge), P2; negative: the rest, P2, P1
    pos_len, neg_len = npm + 2, nm - npm + 2
    src_pos = _child_sources(base, shift, nm, np.zeros(m, np.int64), npm, p1_pos, p2_pos)
    src_neg = _child_sources(base, shift, nm, npm, nm - npm, p2_neg, p1_neg)
    vp = verts.append({k: v[src_pos] for k, v in pool.items()})
    vn = verts.append({k: v[src_neg] for k, v in pool.items()})
    parents = sel[mcells]
    cells.append({"start": vn[0] + np.cumsum(neg_len) - neg_len, "nv": neg_len,
                  "anc": cells["anc"][parents], "piece": cells["piece"][parents]})
    cells["start"][parents] = vp[0] + np.cumsum(pos_len) - pos_len
    cells["nv"][parents] = pos_len
    cells["piece"][parents, j] += 1


def _child_sources(base, shift, nm, first, count, tail1, tail2):
    """Pool indices of children: ``count`` rotated vertices from position ``first``, then two tails."""
    m = len(base)
    length = count + 2
    out_off = np.cumsum(length) - length
    rot = _ranges(first, count)
    cell = np.repeat(np.arange(m), count)
    src = np.empty(int(length.sum()), dtype=np.int64)
    src[out_off[cell] + rot - first[cell]] = base[cell] + (shift[cell] + rot) % nm[cell]
    src[out_off + count] = tail1
    src[out_off + count + 1] = tail2
    return src


def _bar(enabled: bool, total: int, desc: str):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="line", delay=1.0, leave=False)
