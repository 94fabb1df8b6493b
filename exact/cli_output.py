"""Where the ``exactnet`` command line writes: output files, ``-`` for standard output, the summary.

An output option given ``-`` writes to standard output (``regions --geojson -``,
``--segments -``, ``--html -``, ``count-many --jsonl -``), as for other Unix tools; the
summary (counts, ``--stats``) then goes to standard error, so that standard output holds
the file's text alone.  Where standard output makes no sense, ``-`` is refused: a picture's
format comes from its file name's suffix (``--plot``), a sheet is a folder of files
(``sheet --out``).  Output paths are checked before any work (:func:`check_writable`).

While a command runs, standard output writes all its text or raises (:func:`full_stdout_writes`):
with ``PYTHONUNBUFFERED=1`` Python's own standard output drops the rest of a write cut short by
a reader that stopped (``| head``), so a file would seem written when it was not.

Examples
--------
>>> stdout_option({"--geojson": "-", "--plot": None})
'--geojson'
>>> print_counts({"spec": "net.json", "window": None, "activation_regions": 4}, as_json=False)
              spec: net.json
            window: whole plane
activation regions: 4
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any, TextIO

from .errors import InputError
from .json_numbers import SHORT_TEXT, exact_number_text, json_number, scientific_text
from .window_texts import window_json, window_text
from .wording import counted

__all__ = ["LABEL_WIDTH", "STDOUT", "TO_STDOUT_HELP", "FullWrites", "check_writable", "end_stdout",
           "full_stdout_writes", "jsonl_dash", "level_set_line", "output_target", "print_counts",
           "print_failure", "stdout_option"]

STDOUT = "-"
"""The file name that means standard output."""

TO_STDOUT_HELP = "; '-' writes it to standard output, and the summary then goes to standard error"
"""The end of the help of every output option that takes ``-``."""

LABEL_WIDTH = 40
"""Labels of the text report are right-aligned to the longest one up to this width."""


def print_failure(command: str, message: str, reading: dict | None = None) -> None:
    """Print a command's one-line failure on standard error, with what a state_dict was read as.

    A refusal after reading a state_dict may come from reading it wrong (layers taken in
    another order than the one forward runs: a 16-D "input" refused for its size), so the
    layers and order read are said below it.

    Parameters
    ----------
    command : str
        The subcommand (``regions``).
    message : str
        The failure, in the command line's words.
    reading : dict, optional
        The note of the state_dict read (:func:`exact.state_dicts.recorded_readings`).

    Examples
    --------
    >>> import contextlib, io
    >>> with contextlib.redirect_stderr(io.StringIO()) as err:
    ...     print_failure("regions", "refused: too big", {"layers_read": ["b.weight", "a.weight"],
    ...                                                   "layer_order": "as stored"})
    >>> print(err.getvalue().strip())
    exactnet regions: refused: too big
      (the state_dict was read as b.weight, a.weight, in this order: as stored)
    """
    print(f"exactnet {command}: {message}", file=sys.stderr)
    if reading:
        print(f"  (the state_dict was read as {', '.join(reading['layers_read'])}, in this order: "
              f"{reading['layer_order']})", file=sys.stderr)


def print_counts(data: dict, as_json: bool, file: TextIO | None = None) -> None:
    """Print a command's summary: one JSON object, or one aligned line per entry.

    Parameters
    ----------
    data : dict
        The entries; Fractions are written as JSON numbers (or ``p/q`` text); the ``window``
        (a half-width, rectangle, polygon, box or None) and a ``box`` half-width exactly, as
        :func:`~exact.window_texts.window_json` or :func:`~exact.window_texts.window_text` write
        it (None: the whole line, plane or space of the ``input_width``, default 2).
    as_json : bool
        One JSON object instead of lines.
    file : text file, optional
        Where to print (default: standard output at the time of the call).  A list of
        strings (names) is printed as one line, the names separated by commas.

    Returns
    -------
    None

    Examples
    --------
    >>> print_counts({"window": Fraction(1, 10), "linear_regions": 3}, as_json=True)
    {"window": "1/10", "linear_regions": 3}
    """
    file = sys.stdout if file is None else file
    dim = data.get("input_width", 2)
    exact_text = {k for k, v in data.items() if k == "window" or (k == "box" and isinstance(v, Fraction))}
    data = {k: (window_json(v) if as_json else window_text(v, dim)) if k in exact_text
            else json_number(v) if isinstance(v, Fraction) else v for k, v in data.items()}
    if as_json:
        print(json.dumps(data), file=file)
        return
    plane = "unbounded_cells" in data  # there the areas are of the bounded cells only: the labels say so
    labels = {k: k.replace("_", " ") for k in data}
    if plane:
        labels.update({k: labels[k].replace(" area", " bounded area") for k in data if k.endswith("_area")})
    width = max((len(t) for t in labels.values() if len(t) <= LABEL_WIDTH), default=0)  # longer: not padded
    for k, v in data.items():
        shown = "none (no bounded cell)" if v is None else v
        if isinstance(v, list) and v and all(isinstance(x, str) for x in v):  # names: a state_dict's layers
            shown = ", ".join(v)
        print(f"{labels[k]:>{width}}: {shown}", file=file)


class FullWrites(io.TextIOBase):
    """A text stream over an unbuffered binary one that writes each text whole, or raises.

    Python's unbuffered standard output (``PYTHONUNBUFFERED=1``, ``python -u``) is a text
    stream straight over the file descriptor, and it drops the rest of a write that the
    system cut short: a 5 MB page written into a pipe whose reader stopped ends without an
    error.  Here a short write is continued, and the next one raises ``BrokenPipeError``.

    Parameters
    ----------
    text : text file
        The stream replaced (its encoding and error handler are kept).
    raw : binary file
        Its unbuffered binary stream (``text.buffer``).

    Examples
    --------
    >>> raw = io.BytesIO()
    >>> text = io.TextIOWrapper(raw, encoding="utf-8")
    >>> FullWrites(text, raw).write("é")
    1
    >>> raw.getvalue().decode("utf-8")
    'é'
    """

    def __init__(self, text: TextIO, raw: io.RawIOBase | io.BytesIO) -> None:
        super().__init__()
        self._text, self._raw = text, raw

    @property
    def encoding(self) -> str:  # type: ignore[override]
        """The encoding of the stream replaced."""
        return self._text.encoding or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        """The error handler of the stream replaced."""
        return self._text.errors

    def writable(self) -> bool:
        """Tell that the stream takes text (it does)."""
        return True

    def fileno(self) -> int:
        """Return the file descriptor written to."""
        return self._raw.fileno()

    def isatty(self) -> bool:
        """Tell whether the stream is a terminal."""
        return self._raw.isatty()

    def write(self, text: str) -> int:
        """Write ``text`` whole; return its length in characters."""
        view = memoryview(text.encode(self.encoding, self.errors or "strict"))
        while view:
            view = view[self._raw.write(view) or 0:]
        return len(text)


@contextlib.contextmanager
def full_stdout_writes() -> Iterator[None]:
    """Make standard output write whole texts while inside (:class:`FullWrites`), when it is unbuffered.

    A buffered standard output (Python's default) already does; a closed one (None) or one
    that is not a file (a test's capture) is left as it is.

    Returns
    -------
    context manager
        Restores the standard output it found on leaving.

    Examples
    --------
    >>> with full_stdout_writes():
    ...     print("text")
    text
    """
    out = sys.stdout
    raw = getattr(out, "buffer", None)
    if not isinstance(raw, io.RawIOBase):
        yield
        return
    sys.stdout = FullWrites(out, raw)
    try:
        yield
    finally:
        sys.stdout = out


def stdout_option(outputs: dict[str, str | None]) -> str | None:
    """Return the one output option given ``-`` (standard output), or None.

    Parameters
    ----------
    outputs : dict of str to (str or None)
        Each output option and its value.

    Returns
    -------
    str or None
        The option that writes to standard output.

    Raises
    ------
    InputError
        Two options given ``-``, or ``--plot -``.

    Examples
    --------
    >>> stdout_option({"--geojson": "cells.json", "--segments": None}) is None
    True
    """
    dashed = [option for option, path in outputs.items() if path == STDOUT]
    if "--plot" in dashed:
        raise InputError("--plot '-': the picture's format comes from the file name's suffix, and standard "
                         "output has none; give a file name such as regions.png")
    if len(dashed) > 1:
        raise InputError(f"{' and '.join(dashed)} both ask for standard output ('-'); give one of them a "
                         "file name")
    return dashed[0] if dashed else None


def output_target(path: str) -> str | TextIO:
    """Return standard output for ``-``, else the path itself (for writers that take either).

    Parameters
    ----------
    path : str
        The option's value.

    Returns
    -------
    str or text file
        ``sys.stdout`` or ``path``.

    Examples
    --------
    >>> output_target("-") is sys.stdout, output_target("a.json")
    (True, 'a.json')
    """
    return sys.stdout if path == STDOUT else path


def end_stdout(path: str, newline: bool = True) -> None:
    """After a file written to standard output (``path == "-"``): a final new line, then flush.

    Flushing puts the file's text out before the summary that follows on standard error.

    Parameters
    ----------
    path : str
        The option's value (nothing happens unless it is ``-``).
    newline : bool, optional
        Add the new line (JSON text ends without one; an HTML page ends with one).

    Returns
    -------
    None

    Examples
    --------
    >>> end_stdout("cells.json")
    """
    if path == STDOUT:
        if newline:
            sys.stdout.write("\n")
        sys.stdout.flush()


def check_writable(path: str | None, option: str, keep: Sequence[str] = ()) -> None:
    """Refuse an output path before any work: a missing folder, a folder, or one of the input files.

    Parameters
    ----------
    path : str or None
        The option's value (None: not given; ``-``: standard output, always writable).
    option : str
        The option's name, for messages; ``--plot`` also checks that matplotlib writes the suffix.
    keep : sequence of str
        The input files: writing there would destroy them.

    Returns
    -------
    None

    Raises
    ------
    InputError
        Naming the option and the path.

    Examples
    --------
    >>> check_writable("no/such/folder/cells.json", "--geojson")
    Traceback (most recent call last):
    ...
    exact.errors.InputError: --geojson 'no/such/folder/cells.json': the folder 'no/such/folder' does not exist
    """
    if path is None or path == STDOUT:
        return
    p = Path(path)
    for other in keep:
        if p.exists() and Path(other).exists() and p.samefile(other):
            raise InputError(f"{option} {path!r} is the network file itself; give another file name")
    if p.is_dir():
        raise InputError(f"{option} {path!r} is a folder; give a file name")
    if not p.parent.is_dir():
        raise InputError(f"{option} {path!r}: the folder {str(p.parent)!r} does not exist")
    if option == "--plot":
        from matplotlib.figure import Figure

        kinds = Figure().canvas.get_supported_filetypes()
        if p.suffix.lstrip(".").lower() not in kinds:
            what = p.suffix or "a file without a suffix"
            raise InputError(f"--plot {path!r}: matplotlib cannot write {what}; "
                             f"use one of {', '.join('.' + k for k in sorted(kinds))}")


def jsonl_dash(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Wrap ``count-many``: ``--jsonl -`` is standard output, as without ``--jsonl`` (not a file ``-``).

    Parameters
    ----------
    command : callable
        ``command(args) -> int``, the ``count-many`` command.

    Returns
    -------
    callable
        ``run(args) -> int``.

    Raises
    ------
    InputError
        (from ``run``) ``--jsonl -`` with ``--resume``: standard output cannot be continued.

    Examples
    --------
    >>> run = jsonl_dash(lambda args: print(args.jsonl) or 0)
    >>> run(argparse.Namespace(jsonl="-", resume=False))
    None
    0
    """

    def run(args: argparse.Namespace) -> int:
        if args.jsonl == STDOUT:
            if args.resume:
                raise InputError("--resume continues a results file, and --jsonl - writes to standard "
                                 "output: give --jsonl a file name")
            args.jsonl = None
        return command(args)

    return run


def level_set_line(ls: Any) -> tuple[str, str]:
    """Return the summary line of a level set or decision boundary: its label and its text.

    Numbers are short and exact where they must be: the level and the whole plane's box as
    :func:`~exact.json_numbers.exact_number_text` writes them (``1e+400``, not 401 digits),
    and a length beyond the float range said so (not ``inf``).

    Parameters
    ----------
    ls : LevelSet

    Returns
    -------
    (str, str)

    Examples
    --------
    >>> from exact import regions
    >>> r = regions([([[1, 0]], [0]), ([[1]], [0])], window=None)
    >>> name, text = level_set_line(r.level_set(10**400))
    >>> print(name, "/", text.split("length ")[1])
    level set f0 = 1e+400 / beyond the float range inside the box [-B, B]^2 with B = 2^1329 (2 ends go ...)
    """
    name = ls.kind if ls.kind == "decision boundary" else (  # a boundary of 2+ outputs has no level
        f"level set f{ls.output} = {exact_number_text(ls.level)}")
    length = "beyond the float range" if math.isinf(ls.length) else f"{ls.length:.6g}"
    text = (f"{counted(len(ls.segments), 'segment')}, {counted(len(ls.points), 'isolated point')}, "
            f"{counted(len(ls.flat_pieces), 'flat cell')}, length {length}")
    if ls.ends_beyond_box:
        b, ends = Fraction(ls.box), "end goes" if ls.ends_beyond_box == 1 else "ends go"
        short = exact_number_text(b)
        box = f"[-{short}, {short}]^2" if len(short) <= SHORT_TEXT else f"[-B, B]^2 with B = {_long_box(b)}"
        text += f" inside the box {box} ({ls.ends_beyond_box} {ends} on beyond it)"
    return name, text


def _long_box(b: Fraction) -> str:
    """Write a long certified half-width short: exactly (``2^1331`` for a power of two), else about."""
    if b.denominator == 1 and b.numerator & (b.numerator - 1) == 0:
        return f"2^{b.numerator.bit_length() - 1}"
    return f"about {scientific_text(b, 3)}"
