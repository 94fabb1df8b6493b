"""The ``exactnet`` command line.

Subcommands
-----------
regions SPEC
    Exact activation and linear regions of a network spec file (JSON, .npz, .pt, .safetensors).
count WIDTHS
    Window or whole-plane counts of a seeded benchmark net given by its widths
    (``exactnet count 2-20-1``), without polygons.
sheet [--out DIR]
    Write the exercise sheet's complete verified solution (sheet07.md + figures).
prove [NAME]
    The sympy-verified derivations, as Markdown (or LaTeX with --latex).
check SPEC
    Exact regions versus grid sampling (the sheet's method): missed regions, areas.
count-many FILE...
    Counts of many spec files, in parallel, one JSON line each (:mod:`exact.cli_many`).
segment SPEC --from X,Y,... --to X,Y,...
    Exact activation and linear pieces along a segment, any input width
    (:mod:`exact.cli_segment`).

Exit status
-----------
0
    Success.
1
    A refusal or failure while working: a job over a size limit (``--max-regions``, too
    many parameters or pixels), missed regions with ``check --fail-on-missed``, out of
    memory, a file that cannot be written, or an internal error (a bug: please report it;
    ``EXACTNET_TRACEBACK=1`` shows the traceback).
2
    A usage or input error: a bad option or value, a missing or malformed spec file, a
    network the engine cannot read.  Without a command, the help is printed and the
    status is 2.
130
    Interrupted (Ctrl-C).
141
    Standard output was closed by its reader (``| head``): the command stops quietly, as a
    Unix tool ended by SIGPIPE (status 128 + 13), every command alike; no summary claims a
    file written to standard output that was cut short.
143
    Terminated (SIGTERM, as ``timeout`` and Slurm send): handled as Ctrl-C, pools shut down.

A closed standard output (``>&-``) is refused before any work, with status 1 and one line
on standard error, unless nothing goes there (``count-many --jsonl FILE``).  An option's value
cannot be empty (``--geojson ''``) nor ``--`` (status 2); options go after the command name
(``exactnet count -q 2-5-1``, not ``exactnet -q count 2-5-1``).

Progress bars and messages go to standard error; results to standard output.
Every command takes ``-q``/``--quiet``: no progress bars or progress messages (errors are
still shown).  An output file given as ``-`` is standard output (``regions --geojson -``,
``--segments -``, ``--html -``, ``count-many --jsonl -``); the summary then goes to standard
error, so that standard output holds the file's text alone.  ``--plot -`` and
``sheet --out -`` are refused (a picture's format comes from its file name; a sheet is a
folder of files).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from concurrent.futures import BrokenExecutor
from pathlib import Path

from ._version import __version__
from .cli_arguments import check_argument_words, check_option_values, command_parser, unrecognized_message
from .cli_drawing import check_drawings, refuse_drawing_nd, save_plot
from .cli_many import add_count_many_command
from .cli_output import (
    STDOUT,
    TO_STDOUT_HELP,
    check_writable,
    end_stdout,
    full_stdout_writes,
    jsonl_dash,
    level_set_line,
    output_target,
    print_counts,
    print_failure,
    stdout_option,
)
from .cli_segment import add_segment_command
from .cli_signals import EXIT_TERMINATED, Terminated, terminate_as_interrupt
from .cli_tiles import add_tile_options, with_tiles
from .cli_values import (
    AxisBox,
    cli_words,
    int_arg,
    level_arg,
    memory_arg,
    plane_arg,
    widths_arg,
    window_arg,
)
from .errors import ExactnetError, InputError, ResourceLimitError, VerificationError
from .network import parameter_count
from .validation import DEFAULT_MAX_MEMORY, DEFAULT_MAX_REGIONS, DEFAULT_WINDOW, check_window
from .window_texts import window_text
from .windows import ConvexWindow
from .wording import counted

__all__ = ["EXIT_INPUT", "EXIT_PIPE", "EXIT_REFUSED", "build_parser", "main"]

EXIT_REFUSED = 1
"""Exit status of a refusal or failure while working."""

EXIT_INPUT = 2
"""Exit status of a usage or input error."""

EXIT_PIPE = 128 + 13
"""Exit status when the reader of standard output stopped (``| head``): a shell's status of SIGPIPE."""

MAX_COUNT_PARAMETERS = 20_000_000
"""Largest benchmark net ``exactnet count`` builds (80 MB of float32 weights)."""

CHECK_RES = 4000
"""Largest ``exactnet check --res``: a grid of 4000 x 4000 pixels (about 0.64 GB while sampling)."""

QUIET_HELP = "no progress bars or progress messages on standard error (errors are still shown)"
"""The one meaning of ``-q``/``--quiet``, in every command."""


def _common(sp: argparse.ArgumentParser, *, window: bool = True, json_out: bool = True,
            memory: bool = False, max_regions: bool = False) -> None:
    if max_regions:
        cap = int_arg("--max-regions", 1, 10**12)
        sp.add_argument("--max-regions", type=cap, default=DEFAULT_MAX_REGIONS,
                        help=f"refuse a net whose job would build more cells than this (default "
                        f"{DEFAULT_MAX_REGIONS}; a count of one hidden layer is a formula that builds none)")
    if window:
        sp.add_argument("--window", type=window_arg, default=DEFAULT_WINDOW,
                        help=f"half-width B of the window [-B, B]^2 (default {DEFAULT_WINDOW}; the cube "
                             "[-B, B]^d of a d-D input), 'plane', a rectangle xmin,xmax,ymin,ymax, a convex "
                             "polygon '[[x,y],[x,y],...]', an interval lo,hi of a 1-D input, or a box "
                             "lo1,hi1,...,lo_d,hi_d of a d-D input")
    if memory:
        sp.add_argument("--max-memory", type=memory_arg, default=DEFAULT_MAX_MEMORY, metavar="SIZE",
                        help="refuse jobs estimated above this memory: bytes, e.g. 2GB, 'auto' (half the "
                             "available memory, the default) or 'none'")
    if json_out:
        sp.add_argument("--json", action="store_true", help="print one JSON object")
    sp.add_argument("-q", "--quiet", action="store_true", help=QUIET_HELP)


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
        prog="exactnet", description="Exact geometry and verified calculus of small neural networks.",
        epilog="Exit status: 0 success, 1 refused or failed (size limits, --fail-on-missed), "
               "2 usage or input error, 141 the reader of standard output stopped (| head).")
    p.add_argument("--version", action="version", version=f"exactnet {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    _add_regions_command(sub)

    c = sub.add_parser("count", help="exact counts of a seeded benchmark net, e.g. 2-20-1")
    c.add_argument("widths", type=widths_arg, help="widths such as 2-20-1 or 2-5-5-5-5-1")
    _common(c, memory=True, max_regions=True)
    c.add_argument("--seed", type=int_arg("--seed", 0, 2**63 - 1), default=0,
                   help="torch.manual_seed (default 0)")
    add_tile_options(c)
    c.set_defaults(func=with_tiles(_cmd_count))

    pr = sub.add_parser("prove", help="print the sympy-verified derivations (exercise 2, bonus, 3(a))")
    pr.add_argument("name", nargs="?", help="one theorem (default: all); see --list")
    pr.add_argument("--latex", action="store_true", help="LaTeX instead of Markdown")
    pr.add_argument("--list", action="store_true", help="list the theorem names")
    _common(pr, window=False, json_out=False)
    pr.set_defaults(func=_cmd_prove)

    sh = sub.add_parser("sheet", help="write the exercise sheet's full verified solution (Markdown + PNG)")
    sh.add_argument("--out", default="sheet07", help="output directory (default sheet07; not '-': a sheet is "
                    "a folder of files)")
    sh.add_argument("--seed", type=int_arg("--seed", 0, 2**63 - 1), default=0,
                    help="torch.manual_seed of both nets (default 0)")
    sh.add_argument("--res", type=int_arg("--res", 10, 4000), default=1000,
                    help="pixels per side for sampling, 10 to 4000 (default 1000)")
    _common(sh, window=False, json_out=False)
    sh.set_defaults(func=_cmd_sheet)

    k = sub.add_parser("check", help="exact vs grid-sampled regions of a spec file (the sheet's method)",
                       epilog=_CHECK_TERMS)
    k.add_argument("spec", help="network spec: .json, .npz, .pt or .safetensors")
    _common(k)
    k.add_argument("--res", type=int_arg("--res", 1, CHECK_RES, f" ({CHECK_RES ** 2:,} pixels, about "
                                         f"{CHECK_RES ** 2 * 40 / 1e9:.2g} GB while sampling)"), default=1000,
                   help=f"pixels per side, 1 to {CHECK_RES} (default 1000, as on the sheet)")
    k.add_argument("--show-missed", type=int_arg("--show-missed", 0, 10**9), default=10, metavar="N",
                   help="list the N largest missed regions (default 10)")
    k.add_argument("--fail-on-missed", action="store_true",
                   help="exit with status 1 when sampling missed a region")
    k.set_defaults(func=_cmd_check)
    add_count_many_command(sub, common=_common)
    many = sub.choices["count-many"]
    many.set_defaults(func=jsonl_dash(many.get_default("func")))
    add_segment_command(sub, common=_common)
    return p


def _add_regions_command(sub) -> None:
    """Add ``regions`` to the ``exactnet`` subcommands."""
    r = sub.add_parser("regions", help="exact activation/linear regions of a network spec file")
    r.add_argument("spec", help="network spec: .json, .npz, .pt (state_dict, weights only) or .safetensors")
    _common(r, memory=True, max_regions=True)
    r.add_argument("--plane", type=plane_arg, default=None,
                   help="JSON list of three points: study the 2-D slice through them")
    r.add_argument("--plot", metavar="PNG", help="draw the regions to this image file (its suffix gives the "
                   "format, so not '-')")
    r.add_argument("--geojson", metavar="FILE", help="write the cells as GeoJSON" + TO_STDOUT_HELP)
    r.add_argument("--html", metavar="FILE", help="write an interactive view (one self-contained HTML file, "
                   "plotly.js inside; hover: pattern and exact map) of a 2-D or 3-D input; needs "
                   "pip install 'exactnet[html]'" + TO_STDOUT_HELP)
    _level_set_options(r)
    r.add_argument("--count-only", action="store_true",
                   help="counts only (fast path, no polygons); --plot/--geojson/--html not allowed")
    r.add_argument("--stats", action="store_true", help="also the analysis: region sizes (exact areas, "
                   "3-D volumes, radii from 4-D), dead and always-active neurons, on/off counts per neuron")
    add_tile_options(r)
    r.set_defaults(func=with_tiles(_cmd_regions))


def _level_set_options(r: argparse.ArgumentParser) -> None:
    """Add the ``regions`` options for level sets, decision boundaries and plot colours."""
    r.add_argument("--level-set", type=level_arg, action="append", metavar="C",
                   help="exact level set {f = C} of output --output (repeatable; C exact: 0.1 is 1/10; "
                        "--level-set=-1/2 for a negative fraction): counts printed, exact segments in "
                        "--json and --segments, drawn by --plot")
    r.add_argument("--decision-boundary", action="store_true",
                   help="exact decision boundary (where the arg max of the outputs changes; f = 0 for one "
                        "output), reported and drawn like --level-set")
    r.add_argument("--output", type=int_arg("--output", 0, 10**9), default=None,
                   help="output used by --level-set and --color output (default 0)")
    r.add_argument("--segments", metavar="FILE",
                   help="write the exact level sets / decision boundary as JSON (endpoints as 'p/q')"
                        + TO_STDOUT_HELP)
    r.add_argument("--color", choices=("index", "pattern", "output"), default=None,
                   help="--plot/--html fill: by linear region (default), by a stable hash of the activation "
                        "pattern, or by the output at each cell's centroid")


def _window_for(window, d: int, whose: str = "this network's"):
    """Return ``--window`` for input width ``d`` (the square [-B, B]^2 as B); refuse one for another width."""
    box = "an interval lo,hi" if d == 1 else f"a box lo1,hi1,...,lo{d},hi{d}"
    if d != 2 and isinstance(window, ConvexWindow):
        cube = "the interval [-B, B]" if d == 1 else f"the cube [-B, B]^{d}"
        raise InputError(f"--window {window_text(window)}: a rectangle or polygon is for 2-D inputs; "
                         f"{whose} input is {d}-D (give a half-width B for {cube}, {box} or 'plane')")
    if isinstance(window, AxisBox) and window.dim != d:
        give = {1: "an interval lo,hi", 2: "a rectangle xmin,xmax,ymin,ymax"}.get(
            d, f"{2 * d} numbers lo1,hi1,...,lo{d},hi{d}")
        given = "an interval" if window.dim == 1 else f"a box of {window.dim} axes"
        raise InputError(f"--window {window_text(window)}: {given}, and {whose} input is {d}-D: give {give}")
    return check_window(window) if isinstance(window, ConvexWindow) else window


def _cmd_regions(args) -> int:
    from ._api import count_regions, regions
    from .loading import as_exact_net
    from .state_dicts import recorded_readings

    if args.count_only and (args.plot or args.geojson or args.html or args.stats):
        raise InputError("--count-only builds no cells: drop --plot/--geojson/--html/--stats or --count-only")
    if args.count_only and (args.level_set or args.decision_boundary or args.segments):
        raise InputError("--count-only builds no cells: drop --level-set/--decision-boundary/--segments "
                         "or --count-only")
    if args.segments and not (args.level_set or args.decision_boundary):
        raise InputError("--segments writes level sets: add --level-set C or --decision-boundary")
    if args.output is not None and not (args.level_set or args.color == "output"):
        raise InputError(f"--output {args.output} picks the output for --level-set and --color output; add "
                         "one of them (it would change nothing here)")
    if args.color is not None and not (args.plot or args.html):
        raise InputError(f"--color {args.color} fills --plot and --html; add one of them (it would change "
                         "nothing here)")
    args.color = args.color or "index"
    outputs = {"--plot": args.plot, "--geojson": args.geojson, "--segments": args.segments,
               "--html": args.html}
    args.report = sys.stderr if stdout_option(outputs) else sys.stdout  # the summary: never into the file
    for option, path in outputs.items():
        check_writable(path, option, keep=[args.spec])
    if args.html:
        from .html_view import plotly_js

        plotly_js()  # refuse a missing plotly before any work
        if (args.level_set or args.decision_boundary) and not args.quiet:
            print("exactnet regions: note: --html draws the regions only; level sets and decision boundaries "
                  "are drawn by --plot and written by --segments", file=sys.stderr)
    with recorded_readings() as args.readings:  # a state_dict's reading: said in the summary and any refusal
        net = as_exact_net(args.spec)
    if args.output is not None and args.output >= net.widths[-1]:
        raise InputError(f"--output {args.output} is out of range: the network has "
                         f"{counted(net.widths[-1], 'output')}, numbered from 0")
    args.output = args.output or 0
    source = {"spec": args.spec, **(args.readings[-1] if args.readings else {})}
    if args.plane is not None:
        source["sliced_from_widths"] = list(net.widths)
    elif net.input_dim != 2:  # the d-dimensional engine: counts (cells are polytopes, not drawn here)
        refuse_drawing_nd(args, net.input_dim)
        source["input_width"] = net.input_dim
    args.window = _window_for(args.window, 2 if args.plane is not None else net.input_dim,
                              "the --plane slice's" if args.plane is not None else "this network's")
    if args.count_only or ("input_width" in source and not args.html and not args.stats):
        cnt = count_regions(net, window=args.window, plane=args.plane, max_regions=args.max_regions,
                            max_memory=args.max_memory, progress=not args.quiet, **args.tiling)
        data = {**source, "window": args.window, "activation_regions": cnt.activation,
                "linear_regions": cnt.linear}
        print_counts(data, args.json, file=args.report)
        return 0
    reg = regions(net, window=args.window, plane=args.plane, max_regions=args.max_regions,
                  max_memory=args.max_memory, progress=not args.quiet, **args.tiling)
    check_drawings(reg, args)  # a window matplotlib or a browser cannot draw: before any output
    if "input_width" in source:  # a 3-D net drawn by --html
        data = {**source, "window": args.window, "activation_regions": reg.n_activation,
                "linear_regions": reg.n_linear}
        return _finish(reg, args, data)
    data = {**source, **reg.summary(), "box": reg.box, "window": args.window}  # the window counted, exact
    curves = _level_sets(reg, args, data)
    if args.geojson:
        reg.write_geojson(output_target(args.geojson), progress=not args.quiet)  # a block of cells at a time
        data["geojson"] = args.geojson
        end_stdout(args.geojson)
    if args.plot:
        save_plot(reg, args.plot, args, curves)
        data["plot"] = args.plot
    return _finish(reg, args, data)


def _finish(reg, args, data: dict) -> int:
    """Write ``--html`` if asked, print the counts, then the ``--stats`` analysis if asked."""
    if args.html:
        from .html_view import save_regions_html

        save_regions_html(reg, output_target(args.html), color=args.color, output=args.output)
        data["html"] = args.html
        end_stdout(args.html, newline=False)  # the page ends with one
    from .analysis_text import analysis_json, format_analysis

    if args.stats and args.json:
        data["analysis"] = analysis_json(reg)
    print_counts(data, args.json, file=args.report)
    if args.stats and not args.json:
        print(format_analysis(reg, counts=False), file=args.report)
    return 0


def _level_sets(reg, args, data: dict) -> list:
    """Compute the requested level sets and decision boundary; report them in ``data``."""
    curves = [reg.level_set(c, args.output) for c in args.level_set or []]
    if args.decision_boundary:
        curves.append(reg.decision_boundary())
    for ls in curves:
        if args.json and ls.kind == "decision boundary":
            data["decision_boundary"] = ls.as_dict()
        elif args.json:
            data.setdefault("level_sets", []).append(ls.as_dict())
        else:
            data.update([level_set_line(ls)])
    if args.segments == STDOUT:
        json.dump([ls.as_dict() for ls in curves], sys.stdout)
        end_stdout(args.segments)
    elif args.segments:
        with open(args.segments, "w", encoding="utf-8") as f:
            json.dump([ls.as_dict() for ls in curves], f)
    if args.segments:
        data["segments"] = args.segments
    return curves


def _cmd_count(args) -> int:
    n = parameter_count(args.widths)
    if n > MAX_COUNT_PARAMETERS:
        name = "-".join(map(str, args.widths))
        raise ResourceLimitError(f"{name} has {n:.3g} parameters ({4 * n / 1e9:.3g} GB of float32 weights); "
                                 f"exactnet count builds nets of up to {MAX_COUNT_PARAMETERS:,} parameters")
    from numeric.models import seeded_mlp

    from ._api import count_regions

    d = args.widths[0]
    args.window = _window_for(args.window, d, "this net's")
    net = seeded_mlp(args.widths, seed=args.seed)
    cnt = count_regions(net, window=args.window, max_memory=args.max_memory, progress=not args.quiet,
                        max_regions=args.max_regions, **args.tiling)
    data = {"widths": "-".join(map(str, args.widths)), "seed": args.seed,
            **({"input_width": d} if d != 2 else {}), "window": args.window,
            "activation_regions": cnt.activation, "linear_regions": cnt.linear}
    print_counts(data, args.json)
    return 0


def _cmd_prove(args) -> int:
    from .symbolic.theorems import THEOREMS

    if args.list:
        for name, f in THEOREMS.items():
            print(f"{name:>22}  {(f.__doc__ or '').strip().splitlines()[0]}")
        return 0
    if args.name is not None and args.name not in THEOREMS:
        raise InputError(f"unknown theorem {args.name!r}; choose from: {', '.join(THEOREMS)}")
    derivations = [THEOREMS[name]() for name in ([args.name] if args.name else THEOREMS)]
    if args.latex:
        from .symbolic.render import latex_document

        print(latex_document(derivations), end="")
        return 0
    for d in derivations:
        print(d.to_markdown())
        print()
    return 0


def _cmd_sheet(args) -> int:
    from .sheet import write_sheet

    out = Path(args.out)
    if args.out == STDOUT:
        raise InputError("--out '-': the sheet is a folder of files (sheet07.md and its figures), "
                         "which cannot go to standard output; give a folder name (it is created if missing)")
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {args.out!r} is a file; give a folder (it is created if missing)")
    if not out.parent.is_dir():
        raise InputError(f"--out {args.out!r}: the folder {str(out.parent)!r} does not exist")
    log = None if args.quiet else (lambda s: print(f"[sheet] {s}", file=sys.stderr, flush=True))
    print(write_sheet(args.out, seed=args.seed, res=args.res, log=log))
    return 0


_CHECK_TERMS = (
    "Report: 'missed' regions are exact regions no pixel centre fell in; 'sampled patterns' are the "
    "distinct patterns at pixel centres (not a bound on the regions: spurious ones count too); "
    "'spurious' patterns are no region's pattern, either exactly on a boundary (a pixel centre on "
    "a neuron's line or vertex: the pattern of that line, exact, no float error) or from float "
    "error (seen only where the sampled pattern differs from the exact one); 'pixel "
    "disagreements' are pixels whose sampled pattern differs from the exact one at the centre; "
    "'unexplained' ones are not within the sampler's float error of a boundary (should be 0); "
    "'decided exactly' pixels needed rational arithmetic (the float filter could not decide).")
"""The terms of ``exactnet check``'s report, shown by ``exactnet check --help``."""

_CHECK_LABELS = {"sampled_regions": "sampled_patterns", "boundary_patterns": "spurious_on_a_boundary",
                 "float_error_patterns": "spurious_from_float_error"}
"""Text labels of ``check``'s report where its JSON keys say less (``sampled_regions``: patterns)."""


def _cmd_check(args) -> int:
    from .crosscheck import cross_check
    from .state_dicts import recorded_readings

    if args.window is None:
        raise InputError("check samples a grid, which cannot cover the whole plane: give --window B")
    args.window = _window_for(args.window, 2, "check's")  # an interval or box: said in the CLI's words
    with recorded_readings() as args.readings:  # a state_dict's reading: said in the summary and any refusal
        rep = cross_check(args.spec, window=args.window, res=args.res)
    data = {"spec": args.spec, **(args.readings[-1] if args.readings else {}), **rep.as_dict(),
            "window": args.window}
    shown = rep.missed[: args.show_missed]
    patterns = _pattern_texts([p for p, _ in shown])  # one digit per neuron, as GeoJSON writes them
    if args.json:
        data["missed"] = [{"pattern": t, "area": a} for t, (_, a) in zip(patterns, shown)]
        print_counts(data, True)
    else:
        print_counts({_CHECK_LABELS.get(k, k): v for k, v in data.items()}, False)
        if shown:
            print(f"largest missed regions (of {len(rep.missed)}):")
            for t, (_, a) in zip(patterns, shown):
                print(f"  area {a:.3e}  pattern {t}")
    return EXIT_REFUSED if args.fail_on_missed and rep.missed else 0


def _pattern_texts(patterns: list) -> list[str]:
    """Write activation patterns as GeoJSON does (:func:`exact.geojson_export.pattern_strings`)."""
    if not patterns:
        return []
    import numpy as np

    from .geojson_export import pattern_strings

    return pattern_strings(np.asarray(patterns, dtype=np.int64).reshape(len(patterns), -1))


def _writes_stdout(args: argparse.Namespace) -> bool:
    """Tell whether the command writes to standard output (all do but ``count-many --jsonl FILE``)."""
    return not (args.command == "count-many" and args.jsonl not in (None, STDOUT))


_NUMBER_OPTIONS = ("--from", "--to", "--window", "--level-set")
_NEGATIVE = re.compile(r"-\.?\d[\d.,/eE+-]*")


def _join_negative_values(argv: list[str]) -> list[str]:
    """Join ``--from -1,2`` into ``--from=-1,2``: argparse takes ``-1,2`` (or ``-1/2``) for an option."""
    out: list[str] = []
    for tok in argv:
        if out and out[-1] in _NUMBER_OPTIONS and _NEGATIVE.fullmatch(tok):
            out[-1] = f"{out[-1]}={tok}"
        else:
            out.append(tok)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 for a refusal or failure, 2 for a usage or input error, 141
        (:data:`EXIT_PIPE`) when the reader of standard output stopped (see the module's
        Exit status).  argparse's own usage errors exit with 2 via ``SystemExit``.

    Examples
    --------
    >>> main(["count", "2-3-1", "--json"])
    {"widths": "2-3-1", "seed": 0, "window": 10, "activation_regions": 7, "linear_regions": 7}
    0
    """
    parser = build_parser()
    argv = _join_negative_values(sys.argv[1:] if argv is None else list(argv))
    check_argument_words(parser, argv)
    asked = {"-h", "--help", "--version"} & set(argv[: (argv + ["--"]).index("--")])
    if sys.stdout is None and asked:
        what = "the help" if asked - {"--version"} else "the version"
        print(f"exactnet: standard output is closed, and {what} goes there", file=sys.stderr)
        return EXIT_REFUSED  # argparse would write it to standard error and exit with 0
    args, extra = parser.parse_known_args(argv)
    command = command_parser(parser, args)
    if extra:  # the usage and the suggestions of the command given, not of the top level
        command.error(unrecognized_message(command, args, argv, extra))
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_INPUT
    check_option_values(command, args)
    if sys.stdout is None and _writes_stdout(args):  # started with >&-: refuse before any work
        more = "; give --jsonl FILE" if args.command == "count-many" else ""
        return _fail(args, f"standard output is closed, and the results go there{more}", EXIT_REFUSED)
    # a write cut short by a reader that stopped raises (see cli_output); SIGTERM as Ctrl-C (cli_signals)
    with full_stdout_writes(), terminate_as_interrupt():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    """Run the command; turn its errors into one line on standard error and an exit status."""
    try:
        return args.func(args)
    except ResourceLimitError as exc:
        return _fail(args, f"refused: {exc}", EXIT_REFUSED)
    except VerificationError as exc:  # a failed proof (prove, sheet): a failure while working, not bad input
        return _fail(args, f"failed: {exc}", EXIT_REFUSED)
    except ExactnetError as exc:
        return _fail(args, f"error: {exc}", EXIT_INPUT)
    except MemoryError:
        return _fail(args, "ran out of memory; try a smaller window, net or --max-regions", EXIT_REFUSED)
    except BrokenExecutor:  # a --jobs worker ended on its own (out of memory, kill -9): not a bug
        return _fail(args, "a worker process ended abruptly (killed: out of memory?); the run stopped. Try "
                     "fewer --jobs, more --tiles, or a smaller net or window", EXIT_REFUSED)
    except Terminated:  # SIGTERM (timeout, Slurm): pools shut down as for Ctrl-C
        return _fail(args, "terminated", EXIT_TERMINATED)
    except KeyboardInterrupt:
        return _fail(args, "interrupted", 130)
    except BrokenPipeError:  # the reader stopped early (| head): nothing to say; no second error at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PIPE
    except OSError as exc:
        return _fail(args, f"error: {exc.strerror or exc} ({exc.filename or 'no file'})", EXIT_REFUSED)
    except Exception as exc:  # a bug: say so plainly, without a traceback unless asked
        if os.environ.get("EXACTNET_TRACEBACK"):
            raise
        return _fail(args, f"internal error ({type(exc).__name__}: {exc}). This is a bug: please report "
                     "it with the command line; EXACTNET_TRACEBACK=1 shows the traceback", EXIT_REFUSED)


def _fail(args, message: str, status: int) -> int:
    print_failure(args.command, cli_words(message), (getattr(args, "readings", None) or [None])[-1])
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
