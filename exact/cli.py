"""The ``exactnet`` command line.

Subcommands
-----------
regions SPEC
    Exact activation and linear regions of a network spec file (JSON, .npz, .pt).
count WIDTHS
    Whole-plane or window counts of a seed-0 benchmark net given by its widths
    (``exactnet count 2-20-1``), without polygons.
sheet [--out DIR]
    Write the exercise sheet's complete verified solution (sheet07.md + figures).
prove [NAME]
    The sympy-verified derivations, as Markdown (or LaTeX with --latex).
check SPEC
    Exact regions versus grid sampling (the sheet's method): missed regions, areas.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .errors import ExactnetError, InputError
from .validation import DEFAULT_MAX_REGIONS, DEFAULT_WINDOW, check_window

__all__ = ["main", "build_parser"]


def _window_arg(text: str) -> float | None:
    """Parse ``--window``: a half-width B > 0 or ``plane``, checked as the API checks it."""
    if text.strip().lower() in ("plane", "none", "inf"):
        return None
    try:
        value = float(text)
        check_window(value)
    except (ValueError, InputError):
        raise argparse.ArgumentTypeError(
            f"--window takes a number B > 0 (window [-B, B]^2) or 'plane', got {text!r}"
        ) from None
    return value


def _plane_arg(text: str):
    try:
        pts = json.loads(text)
    except json.JSONDecodeError:
        raise argparse.ArgumentTypeError(
            f"--plane takes a JSON list of three points, e.g. '[[0,0,0],[1,0,0],[0,1,0]]', got {text!r}"
        ) from None
    if not (isinstance(pts, list) and len(pts) == 3):
        raise argparse.ArgumentTypeError(f"--plane needs exactly three points, got {text!r}")
    return pts


def _widths_arg(text: str) -> list[int]:
    try:
        ws = [int(p) for p in text.replace(",", "-").split("-")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"widths look like 2-20-1, got {text!r}") from None
    if len(ws) < 2 or any(w < 1 for w in ws):
        raise argparse.ArgumentTypeError(f"widths look like 2-20-1, got {text!r}")
    return ws


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``exactnet`` command.

    Returns
    -------
    argparse.ArgumentParser
        One subparser per command, each with its own ``--help``.

    Examples
    --------
    >>> build_parser().parse_args(["count", "2-20-1"]).window
    10
    """
    p = argparse.ArgumentParser(
        prog="exactnet",
        description="Exact geometry and verified calculus of small neural networks.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    r = sub.add_parser("regions", help="exact activation/linear regions of a network spec file")
    r.add_argument("spec", help="network spec: .json, .npz or .pt (state_dict, weights only)")
    r.add_argument("--window", type=_window_arg, default=DEFAULT_WINDOW,
                   help=f"half-width B of the window [-B, B]^2, or 'plane' (default {DEFAULT_WINDOW})")
    r.add_argument("--plane", type=_plane_arg, default=None,
                   help="JSON list of three points: study the 2-D slice through them")
    r.add_argument("--json", action="store_true", help="print one JSON object")
    r.add_argument("--plot", metavar="PNG", help="draw the regions to this image file")
    r.add_argument("--geojson", metavar="FILE", help="write the cells as GeoJSON")
    r.add_argument("--count-only", action="store_true",
                   help="counts only (fast path, no polygons); --plot/--geojson not allowed")
    r.add_argument("--max-regions", type=int, default=DEFAULT_MAX_REGIONS,
                   help=f"stop with an error beyond this many cells (default {DEFAULT_MAX_REGIONS})")
    r.set_defaults(func=_cmd_regions)

    c = sub.add_parser("count", help="exact counts of a seed-0 benchmark net, e.g. 2-20-1")
    c.add_argument("widths", type=_widths_arg, help="widths such as 2-20-1 or 2-5-5-5-5-1")
    c.add_argument("--window", type=_window_arg, default=DEFAULT_WINDOW,
                   help=f"half-width B of the window [-B, B]^2, or 'plane' (default {DEFAULT_WINDOW})")
    c.add_argument("--seed", type=int, default=0, help="torch.manual_seed (default 0)")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.set_defaults(func=_cmd_count)

    pr = sub.add_parser("prove", help="print the sympy-verified derivations (exercise 2, bonus, 3(a))")
    pr.add_argument("name", nargs="?", help="one theorem (default: all); see --list")
    pr.add_argument("--latex", action="store_true", help="LaTeX instead of Markdown")
    pr.add_argument("--list", action="store_true", help="list the theorem names")
    pr.set_defaults(func=_cmd_prove)

    sh = sub.add_parser("sheet", help="write the exercise sheet's full verified solution (Markdown + PNG)")
    sh.add_argument("--out", default="sheet07", help="output directory (default sheet07)")
    sh.add_argument("--seed", type=int, default=0, help="torch.manual_seed of both nets (default 0)")
    sh.add_argument("--res", type=int, default=1000, help="pixels per side for sampling (default 1000)")
    sh.set_defaults(func=_cmd_sheet)

    k = sub.add_parser("check", help="exact vs grid-sampled regions of a spec file (the sheet's method)")
    k.add_argument("spec", help="network spec: .json, .npz or .pt")
    k.add_argument("--window", type=_window_arg, default=DEFAULT_WINDOW,
                   help=f"half-width B of the window [-B, B]^2 (default {DEFAULT_WINDOW})")
    k.add_argument("--res", type=int, default=1000, help="pixels per side (default 1000, as on the sheet)")
    k.add_argument("--json", action="store_true", help="print one JSON object")
    k.add_argument("--show-missed", type=int, default=10, metavar="N",
                   help="list the N largest missed regions (default 10)")
    k.set_defaults(func=_cmd_check)
    return p


def _print_counts(data: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(data))
        return
    for k, v in data.items():
        print(f"{k:>20}: {v}")


def _cmd_regions(args) -> int:
    from ._api import count_regions, regions

    if args.count_only:
        if args.plot or args.geojson:
            raise ExactnetError("--count-only draws nothing: drop --plot/--geojson or --count-only")
        cnt = count_regions(args.spec, window=args.window, plane=args.plane,
                            max_regions=args.max_regions, progress=True)
        data = {"spec": args.spec, "window": args.window,
                "activation_regions": cnt.activation, "linear_regions": cnt.linear}
        _print_counts(data, args.json)
        return 0
    reg = regions(args.spec, window=args.window, plane=args.plane,
                  max_regions=args.max_regions, progress=True)
    data = {"spec": args.spec, **reg.summary()}
    if args.geojson:
        with open(args.geojson, "w", encoding="utf-8") as f:
            json.dump(reg.to_geojson(), f)
        data["geojson"] = args.geojson
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 7))
        reg.plot(ax=ax)
        fig.savefig(args.plot, dpi=150, bbox_inches="tight")
        plt.close(fig)
        data["plot"] = args.plot
    _print_counts(data, args.json)
    return 0


def _cmd_count(args) -> int:
    from numeric.models import seeded_mlp

    from ._api import count_regions

    net = seeded_mlp(args.widths, seed=args.seed)
    cnt = count_regions(net, window=args.window, progress=True)
    data = {"widths": "-".join(map(str, args.widths)), "seed": args.seed, "window": args.window,
            "activation_regions": cnt.activation, "linear_regions": cnt.linear}
    _print_counts(data, args.json)
    return 0


def _cmd_prove(args) -> int:
    from .symbolic.theorems import THEOREMS

    if args.list:
        for name, f in THEOREMS.items():
            print(f"{name:>22}  {(f.__doc__ or '').strip().splitlines()[0]}")
        return 0
    if args.name is not None and args.name not in THEOREMS:
        raise ExactnetError(f"unknown theorem {args.name!r}; choose from: {', '.join(THEOREMS)}")
    names = [args.name] if args.name else list(THEOREMS)
    for name in names:
        d = THEOREMS[name]()
        print(d.to_latex() if args.latex else d.to_markdown())
        print()
    return 0


def _cmd_sheet(args) -> int:
    from .sheet import write_sheet

    if args.res < 10:
        raise ExactnetError(f"--res must be at least 10, got {args.res}")
    path = write_sheet(args.out, seed=args.seed, res=args.res,
                       log=lambda s: print(f"[sheet] {s}", file=sys.stderr, flush=True))
    print(path)
    return 0


def _cmd_check(args) -> int:
    from .crosscheck import cross_check

    if args.res < 1:
        raise ExactnetError(f"--res must be a positive integer, got {args.res}")
    rep = cross_check(args.spec, window=args.window, res=args.res)
    data = {"spec": args.spec, **rep.as_dict()}
    if args.json:
        data["missed"] = [{"pattern": list(p), "area": a} for p, a in rep.missed[: args.show_missed]]
        print(json.dumps(data))
        return 0
    _print_counts(data, False)
    if rep.missed:
        print(f"largest missed regions (of {len(rep.missed)}):")
        for p, a in rep.missed[: args.show_missed]:
            print(f"  area {a:.3e}  pattern {''.join(map(str, p))}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 when an :class:`~exact.errors.ExactnetError` stops a command.

    Examples
    --------
    >>> main(["count", "2-3-1", "--json"])
    {"widths": "2-3-1", "seed": 0, "window": 10, "activation_regions": 7, "linear_regions": 7}
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except ExactnetError as exc:
        print(f"exactnet {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
