"""``--tiles``, ``--jobs`` and ``--scheduler`` of ``exactnet count`` and ``regions``: one big net in tiles.

``exactnet count 2-128-128-128-1 --tiles 4 --jobs 2`` counts a seeded net in ``4 x 4``
tiles on two worker processes; ``exactnet regions net.pt --tiles 4,2 --scheduler
tcp://HOST:8786`` builds the cells of a spec file in ``4 x 2`` tiles on a dask.distributed
cluster.  Both call :func:`exact.count_regions` / :func:`exact.regions` with ``tiles=`` and
``executor=`` (:mod:`exact.tiled_counts`): the answer is the one of the untiled run.

* ``--tiles N`` (an ``N x N`` grid) or ``--tiles NX,NY``; without ``--jobs`` or
  ``--scheduler`` the tiles run one after the other in this process.
* ``--jobs J``: a process pool of ``J`` workers on this machine
  (:func:`exact.worker_threads.process_pool`, as ``count-many --jobs``).
* ``--scheduler ADDRESS``: the workers of a dask.distributed cluster
  (:func:`exact.worker_threads.dask_client`, as ``count-many --scheduler``).

With ``--window plane`` the tiles cut a box certified to meet every cell of the plane
(:mod:`exact._certified.plane_frame`).  Usage errors, found before any work (exit status 2):
``--jobs`` or ``--scheduler`` without ``--tiles``, both together, ``--tiles`` with a polygon
window or with the seeded nets of an input width other than 2.

Examples
--------
>>> import argparse
>>> p = argparse.ArgumentParser()
>>> add_tile_options(p)
>>> p.parse_args(["--tiles", "4,2", "--jobs", "2"])
Namespace(tiles=(4, 2), jobs=2, scheduler=None)
"""

from __future__ import annotations

import argparse
import contextlib
import functools
from collections.abc import Callable, Iterator
from concurrent.futures import Executor

from .cli_values import int_arg
from .errors import InputError
from .pool_ending import terminate_workers
from .tile_grid import check_tiles
from .windows import ConvexWindow
from .worker_threads import dask_client, process_pool, start_fork_server_deaf_to_ctrl_c

__all__ = ["add_tile_options", "tiles_arg", "with_tiles"]


def tiles_arg(text: str) -> int | tuple[int, int]:
    """Parse ``--tiles``: ``N`` for an ``N x N`` grid, or ``NX,NY``.

    Parameters
    ----------
    text : str
        The option's value.

    Returns
    -------
    int or (int, int)
        As :func:`exact.count_regions` takes ``tiles=``.

    Raises
    ------
    argparse.ArgumentTypeError
        Not one or two positive integers, or more tiles than :data:`exact.tile_grid.MAX_TILES`;
        the message names the option and the value.

    Examples
    --------
    >>> tiles_arg("3"), tiles_arg("4, 2")
    (3, (4, 2))
    >>> tiles_arg("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: --tiles takes N (an N x N grid) or NX,NY, positive integers; got '0'
    """
    usage = f"--tiles takes N (an N x N grid) or NX,NY, positive integers; got {text!r}"
    try:
        parts = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(usage) from None
    if len(parts) > 2 or min(parts) < 1:
        raise argparse.ArgumentTypeError(usage)
    tiles = parts[0] if len(parts) == 1 else (parts[0], parts[1])
    try:
        check_tiles(tiles)
    except InputError as exc:  # too many tiles
        raise argparse.ArgumentTypeError(f"--tiles {text!r}: {exc}") from None
    return tiles


def add_tile_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--tiles``, ``--jobs`` and ``--scheduler`` to a command's parser.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The ``count`` or ``regions`` subparser.

    Returns
    -------
    None

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_tile_options(p)
    >>> p.parse_args([]).tiles is None
    True
    """
    parser.add_argument("--tiles", type=tiles_arg, metavar="N|NX,NY",
                        help="cut the window (a square or rectangle; with --window plane, a box certified to "
                             "meet every cell of the plane) into N x N (or NX x NY) tiles computed apart and "
                             "joined exactly: the same counts and cells as without (numbered in another "
                             "order; in the plane the certified box may be another, which clips the "
                             "unbounded cells and the level sets' rays elsewhere)")
    parser.add_argument("--jobs", type=int_arg("--jobs", 1, 4096), default=None,
                        help="with --tiles: worker processes on this machine (default: the tiles one after "
                             "the other, in this process)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="with --tiles: a dask.distributed scheduler whose workers compute the tiles, "
                             "e.g. tcp://10.0.0.5:8786 (pip install 'exactnet[dask]'); not with --jobs")


def with_tiles(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Wrap a command: check the tile options, start the executor, and give the command ``args.tiling``.

    Parameters
    ----------
    command : callable
        ``command(args) -> int``; it passes ``**args.tiling`` to :func:`exact.count_regions`
        or :func:`exact.regions` (``{}`` without ``--tiles``, else ``tiles`` and ``executor``).

    Returns
    -------
    callable
        ``run(args) -> int``: the command, run with the executor open (closed afterwards).

    Raises
    ------
    InputError
        (from ``run``) A usage error, before any work: see the module's docstring.

    Examples
    --------
    >>> run = with_tiles(lambda args: print(args.tiling) or 0)
    >>> run(argparse.Namespace(tiles=2, jobs=None, scheduler=None, window=10))
    {'tiles': 2, 'executor': None}
    0
    >>> run(argparse.Namespace(tiles=None, jobs=2, scheduler=None, window=10))
    Traceback (most recent call last):
    ...
    exact.errors.InputError: --jobs 2 runs the tiles of one net on worker processes: give --tiles N too ...
    """

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        _check_usage(args)
        with _executor(args) as executor:
            args.tiling = {} if args.tiles is None else {"tiles": args.tiles, "executor": executor}
            return command(args)

    return run


def _check_usage(args: argparse.Namespace) -> None:
    """Refuse tile options that cannot work, naming the option and its value."""
    if args.tiles is None:
        if args.jobs is not None:
            raise InputError(f"--jobs {args.jobs} runs the tiles of one net on worker processes: give "
                             "--tiles N too (e.g. --tiles 4); to count many nets in parallel use exactnet "
                             "count-many")
        if args.scheduler:
            raise InputError(f"--scheduler {args.scheduler!r} runs the tiles of one net on a cluster: give "
                             "--tiles N too (e.g. --tiles 4); to count many nets use exactnet count-many")
        return
    shown = args.tiles if isinstance(args.tiles, int) else ",".join(map(str, args.tiles))
    if args.scheduler and args.jobs is not None:
        raise InputError(f"--scheduler computes the tiles on the cluster's workers: drop --jobs {args.jobs}")
    if isinstance(args.window, ConvexWindow) and not args.window.is_rectangle:
        raise InputError(f"--tiles {shown} cuts a square or a rectangle, not the {args.window}: give "
                         "--window B or a rectangle xmin,xmax,ymin,ymax")
    widths = getattr(args, "widths", None)
    if widths is not None and widths[0] != 2:
        raise InputError(f"--tiles {shown} cuts a 2-D window, and these nets' input is {widths[0]}-D: drop "
                         "--tiles")


@contextlib.contextmanager
def _executor(args: argparse.Namespace) -> Iterator[Executor | None]:
    """Start the executor of ``--jobs`` or ``--scheduler`` (None: this process); shut it down at the end.

    No pool for ``--jobs`` with seeded nets of one hidden layer: they are counted whole (by formula).
    """
    shallow = getattr(args, "widths", None) is not None and len(args.widths) == 3
    if args.tiles is not None and args.scheduler:
        with dask_client(args.scheduler, name="--scheduler") as client:
            yield client.get_executor()
    elif args.tiles is not None and args.jobs is not None and args.jobs > 1 and not shallow:
        start_fork_server_deaf_to_ctrl_c()  # a Ctrl-C to the terminal's group: no traceback from them
        with process_pool(args.jobs) as pool:
            try:
                yield pool
            except KeyboardInterrupt:  # Ctrl-C or SIGTERM: end the running tiles too, not wait for them
                terminate_workers(pool)
                raise
    else:
        yield None
