"""Float-filter constants shared by every rigorous error bound in :mod:`exact`.

Floats in :mod:`exact` only filter: a float value decides a sign only when it is
farther from zero than a rigorous bound on its error.  The bounds follow the standard
model of floating-point arithmetic, ``fl(a op b) = (a op b)(1 + d)`` with ``|d| <= U``
(Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., SIAM 2002, §2.2 and
§3.1).  ``SAFE`` and ``TINY`` pad each bound for the rounding of the bound computation
itself and for underflow, which the standard model leaves out.

Examples
--------
>>> U == 2.0**-53 and 1.0 + U == 1.0
True
"""

from __future__ import annotations

__all__ = ["SAFE", "TINY", "TINY_CROSSING", "U", "U32"]

U = 2.0**-53
"""Unit roundoff of float64."""

U32 = 2.0**-24
"""Unit roundoff of float32."""

SAFE = 1.0 + 16 * U
"""Factor that covers the rounding of the bound computations themselves."""

TINY = 1e-300
"""Absolute term that covers underflow in the bounds."""

TINY_CROSSING = 1e-280
"""Absolute term of the crossing bounds in :mod:`exact.line_count`."""
