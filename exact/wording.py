"""Grammatical pieces of messages: a count with its noun, and a type name with its article.

Messages built from counts and type names read "1 coordinates" or "a int" when written as
``f"{n} coordinates"`` or ``f"a {type(x).__name__}"``; :func:`counted` and
:func:`type_phrase` put the noun in the singular or plural and the article before the
name.

Examples
--------
>>> counted(1, "coordinate"), counted(3, "coordinate"), counted(0, "vertex", "vertices")
('1 coordinate', '3 coordinates', '0 vertices')
>>> type_phrase(5), type_phrase([1]), with_article("ndarray")
('an int', 'a list', 'an ndarray')
"""

from __future__ import annotations

from typing import Any

__all__ = ["counted", "counts_title", "type_phrase", "with_article"]

_READ_AS_LETTERS = ("nd", "mpf", "mpc", "mpq", "mpz")
"""Starts of names read letter by letter whose first sound is a vowel ("an ndarray", "an mpf")."""

_U_AS_YOU = ("uint", "uni", "use", "usu", "ut")
"""Starts of names whose ``u`` is read "you" ("a uint8", "a UserDict")."""


def counted(n: int, noun: str, plural: str | None = None, *, fmt: str = "") -> str:
    """Write a count with its noun in the singular (for 1) or the plural.

    Parameters
    ----------
    n : int
        The count.
    noun : str
        The noun in the singular.
    plural : str, optional
        Its plural (default: ``noun + "s"``).
    fmt : str, optional
        A format spec for the number, e.g. ``","`` for thousands separators.

    Returns
    -------
    str
        ``"1 coordinate"``, ``"2 coordinates"``.

    Examples
    --------
    >>> counted(1, "byte"), counted(12345, "byte", fmt=",")
    ('1 byte', '12,345 bytes')
    """
    word = noun if n == 1 else (plural if plural is not None else noun + "s")
    return f"{n:{fmt}} {word}"


def counts_title(widths: Any, n_activation: int, n_linear: int) -> str:
    """Name a net by its widths and its region counts, as the pictures' titles do.

    Parameters
    ----------
    widths : sequence of int
    n_activation, n_linear : int

    Returns
    -------
    str

    Examples
    --------
    >>> counts_title((2, 4, 3), 4, 1)
    '2-4-3: 4 activation / 1 linear region'
    """
    return f"{'-'.join(map(str, widths))}: {n_activation} activation / {counted(n_linear, 'linear region')}"


def with_article(word: str) -> str:
    """Put ``a`` or ``an`` before a word or a type name, as it is read aloud.

    Parameters
    ----------
    word : str
        A noun or a type name (``"int"``, ``"ndarray"``, ``"uint8"``, ``"list"``).

    Returns
    -------
    str
        ``"an int"``, ``"an ndarray"``, ``"a uint8"``, ``"a list"``.

    Notes
    -----
    ``an`` before a vowel (``a e i o``, and ``u`` unless it is read "you", as in ``uint8``),
    and before the few names read letter by letter from a consonant with a vowel sound
    (``ndarray``, mpmath's ``mpf``); ``a`` otherwise.

    Examples
    --------
    >>> with_article("Int"), with_article("uint8"), with_article("float"), with_article("ExactNet")
    ('an Int', 'a uint8', 'a float', 'an ExactNet')
    """
    w = word.lower()
    vowel = w[:1] in ("a", "e", "i", "o") or (w[:1] == "u" and not w.startswith(_U_AS_YOU))
    return f"{'an' if vowel or w.startswith(_READ_AS_LETTERS) else 'a'} {word}"


def type_phrase(obj: Any) -> str:
    """Name the type of ``obj`` with its article: ``"an int"``, ``"a list"``, ``"an ndarray"``.

    Parameters
    ----------
    obj : object
        Any object.

    Returns
    -------
    str
        ``with_article(type(obj).__name__)``.

    Examples
    --------
    >>> type_phrase(1.5), type_phrase(None)
    ('a float', 'a NoneType')
    """
    return with_article(type(obj).__name__)
