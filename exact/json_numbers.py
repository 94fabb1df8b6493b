"""Exact values as JSON: numbers a float holds, exact text otherwise, and float rings of exact vertices.

Examples
--------
>>> from fractions import Fraction
>>> json_number(Fraction(3, 2)), json_number(Fraction(10**400))
(1.5, '1.00000e+400')
>>> ratio_text(6, -4), ratio_text(4, 2)
('-3/2', '2')
>>> float_ring([(0, 0, 1), (1, 0, 2), (0, 1, 1)])
[[0.0, 0.0], [0.5, 0.0], [0.0, 1.0], [0.0, 0.0]]
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from fractions import Fraction
from itertools import chain, compress, repeat

import numpy as np

from .errors import InputError
from .predicates import Point, shoelace_sum

__all__ = ["SHORT_TEXT", "area_json", "area_jsons", "decimal_text", "exact_json", "exact_number_text",
           "float_ring", "fraction_text", "json_number", "maps_text", "ratio_text", "ratio_texts",
           "scientific_text"]


def json_number(q: Fraction) -> float | str:
    """Return ``q`` as a float when a float holds it, else as exact scientific text.

    A value beyond the float range (or a nonzero value that would underflow to 0) becomes a
    string such as ``"4.00000e+400"``, its six leading digits correctly rounded, so that no
    JSON field is ever ``inf`` or a silent 0.

    Parameters
    ----------
    q : Fraction
        An exact value.

    Returns
    -------
    float or str
        ``float(q)`` when it is finite and nonzero (or ``q == 0``), else scientific text.

    Examples
    --------
    >>> json_number(Fraction(3, 2)), json_number(Fraction(4 * 10**400))
    (1.5, '4.00000e+400')
    >>> json_number(Fraction(-1, 10**400))
    '-1.00000e-400'
    """
    try:
        f = float(q)
    except OverflowError:
        f = math.inf
    if math.isfinite(f) and (f != 0 or q == 0):
        return f
    return scientific_text(q)


def scientific_text(q: Fraction, digits: int = 6) -> str:
    """Format a nonzero rational in scientific notation, rounded from its exact value.

    Parameters
    ----------
    q : Fraction
        Nonzero.
    digits : int, default 6
        Significant digits.

    Returns
    -------
    str

    Examples
    --------
    >>> scientific_text(Fraction(-2, 3) * Fraction(10) ** -500)
    '-6.66667e-501'
    """
    a = abs(q)
    # log10(a) from the bit lengths (within 1), so no huge integer is written out in decimal
    e = math.floor((a.numerator.bit_length() - a.denominator.bit_length()) * math.log10(2))
    while a >= Fraction(10) ** (e + 1):
        e += 1
    while a < Fraction(10) ** e:
        e -= 1
    m = round(a / Fraction(10) ** e * 10 ** (digits - 1))
    if m == 10**digits:
        m, e = m // 10, e + 1
    s = str(m)  # ``digits`` digits
    return f"{'-' if q < 0 else ''}{s[0]}.{s[1:]}e{e:+d}"


def ratio_text(a: int, d: int) -> str:
    """Write the exact ratio ``a / d`` as ``str(Fraction(a, d))`` does, without making the Fraction.

    Parameters
    ----------
    a, d : int
        Numerator and a nonzero denominator.

    Returns
    -------
    str
        ``"p/q"`` in lowest terms with ``q > 0``, or ``"p"`` when ``q == 1``.

    Examples
    --------
    >>> ratio_text(3, 6), ratio_text(-5, -10), ratio_text(0, 7)
    ('1/2', '1/2', '0')
    """
    if d < 0:
        a, d = -a, -d
    g = math.gcd(a, d)
    if g > 1:
        a, d = a // g, d // g
    return decimal_text(a) if d == 1 else f"{decimal_text(a)}/{decimal_text(d)}"


def ratio_texts(nums: Sequence[int], d: int) -> list[str]:
    """Write many exact ratios ``a / d`` over one denominator, each as :func:`ratio_text` does.

    One call for a block of values: the gcds are taken in one C loop (``map(math.gcd, ...)``)
    and no function is called per value, about 3x faster than :func:`ratio_text` per value.

    Parameters
    ----------
    nums : sequence of int
        Numerators.
    d : int
        The common nonzero denominator.

    Returns
    -------
    list of str
        ``ratio_text(a, d)`` for each ``a`` in ``nums``.

    Examples
    --------
    >>> ratio_texts([3, -4, 0, 12], -6)
    ['-1/2', '2/3', '0', '-2']
    """
    if d < 0:
        nums, d = [-a for a in nums], -d
    fast = _int64_ratio_texts(nums, d)
    return fast if fast is not None else _python_ratio_texts(nums, d)


def _python_ratio_texts(nums: Sequence[int], d: int) -> list[str]:
    """:func:`ratio_texts` (``d > 0``) in Python integers, in C loops (``map``) where ``str`` takes them."""
    try:
        gcds = list(map(math.gcd, nums, repeat(d)))
        over = {g: f"/{d // g}" if g != d else "" for g in set(gcds)}  # each denominator's text once
        lowest = map(str, map(operator.floordiv, nums, gcds))  # a // g, then its "/q" (C loops throughout)
        return list(map(str.__add__, lowest, map(over.__getitem__, gcds)))
    except ValueError:  # an integer past the interpreter's digit limit for str
        return [ratio_text(a, d) for a in nums]


_INT64 = 2**63 - 1


def _int64_ratio_texts(nums: Sequence[int], d: int) -> list[str] | None:
    """:func:`ratio_texts` (``d > 0``) in int64 arrays, or None when ``d``'s odd part is beyond int64.

    ``d = 2^k o`` with ``o`` odd: ``gcd(a, d) = gcd(a, o) 2^min(v2(a), k)``, taken in int64 for
    every ``a`` inside ``(-2^63, 2^63)``; the values outside, one by one in Python integers.
    """
    k = (d & -d).bit_length() - 1
    o = d >> k
    if o > _INT64 or not len(nums):
        return None
    try:
        fits = np.abs(np.array(nums, dtype=np.float64)) < 2.0**63  # rounding is monotone: never a false yes
    except OverflowError:
        fits = np.array([-_INT64 <= v <= _INT64 for v in nums], dtype=bool)
    every = bool(fits.all())
    a = np.array(nums if every else list(compress(nums, fits.tolist())), dtype=np.int64)
    v2 = np.frexp((a & -a).astype(np.float64))[1] - 1  # a's factors of 2 (at most 62; -1 for a = 0)
    s = np.where(a == 0, 63, np.minimum(v2, k))  # 63: a = 0, whose text is "0" (every other shift <= 62)
    if o == 1:  # d = 2^k: every gcd is 1, the reduced denominator 2^(k - s) (none for a = 0)
        over = [f"/{decimal_text(1 << (k - t))}" if t < k else "" for t in range(63)] + [""]  # by shift
        red = (a >> np.minimum(s, 62)).tolist()
        texts = list(map(str.__add__, map(str, red), map(over.__getitem__, s.tolist())))
        return texts if every else _merge_texts(nums, fits, texts, d)
    go = np.gcd(a, np.int64(o))  # exact: every value and every gcd fits
    red = (a >> np.minimum(s, 62)) // go  # exact: a is a multiple of 2^s and of go
    if o < 2**56:  # one int64 key per (gcd, shift)
        keys, inv = np.unique(go * 64 + s, return_inverse=True)
        pairs = [(g >> 6, g & 63) for g in keys.tolist()]
    else:
        keys, inv = np.unique(np.stack([go, s], axis=1), axis=0, return_inverse=True)
        pairs = keys.tolist()
    qs = [1 if t == 63 else (o // g) << (k - t) for g, t in pairs]  # each reduced denominator once
    over = [f"/{decimal_text(q)}" if q != 1 else "" for q in qs]
    texts = list(map(str.__add__, map(str, red.tolist()), map(over.__getitem__, inv.reshape(-1).tolist())))
    return texts if every else _merge_texts(nums, fits, texts, d)


def _merge_texts(nums: Sequence[int], fits: np.ndarray, texts: list[str], d: int) -> list[str]:
    """Put the int64 ``texts`` of the values where ``fits`` among the Python ones of the others."""
    out = np.empty(len(nums), dtype=object)
    out[fits] = texts
    out[~fits] = _python_ratio_texts(list(compress(nums, (~fits).tolist())), d)
    return out.tolist()


def maps_text(rows: Sequence[Sequence[tuple[int, int, int]]],
              d: int) -> list[tuple[list[list[str]], list[str]]]:
    """Write the exact output maps of many cells as text: gradient rows and offsets.

    Parameters
    ----------
    rows : sequence of sequence of (int, int, int)
        Per cell, per output, the integers ``(a, b, c)`` of the map ``(a x + b y + c) / d``.
    d : int
        The common nonzero denominator.

    Returns
    -------
    list of (gradient, offset)
        Per cell: ``gradient`` a list of ``[str, str]`` per output, ``offset`` a list of
        ``str``, each the text :func:`ratio_text` gives (``str`` of the exact Fraction).

    Examples
    --------
    >>> maps_text([[(1, 2, 3)], [(0, -4, 8)]], 4)
    [([['1/4', '1/2']], ['3/4']), ([['0', '-1']], ['2'])]
    """
    texts = ratio_texts(list(chain.from_iterable(chain.from_iterable(rows))), d)
    if set(map(len, rows)) <= {1}:  # one output: three texts per cell
        it = iter(texts)
        return [([[a, b]], [c]) for a, b, c in zip(it, it, it)]
    out, k = [], 0
    for cell in rows:
        grad, off = [], []
        for _ in cell:
            grad.append(texts[k:k + 2])
            off.append(texts[k + 2])
            k += 3
        out.append((grad, off))
    return out


def area_json(verts: Sequence[Point]) -> float | str:
    """Return the exact area of a counter-clockwise polygon as :func:`json_number` writes it.

    The same value as ``json_number(polygon_area(verts))``
    (:func:`exact.polygon_areas.polygon_area`), without making the Fraction: the shoelace sum
    (:func:`~exact.predicates.shoelace_sum`) stays an integer ratio, and Python's ``int / int``
    is correctly rounded, as ``float(Fraction)`` is.  Beyond the float range (or underflowing)
    it falls back to :func:`json_number` of the exact Fraction.

    Parameters
    ----------
    verts : sequence of Point
        Homogeneous integer vertices ``(X, Y, D)``, ``D > 0``, counter-clockwise.

    Returns
    -------
    float or str

    Examples
    --------
    >>> area_json([(0, 0, 1), (1, 0, 1), (1, 1, 2)]), area_json([(0, 0, 1), (10**400, 0, 1), (0, 1, 1)])
    (0.25, '5.00000e+399')
    """
    return area_jsons([verts])[0]


def area_jsons(polygons: Iterable[Sequence[Point]]) -> list[float | str]:
    """Return :func:`area_json` of many polygons (one call for a block: no call per polygon).

    Parameters
    ----------
    polygons : iterable of sequence of Point
        Each counter-clockwise, homogeneous integer vertices ``(X, Y, D)``, ``D > 0``.

    Returns
    -------
    list of float or str

    Examples
    --------
    >>> area_jsons([[(0, 0, 1), (1, 0, 1), (1, 1, 2)], [(0, 0, 1), (2, 0, 1), (0, 1, 1)]])
    [0.25, 1.0]
    """
    sums = list(map(shoelace_sum, polygons))  # twice the area is num / den
    try:
        out: list[float | str] = [num / (2 * den) for num, den in sums]
    except OverflowError:  # some beyond the float range: written from the exact Fraction below
        out = [_quotient(num, 2 * den) for num, den in sums]
    if 0.0 in out:  # 0 for a nonzero area: underflowed (or overflowed above)
        out = [f if f != 0 or num == 0 else json_number(Fraction(num, 2 * den))
               for f, (num, den) in zip(out, sums)]
    return out


def _quotient(n: int, d: int) -> float:
    """Return ``n / d`` correctly rounded, or 0.0 when it overflows."""
    try:
        return n / d
    except OverflowError:
        return 0.0


def fraction_text(q: Fraction) -> str:
    """Write an exact value as ``str(q)`` does (``"p/q"`` or ``"p"``), past Python's digit limit too.

    Parameters
    ----------
    q : Fraction or int

    Returns
    -------
    str

    Examples
    --------
    >>> fraction_text(Fraction(-3, 6)), fraction_text(Fraction(4))
    ('-1/2', '4')
    """
    q = Fraction(q)
    return ratio_text(q.numerator, q.denominator)


def exact_json(q: Fraction) -> float | str:
    """Return an exact value as JSON without loss: the float when one equals it, else ``"p/q"``.

    Parameters
    ----------
    q : Fraction

    Returns
    -------
    float or str

    Examples
    --------
    >>> exact_json(Fraction(1, 2)), exact_json(Fraction(1, 3))
    (0.5, '1/3')
    """
    try:
        f = float(q)
    except OverflowError:
        return fraction_text(q)
    return f if Fraction(f) == q else fraction_text(q)


_SAFE_BITS = 13_000
"""Integers below ``2^13000`` (3914 digits) are under Python's limit on ``str(int)`` (4300 digits)."""


def decimal_text(n: int) -> str:
    """Write an integer in decimal, however long (``str`` refuses over 4300 digits since Python 3.11).

    Parameters
    ----------
    n : int

    Returns
    -------
    str
        ``str(n)``, also beyond the interpreter's digit limit (written in pieces).

    Examples
    --------
    >>> decimal_text(-12345)
    '-12345'
    >>> t = decimal_text(7 ** 20000); len(t), t[:5], t[-3:]
    (16902, '91369', '001')
    """
    if n < 0:
        return "-" + decimal_text(-n)
    if n.bit_length() < _SAFE_BITS:
        return str(n)
    k = int(n.bit_length() * math.log10(2)) // 2  # split near the middle of the digits
    hi, lo = divmod(n, 10**k)
    low = decimal_text(lo)
    return decimal_text(hi) + "0" * (k - len(low)) + low


def float_ring(verts: Sequence[Point]) -> list[list[float]]:
    """Return the closed ring of float vertex coordinates, refusing coordinates beyond floats.

    Parameters
    ----------
    verts : sequence of Point
        Homogeneous integer vertices ``(X, Y, D)``, ``D > 0``.

    Returns
    -------
    list of [float, float]
        The vertices (each coordinate the correctly rounded ``X / D``), the first repeated at the end.

    Raises
    ------
    InputError
        A coordinate beyond the float range (GeoJSON numbers are floats).

    Examples
    --------
    >>> float_ring([(0, 0, 1), (3, 0, 1), (0, 3, 1)])[-1]
    [0.0, 0.0]
    """
    try:
        ring = [[X / D, Y / D] for X, Y, D in verts]
    except OverflowError:
        big = max(max(abs(Fraction(X, D)), abs(Fraction(Y, D))) for X, Y, D in verts)
        raise InputError(
            f"GeoJSON export: a vertex coordinate reaches {scientific_text(big)}, beyond the float range of "
            "GeoJSON numbers; the exact vertices are in Cell.vertices"
        ) from None
    ring.append(ring[0])
    return ring


SHORT_TEXT = 20
"""Longest ``"p/q"`` :func:`exact_number_text` writes as it is when a shorter exact form exists."""


def exact_number_text(q: Fraction) -> str:
    """Write an exact value as short text that reads back to the same value (``--window``, ``--level``).

    :func:`~exact.cli_values.exact_number` reads it back.

    ``"p/q"`` (or ``"p"``) as :func:`~exact.json_numbers.fraction_text` writes it, up to
    :data:`SHORT_TEXT` characters; a longer one that is a decimal, ``m * 10**k``, in
    scientific notation with every digit of ``m`` (``10**400`` is ``"1e+400"``); any other
    long value as ``"p/q"``, however long (no shorter exact form).  A decimal is written
    in plain notation (``0.10000000000000001``) where that is shorter.

    Parameters
    ----------
    q : Fraction or int
        The exact value (a window, a level).

    Returns
    -------
    str
        Text such as ``"5/2"``, ``"1e+400"`` or ``"-1.5e-300"``: never longer than ``"p/q"``.

    Examples
    --------
    >>> [exact_number_text(q) for q in (Fraction(-1, 3), Fraction(10**400), Fraction(3, 2 * 10**300))]
    ['-1/3', '1e+400', '1.5e-300']
    >>> from exact.cli_values import exact_number
    >>> exact_number(exact_number_text(Fraction(-12345, 10**30))) == Fraction(-12345, 10**30)
    True
    >>> exact_number_text(Fraction(10**16 + 1, 10**17))   # plain decimal where it is the shortest
    '0.10000000000000001'
    """
    q = Fraction(q)
    text = fraction_text(q)
    if len(text) <= SHORT_TEXT:
        return text
    d = q.denominator
    twos = (d & -d).bit_length() - 1
    rest, fives = d >> twos, 0
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    if rest != 1:  # not a decimal: no shorter exact form
        return text
    k = max(twos, fives)  # q = m / 10**k with m an integer
    digits = decimal_text(abs(q.numerator) * 10**k // d)
    mantissa = digits.rstrip("0")
    exponent = len(digits) - 1 - k
    sign = "-" if q < 0 else ""
    short = f"{sign}{mantissa[0]}{'.' if len(mantissa) > 1 else ''}{mantissa[1:]}e{exponent:+d}"
    if 0 < k <= SHORT_TEXT:  # 0.10000000000000001, shorter than 1.0000000000000001e-1
        padded = digits.rjust(k + 1, "0")
        short = min(short, f"{sign}{padded[:-k]}.{padded[-k:]}", key=len)
    return short if len(short) < len(text) else text
