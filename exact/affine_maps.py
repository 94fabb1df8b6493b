"""The exact affine map of a region, ``x -> gradient @ x + offset``, with a float view for reading it.

:class:`AffineMap` keeps exact :class:`fractions.Fraction` coefficients; ``str()`` writes
them exactly.  For people, :meth:`AffineMap.float_view` rounds them to floats, and the
notebook displays (``_repr_html_``, and IPython's ``_repr_pretty_``) show both: the
exact fractions next to their float values.  The float view is for reading only;
nothing is decided from it.

Examples
--------
>>> f = AffineMap(((Fraction(1, 3), Fraction(2)),), (Fraction(-1, 2),))
>>> str(f)
'(1/3)*x1 + (2)*x2 + (-1/2)'
>>> f.float_view()
'0.333333*x1 + 2*x2 - 0.5'
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .float_rounding import round_or_inf
from .predicates import to_fraction

__all__ = ["AffineMap"]


def _float_terms(g: tuple[Fraction, Fraction], o: Fraction, digits: int) -> str:
    """``a*x1 + b*x2 + c`` with each coefficient to ``digits`` significant digits."""
    out = ""
    for v, name in ((g[0], "*x1"), (g[1], "*x2"), (o, "")):
        f = round_or_inf(v)
        text = f"{abs(f):.{digits}g}{name}"
        if not out:
            out = ("-" if f < 0 else "") + text
        else:
            out += (" - " if f < 0 else " + ") + text
    return out


@dataclass(frozen=True)
class AffineMap:
    """An exact affine map ``x -> gradient @ x + offset`` from the plane to R^m.

    Attributes
    ----------
    gradient : tuple of (Fraction, Fraction)
        One row per output, shape ``(m, 2)``.
    offset : tuple of Fraction
        Shape ``(m,)``.

    Examples
    --------
    >>> f = AffineMap(((Fraction(1), Fraction(2)),), (Fraction(1, 2),))
    >>> f((1, 1))
    (Fraction(7, 2),)
    """

    gradient: tuple[tuple[Fraction, Fraction], ...]
    offset: tuple[Fraction, ...]

    def __call__(self, point: Sequence[Any]) -> tuple[Fraction, ...]:
        """Evaluate the map exactly at ``point = (x, y)`` (any real numbers)."""
        x, y = (to_fraction(v) for v in point)
        return tuple(g[0] * x + g[1] * y + o for g, o in zip(self.gradient, self.offset))

    def __str__(self) -> str:
        parts = [f"({g[0]})*x1 + ({g[1]})*x2 + ({o})" for g, o in zip(self.gradient, self.offset)]
        return "; ".join(parts)

    def float_view(self, digits: int = 6) -> str:
        """Write the map with its coefficients rounded to floats, for reading (never for deciding).

        Parameters
        ----------
        digits : int, default 6
            Significant digits per coefficient.

        Returns
        -------
        str
            ``a*x1 + b*x2 + c`` per output, joined by ``"; "`` as :meth:`__str__` does;
            coefficients beyond the float range show as ``inf``.

        Examples
        --------
        >>> AffineMap(((Fraction(2, 3), Fraction(-1)),), (Fraction(0),)).float_view(3)
        '0.667*x1 - 1*x2 + 0'
        """
        return "; ".join(_float_terms(g, o, digits) for g, o in zip(self.gradient, self.offset))

    def _repr_html_(self) -> str:
        """Show a table in notebooks: one row per output, the exact map next to its float view."""
        rows = "".join(
            f"<tr><td>{i}</td><td><code>{html.escape(f'({g[0]})*x1 + ({g[1]})*x2 + ({o})')}</code></td>"
            f"<td>&asymp; {html.escape(_float_terms(g, o, 6))}</td></tr>"
            for i, (g, o) in enumerate(zip(self.gradient, self.offset)))
        return ("<table><thead><tr><th>output</th><th>exact</th><th>float view</th></tr></thead>"
                f"<tbody>{rows}</tbody></table>")

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        """Show the exact map, then its float view (IPython's text display)."""
        p.text(f"{self}  (≈ {self.float_view()})")
