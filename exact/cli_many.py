"""The ``exactnet count-many`` command: exact counts of many spec files, one JSON line each.

``exactnet count-many FILE... [--jobs N | --scheduler ADDRESS] [--window W] [--jsonl OUT [--resume]]``
counts each file's network with :func:`exact.count_many` and writes one JSON object per
line, in the order the nets finish: ``file`` (the path as given, normalised: ``./a/../x.pt``
is ``x.pt``), ``path`` (the file's absolute path, symbolic links resolved: the file's
identity), ``sha256`` (of the file's bytes),
``window`` (``null`` for the whole plane), ``activation_regions``, ``linear_regions`` and
``seconds`` (the worker's counting time); for a net that failed, ``error`` (the error's
class) and ``message`` instead of the counts.  Lines go to standard output, or to the
file ``--jsonl OUT``, flushed one by one, so that an interrupted run keeps every finished
line.  ``--jsonl`` never overwrites a file: ``--resume`` continues it, skipping each file
already counted there with the same ``path``, the same sha256 and the same window (the half-width
``10`` and the square ``-10,10,-10,10`` are one window for a 2-D net only): ``x.pt``,
``./x.pt`` and ``/home/me/x.pt`` are one file, counted once (the first spelling names it), and
matched whatever spelling or working folder the earlier run had.  A file changed since
(another sha256) or another window is counted again, and its new line, appended, is the one
that holds; failed nets are tried again.  A last line
cut short by a crash (no newline) is removed first, so the file stays valid JSON lines.

Exit status: 0 when every net is counted (or was already), 1 when one or more failed or
were refused (each has its line) or no dask scheduler answered at ``--scheduler`` (before
``--jsonl`` is touched), 2 for a usage error found before any work (an option,
``--jsonl`` exists without ``--resume``, ``--resume`` without ``--jsonl``).

Examples
--------
>>> import argparse
>>> sub = argparse.ArgumentParser().add_subparsers()
>>> add_count_many_command(sub, common=lambda sp, **kw: None)
>>> sorted(sub.choices)
['count-many']
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from fractions import Fraction
from typing import TYPE_CHECKING, Any, TextIO

from .cli_values import cli_words, exact_number, int_arg
from .errors import InputError
from .window_texts import window_json
from .worker_threads import dask_client, start_fork_server_deaf_to_ctrl_c

if TYPE_CHECKING:
    from .cells import RegionCounts
    from .many_nets import NetFailure

__all__ = ["add_count_many_command", "count_many_command", "counted_files", "file_digest"]


def add_count_many_command(sub: Any, *, common: Callable[..., None]) -> None:
    """Add ``count-many`` to the ``exactnet`` subcommands.

    Parameters
    ----------
    sub : argparse subparsers action
        What ``ArgumentParser.add_subparsers()`` returned.
    common : callable
        ``common(parser, window=..., json_out=..., memory=...)``: adds the options every
        command shares (``--window``, ``--max-memory``, ``--quiet``).

    Returns
    -------
    None

    Examples
    --------
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> add_count_many_command(sub, common=lambda sp, **kw: None)
    >>> sub.choices["count-many"].parse_args(["a.json", "--jobs", "2"]).jobs
    2
    """
    cm = sub.add_parser("count-many", help="exact counts of many spec files in parallel, one JSON line each")
    cm.add_argument("files", nargs="+", metavar="FILE",
                    help="network spec files: .json, .npz, .pt or .safetensors")
    cm.add_argument("--jobs", type=int_arg("--jobs", 1, 4096), default=1,
                    help="worker processes on this machine (default 1: in this process)")
    cm.add_argument("--scheduler", metavar="ADDRESS",
                    help="a dask.distributed scheduler to count on, e.g. tcp://10.0.0.5:8786 "
                         "(pip install 'exactnet[dask]'); not with --jobs")
    cm.add_argument("--jsonl", metavar="OUT",
                    help="write the JSON lines to this file (default: standard output)")
    cm.add_argument("--resume", action="store_true",
                    help="continue --jsonl OUT: skip files already counted there (same path, sha256, window)")
    common(cm, json_out=False, memory=True, max_regions=True)
    cm.set_defaults(func=count_many_command)


def count_many_command(args: argparse.Namespace) -> int:
    """Run ``exactnet count-many`` on parsed arguments.

    Parameters
    ----------
    args : argparse.Namespace
        ``files``, ``jobs``, ``scheduler``, ``jsonl``, ``resume``, ``window``,
        ``max_regions``, ``max_memory``, ``quiet``.

    Returns
    -------
    int
        0 when every net is counted, 1 when some failed.

    Raises
    ------
    InputError
        A usage error, before any work.
    ConnectionError
        No dask scheduler answered at ``--scheduler`` (:func:`exact.worker_threads.dask_client`),
        before ``--jsonl`` is touched; ``exactnet`` says so in one line and exits with 1.

    Examples
    --------
    >>> ns = argparse.Namespace(files=["no/such.json"], jobs=1, scheduler=None, jsonl=None, resume=False,
    ...                         window=10, max_regions=None, max_memory=None, quiet=True)
    >>> count_many_command(ns)
    {"file": "no/such.json", "path": ".../no/such.json", "sha256": null, "window": 10, "error": ...}
    1
    """
    first: dict[str, str] = {}  # each file once, by its real path, in order, named as first given
    for f in args.files:
        first.setdefault(os.path.realpath(f), os.path.normpath(f))
    files, paths = list(first.values()), {f: real for real, f in first.items()}
    _check_usage(args)
    window = window_json(args.window)
    digests = {f: file_digest(f) for f in files}
    sources = {f: (paths[f], digests[f]) for f in files}
    done = _done(args.jsonl, window, sources) if args.resume and os.path.exists(args.jsonl) else set()
    todo = [f for f in files if digests[f] is None or sources[f] not in done]
    # the scheduler first: one that does not answer leaves the results file as it was
    cluster = dask_client(args.scheduler, name="--scheduler") if args.scheduler and todo else nullcontext()
    with cluster as client:
        executor = None if client is None else client.get_executor()
        if args.jsonl:
            _drop_cut_line(args.jsonl)  # a last line cut short by a crash: the file stays JSON lines
            with open(args.jsonl, "a", encoding="utf-8") as out:
                failed = _run(todo, sources, window, args, executor, out)
        else:
            failed = _run(todo, sources, window, args, executor, sys.stdout)
    if not args.quiet:
        where = f" (results in {args.jsonl})" if args.jsonl else ""
        print(f"exactnet count-many: {len(todo) - failed} counted, {failed} failed, "
              f"{len(files) - len(todo)} already counted{where}", file=sys.stderr)
    return 1 if failed else 0


def _check_usage(args: argparse.Namespace) -> None:
    """Refuse option combinations that cannot work, before any work."""
    if args.resume and not args.jsonl:
        raise InputError("--resume continues a results file: give it with --jsonl OUT")
    if args.scheduler and args.jobs != 1:
        raise InputError(f"--scheduler counts on the cluster's workers: drop --jobs {args.jobs}")
    if args.jsonl:
        if os.path.isdir(args.jsonl):
            raise InputError(f"--jsonl {args.jsonl!r} is a folder; give a file name")
        parent = os.path.dirname(args.jsonl) or "."
        if not os.path.isdir(parent):
            raise InputError(f"--jsonl {args.jsonl!r}: the folder {parent!r} does not exist")
        if os.path.exists(args.jsonl) and not args.resume:
            raise InputError(f"--jsonl {args.jsonl!r} exists: add --resume to continue it, or remove it")


def _run(files: list[str], sources: dict[str, tuple[str, str | None]], window: Any, args: argparse.Namespace,
         executor: Any, out: TextIO) -> int:
    """Count ``files`` on ``executor`` (else ``--jobs``), a line as each finishes; return how many failed."""
    from .many_nets import timed_counts  # the counting engine, imported only by this command

    if not files:
        return 0
    if executor is None and args.jobs > 1:
        start_fork_server_deaf_to_ctrl_c()  # a Ctrl-C to the terminal's group: no traceback from them
    where = {"executor": executor} if executor is not None else {"jobs": args.jobs}
    readings: dict[int, dict] = {}  # a state_dict: its layer order read, what was assumed
    outcomes = timed_counts(files, window=args.window, max_regions=args.max_regions, readings=readings,
                            max_memory=args.max_memory, on_error="return", progress=not args.quiet, **where)
    return _write_lines(outcomes, files, sources, window, out, readings)


def _write_lines(outcomes: Iterable[tuple[int, RegionCounts | NetFailure, float | None]], files: list[str],
                 sources: dict[str, tuple[str, str | None]], window: Any, out: TextIO,
                 readings: dict[int, dict]) -> int:
    from .many_nets import NetFailure

    failed = 0
    for index, result, seconds in outcomes:
        path, digest = sources[files[index]]
        line: dict[str, Any] = {"file": files[index], "path": path, "sha256": digest, "window": window}
        if isinstance(result, NetFailure):
            failed += 1
            line.update(error=result.error, message=cli_words(result.message))
        else:
            line.update(activation_regions=result.activation, linear_regions=result.linear,
                        seconds=round(seconds, 6))
        line.update(readings.pop(index, {}))
        out.write(json.dumps(line) + "\n")
        out.flush()
    return failed


def file_digest(path: str | os.PathLike) -> str | None:
    """Return the sha256 of a file's bytes in hex, or ``None`` if it cannot be read.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    str or None
        64 hex digits; ``None`` for a missing or unreadable file (its load then fails
        with the reason).

    Examples
    --------
    >>> file_digest("no/such/file") is None
    True
    """
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


def counted_files(path: str | os.PathLike, window: Any, *, dim: int | None = None) -> set[tuple[str, str]]:
    r"""Return the ``(path, sha256)`` pairs a results file holds counts of, for one window.

    Parameters
    ----------
    path : str or os.PathLike
        A ``count-many`` JSON-lines file.
    window : int, float, str, dict or None
        The window as the lines write it (``null``, i.e. ``None``, for the whole plane).  A
        line matches by exact value: a big window that an earlier version wrote as a long
        integer or ``"p/q"`` (``10**300`` in full) matches the ``"1e+300"`` written now.
        A half-width ``B`` also matches a line counted in the square ``[-B, B]^2`` given
        as a rectangle (or in the box ``[-B, B]^d`` given axis by axis): only a net of
        that input width is counted in it, and for that net it is the window ``B``.
    dim : int, optional
        When ``window`` is such a square or box of ``dim`` axes: also match the lines
        counted with the half-width ``B``, which is the same window for nets of input
        width ``dim`` only (``B`` is the cube ``[-B, B]^3`` of a 3-D net, which the
        square refuses).  The caller checks that a file's net has that width.

    Returns
    -------
    set of (str, str)
        Files counted in that window, by their real path (a line's ``path``; for a line
        without one, written before it was recorded, its ``file`` resolved from the working
        folder), with the sha256 they had; lines that failed, of another window, or cut
        short by a crash are left out.

    Raises
    ------
    InputError
        A line that is not a result line (nor one cut short): not a results file.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "out.jsonl")
    >>> with open(p, "w") as f:
    ...     _ = f.write('{"file": "a.json", "path": "/nets/a.json", "sha256": "ab", "window": 10, '
    ...             '"activation_regions": 7}\n')
    ...     _ = f.write('{"file": "b.js')  # cut short by a crash
    >>> counted_files(p, 10), counted_files(p, None)
    ({('/nets/a.json', 'ab')}, set())
    >>> square = {"rectangle": [-10, 10, -10, 10]}
    >>> counted_files(p, square), counted_files(p, square, dim=2)   # a's net must be 2-D for the second
    (set(), {('/nets/a.json', 'ab')})
    """
    cube = _cube(window)
    done = set()
    with open(path, encoding="utf-8") as f:
        texts = f.read().splitlines()
    for number, text in enumerate(texts, 1):
        try:
            line = json.loads(text)
        except json.JSONDecodeError:
            if text.startswith('{"file": '):  # a result line cut short by a crash
                continue
            line = None
        if not (isinstance(line, dict) and isinstance(line.get("file"), str)):
            raise InputError(f"--jsonl {os.fspath(path)!r}: line {number} is not a count-many result line; "
                             "--resume appends to a results file only (give a new file name)")
        recorded = line.get("window")
        if ("activation_regions" in line and isinstance(line.get("sha256"), str)
                and (_same_window(recorded, window) or _same_cube(recorded, cube, dim))):
            real = line.get("path")
            done.add((real if isinstance(real, str) else os.path.realpath(line["file"]), line["sha256"]))
    return done


def _done(jsonl: str, window: Any, sources: dict[str, tuple[str, str | None]]) -> set[tuple[str, str]]:
    """Return the ``(path, sha256)`` of the files ``jsonl`` holds counts of in ``window``.

    In a square or box window of ``d`` axes, a file counted with its half-width ``B`` is done
    when its net has input width ``d`` (read to find out; one that cannot be read is not).
    """
    done = counted_files(jsonl, window)
    cube = _cube(window)
    if cube is None or cube[0] is None:
        return done
    if_width = counted_files(jsonl, window, dim=cube[0]) - done
    for f, source in sources.items():
        if source in if_width and _input_width(f) == cube[0]:
            done.add(source)  # type: ignore[arg-type]
    return done


def _input_width(file: str) -> int | None:
    """Return the input width of a spec file's net, or None if it cannot be read."""
    from .loading import load_spec

    try:
        return load_spec(file).input_dim
    except Exception:  # noqa: BLE001 - not read: counted again, and its count says why
        return None


def _cube(window: Any) -> tuple[int | None, Fraction] | None:
    """Return ``(d, B)`` for a window as written that is the cube ``[-B, B]^d`` (``d`` None: a half-width B).

    A rectangle is ``d = 2``, a box ``d`` axes (an interval ``d = 1``); anything else (another
    rectangle, a polygon, the whole plane, a value not read exactly) is None.
    """
    if not isinstance(window, dict):
        b = _exact_value(window)
        return (None, b) if b is not None and b > 0 else None
    bounds = window.get("rectangle", window.get("box")) if len(window) == 1 else None
    if not isinstance(bounds, list) or len(bounds) < 2 or len(bounds) % 2:
        return None
    q = [_exact_value(v) for v in bounds]
    b = q[1]
    if b is None or not b > 0 or any(q[i] != -b or q[i + 1] != b for i in range(0, len(q), 2)):
        return None
    return len(q) // 2, b


def _same_cube(recorded: Any, cube: tuple[int | None, Fraction] | None, dim: int | None) -> bool:
    """Tell whether a line's window is the cube ``cube`` (see :func:`_cube`) written the other way.

    For a half-width ``B`` now: a line counted in ``[-B, B]^d`` given by its axes (only a net of
    width ``d`` is counted in it).  For ``[-B, B]^d`` given by its axes now: a line counted with
    ``B``, when ``dim`` is ``d`` (the caller checks the net's width).
    """
    rec = None if cube is None else _cube(recorded)
    if rec is None or rec[1] != cube[1]:  # type: ignore[index]
        return False
    return rec[0] is not None if cube[0] is None else rec[0] is None and dim == cube[0]  # type: ignore[index]


def _exact_value(v: Any) -> Fraction | None:
    """Return a window bound as written (a number, ``"p/q"``, ``"1e+300"``) exactly, or None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return Fraction(v) if math.isfinite(v) else None
    if isinstance(v, str):
        try:
            return exact_number(v)
        except (ValueError, ZeroDivisionError):
            return None
    return None


def _drop_cut_line(path: str) -> None:
    """Cut a last line without its newline (a crash mid-write; it holds no whole result) off ``path``."""
    try:
        with open(path, "rb+") as f:
            end = f.seek(0, os.SEEK_END)
            pos = end
            while pos > 0:
                step = min(pos, 1 << 16)
                f.seek(pos - step)
                block = f.read(step)
                if pos == end and block.endswith(b"\n"):
                    return
                nl = block.rfind(b"\n")
                if nl >= 0:
                    f.truncate(pos - step + nl + 1)
                    return
                pos -= step
            f.truncate(0)
    except FileNotFoundError:
        return


def _same_window(recorded: Any, window: Any) -> bool:
    """Tell whether a line's ``window`` is ``window`` (as :func:`~exact.window_texts.window_json` writes it).

    Compared by exact value, number by number: earlier versions wrote integers of up to 300
    digits in full, bigger values as ``"p/q"``, and a rectangle's bounds as floats or ``"p/q"``.
    """
    if isinstance(recorded, dict) and isinstance(window, dict):
        return recorded.keys() == window.keys() and all(_same_window(recorded[k], window[k]) for k in window)
    if isinstance(recorded, list) and isinstance(window, list):
        return len(recorded) == len(window) and all(map(_same_window, recorded, window))
    if recorded is None or window is None:
        return recorded is window
    value = _exact_value(recorded)
    return value is not None and value == _exact_value(window)
