"""The ``exactnet segment`` command: exact pieces of a network along a segment between two points.

``exactnet segment SPEC --from A --to B [--json] [--max-pieces N] [--max-memory SIZE]``
counts the activation and linear pieces of ``t -> f(A + t (B - A))``, ``t`` in ``[0, 1]``
(:func:`exact.count_on_segment`), for a network of any input width, and prints the counts
and the exact breakpoints ``t`` (``p/q``; ``--json``: one object with ``spec``,
``input_width``, ``activation_pieces``, ``linear_pieces``, ``activation_breakpoints`` and
``linear_breakpoints``).

A point is given as numbers separated by commas (``--from 0,0.5,1/3``, ``--from -1,2``),
or by a file: ``--from-file a.npy`` (a numpy
array, floats at their binary value) or a text file of numbers separated by commas,
spaces or new lines (a JSON list too).  Numbers written as text are exact: ``0.1`` is
1/10, ``1/3`` a third.

Examples
--------
>>> import argparse
>>> sub = argparse.ArgumentParser().add_subparsers()
>>> add_segment_command(sub, common=lambda sp, **kw: None)
>>> sub.choices["segment"].parse_args(["net.json", "--from", "0,1/2", "--to", "1,0"]).from_point
[Fraction(0, 1), Fraction(1, 2)]
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

from .cli_values import exact_number, int_arg
from .errors import InputError
from .json_numbers import fraction_text, json_number
from .validation import DEFAULT_MAX_PIECES, check_point

__all__ = ["add_segment_command", "breakpoint_float_text", "read_point_file"]


def _point_arg(text: str) -> list[Fraction]:
    """Parse ``--from`` / ``--to``: exact numbers separated by commas."""
    try:
        return _numbers(text)
    except (ValueError, ZeroDivisionError) as exc:
        why = f" ({exc})" if isinstance(exc, InputError) else ""
        raise argparse.ArgumentTypeError(
            f"a point is exact numbers separated by commas, e.g. 0,0.5,-1/3, got {text[:80]!r}{why}"
        ) from None


def _numbers(text: str) -> list[Fraction]:
    """Read numbers separated by one comma and/or white space (brackets ignored), each exactly.

    An empty place (``0,,1``, a leading or trailing comma) is an error, not skipped.
    """
    body = text.strip().strip("[]").strip()
    items = re.split(r"\s*,\s*|\s+", body)
    if not body or any(t == "" for t in items):
        raise ValueError("an empty coordinate")
    return [exact_number(t) for t in items]


def read_point_file(path: str, name: str = "point file") -> Any:
    r"""Read a point from a file: a ``.npy`` array, or text of numbers (commas, spaces, new lines).

    Parameters
    ----------
    path : str
        The file.  ``.npy``: a numpy array (any shape; flattened), floats at their exact
        binary value.  Otherwise text, each number read exactly (``0.1`` is 1/10).
    name : str, default "point file"
        What messages call the file (``--from-file``).

    Returns
    -------
    ndarray or list of Fraction
        The coordinates.

    Raises
    ------
    InputError
        A file that is missing, unreadable, or holds something else than numbers.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "a.txt")
    >>> _ = Path(p).write_text("[0.5, 1/3,\n 2]")
    >>> read_point_file(p)
    [Fraction(1, 2), Fraction(1, 3), Fraction(2, 1)]
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{name} {path!r} does not exist or is not a file")
    try:
        if p.suffix.lower() == ".npy":
            import numpy as np

            arr = np.load(p, allow_pickle=False)
            return arr.reshape(-1)
        return _numbers(p.read_text(encoding="utf-8"))
    except (ValueError, ZeroDivisionError, OSError, UnicodeDecodeError):
        raise InputError(f"{name} {path!r} is not a point file, which is a .npy array or text of numbers "
                         f"separated by commas, spaces or new lines (such as 0.5, 1/3, 2)") from None


def add_segment_command(sub: Any, *, common: Callable[..., None]) -> None:
    """Add ``segment`` to the ``exactnet`` subcommands.

    Parameters
    ----------
    sub : argparse subparsers action
        What ``ArgumentParser.add_subparsers()`` returned.
    common : callable
        ``common(parser, window=..., json_out=..., memory=...)``: adds the options every
        command shares (``--max-memory``, ``--json``, ``--quiet``).

    Returns
    -------
    None

    Examples
    --------
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> add_segment_command(sub, common=lambda sp, **kw: None)
    >>> sorted(sub.choices)
    ['segment']
    """
    sg = sub.add_parser("segment", help="exact activation/linear pieces along a segment between two points "
                                        "(any input width)")
    sg.add_argument("spec", help="network spec: .json, .npz, .pt or .safetensors")
    sg.add_argument("--from", dest="from_point", type=_point_arg, metavar="X,Y,...",
                    help="first end point: exact numbers separated by commas (--from -1,2/3,0.5)")
    sg.add_argument("--to", dest="to_point", type=_point_arg, metavar="X,Y,...", help="second end point")
    sg.add_argument("--from-file", metavar="FILE", help="first end point from a .npy or text file")
    sg.add_argument("--to-file", metavar="FILE", help="second end point from a .npy or text file")
    sg.add_argument("--max-pieces", type=int_arg("--max-pieces", 1, 10**12), default=DEFAULT_MAX_PIECES,
                    help=f"stop with an error beyond this many pieces (default {DEFAULT_MAX_PIECES})")
    common(sg, window=False, memory=True)
    sg.set_defaults(func=segment_command)


def segment_command(args: argparse.Namespace) -> int:
    """Run ``exactnet segment`` on parsed arguments; print the counts and breakpoints.

    Parameters
    ----------
    args : argparse.Namespace
        ``spec``, ``from_point``/``from_file``, ``to_point``/``to_file``, ``max_pieces``,
        ``max_memory``, ``json``.

    Returns
    -------
    int
        0 (errors are raised, and the command line turns them into exit statuses).

    Raises
    ------
    InputError
        Both or neither of ``--from`` and ``--from-file`` (or ``--to``), or bad points.

    Examples
    --------
    >>> import json, os, tempfile
    >>> spec = os.path.join(tempfile.mkdtemp(), "ramp.json")
    >>> layers = [{"weight": [[1], [1]], "bias": [0, -1]}, {"weight": [[1, -1]], "bias": [0]}]
    >>> with open(spec, "w") as f:
    ...     json.dump({"layers": layers}, f)
    >>> args = argparse.Namespace(spec=spec, from_point=[-1], to_point=[2], from_file=None, to_file=None,
    ...                           max_pieces=10, max_memory=None, json=True)
    >>> segment_command(args)  # doctest: +ELLIPSIS
    {"spec": ..., "activation_pieces": 3, "linear_pieces": 3, "activation_breakpoints": ["1/3", "2/3"], ...}
    0
    """
    from .loading import as_exact_net
    from .segment_count import count_on_segment

    a, a_name = _one_point(args.from_point, args.from_file, "--from")
    b, b_name = _one_point(args.to_point, args.to_file, "--to")
    net = as_exact_net(args.spec)
    a, b = check_point(a, a_name, net.input_dim), check_point(b, b_name, net.input_dim)
    s = count_on_segment(net, a, b, max_pieces=args.max_pieces, max_memory=args.max_memory)
    data = {"spec": args.spec, "input_width": net.input_dim, **s.as_dict()}
    if args.json:
        print(json.dumps(data))
        return 0
    lin = set(s.breakpoints.linear)
    print(f"             spec: {args.spec} (input width {net.input_dim})")
    print(f"activation pieces: {s.activation}")
    print(f"    linear pieces: {s.linear}")
    if s.breakpoints.activation:
        print("breakpoints t (exact; * where the output map changes):")
    for t in s.breakpoints.activation:
        print(f"  {'*' if t in lin else ' '} {breakpoint_float_text(t)} = {fraction_text(t)}")
    return 0


def breakpoint_float_text(t: Fraction) -> str:
    """Write a breakpoint's float approximation, never a float 0 (or inf) for a value that is not.

    Parameters
    ----------
    t : Fraction
        The exact breakpoint.

    Returns
    -------
    str
        The shortest text of the float nearest ``t`` (``repr``), or, when ``t`` is nonzero but its float
        underflows to 0, its six leading digits in scientific notation, correctly rounded
        from the exact value (:func:`exact.json_numbers.json_number`).

    Examples
    --------
    >>> breakpoint_float_text(Fraction(2, 5)), breakpoint_float_text(Fraction(8, 10**383))
    ('0.4', '8.00000e-383')
    """
    approx = json_number(t)
    return approx if isinstance(approx, str) else repr(approx)


def _one_point(value: Any, path: str | None, option: str) -> tuple[Any, str]:
    """Return the point given by ``option`` or by ``option-file`` (exactly one) and its name for messages."""
    if (value is None) == (path is None):
        which = "start" if option == "--from" else "end"
        raise InputError(f"give the {which} point with {option} X,Y,... or {option}-file FILE (one of them)")
    if path is not None:
        return read_point_file(path, f"{option}-file"), f"{option}-file {path!r}"
    return value, option
