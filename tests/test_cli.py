"""The exactnet command line, run in-process and as an installed console script."""

import json
import shutil
import subprocess

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exact.cli import main


def _write_spec(tmp_path):
    spec = {"layers": [{"weight": [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], "bias": [0.0, 0.0, -1.0]},
                       {"weight": [[1.0, 1.0, 1.0]], "bias": [0.0]}]}
    p = tmp_path / "net.json"
    p.write_text(json.dumps(spec))
    return p


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit, match="0") as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "regions" in out and "count" in out


def test_regions_json(tmp_path, capsys):
    p = _write_spec(tmp_path)
    assert main(["regions", str(p), "--window", "2", "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # progress bars appear only for enumerations longer than a second
    data = json.loads(captured.out)
    assert data["activation_regions"] == 7 and data["linear_regions"] == 7
    assert main(["regions", str(p), "--window", "plane", "--json", "--count-only"]) == 0
    assert json.loads(capsys.readouterr().out)["activation_regions"] == 7


def test_regions_plot_and_geojson(tmp_path, capsys):
    p = _write_spec(tmp_path)
    png, gj = tmp_path / "r.png", tmp_path / "r.geojson"
    assert main(["regions", str(p), "--plot", str(png), "--geojson", str(gj)]) == 0
    assert png.stat().st_size > 1000
    assert len(json.loads(gj.read_text())["features"]) == 7


def test_regions_errors_exit_2(tmp_path, capsys):
    assert main(["regions", str(tmp_path / "missing.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
    bad = tmp_path / "nan.npz"
    np.savez(bad, W0=np.array([[1.0, np.nan]]), b0=np.zeros(1), W1=np.ones((1, 1)), b1=np.zeros(1))
    assert main(["regions", str(bad)]) == 2
    assert "weight of layer 0 contains nan at neuron 0, input 1" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="2"):
        main(["regions", str(bad), "--window", "wide"])
    assert "--window takes a number" in capsys.readouterr().err


def test_count_benchmark_net(capsys):
    assert main(["count", "2-5-5-5-5-1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["activation_regions"], data["linear_regions"]) == (81, 77)


def test_console_script_installed():
    # the README's test command installs the package, so the script must be on PATH
    assert shutil.which("exactnet") is not None
    out = subprocess.run(["exactnet", "--help"], capture_output=True, text=True, check=True).stdout
    assert "exactnet" in out


# --- conventions: exit status, no traceback, messages that name the argument -----------

CLI_CASES = [
    # (arguments, exit status, fragment of standard error)
    (["count", "2-1"], 2, "widths look like 2-20-1"),
    (["count", "2-20"], 2, "widths look like 2-20-1"),
    (["count", "3-5-1", "--window", "0,1,0,1"], 2, "a rectangle or polygon is for 2-D inputs"),
    (["count", "--seed", "1e20", "2-3-1"], 2, "--seed takes an integer"),
    (["count", "--seed", "100000000000000000000", "2-3-1"], 2, "--seed takes an integer"),
    (["count", "2-99999999999-1"], 1, "parameters"),
    (["count", "2-3-1", "--window", "-1"], 2, "--window takes a number"),
    (["count", "2-3-1", "--window", "nan"], 2, "--window takes a number"),
    (["check", "{spec}", "--res", "30000"], 2, "--res takes an integer from 1 to 4000 (16,000,000 pixels"),
    (["check", "{spec}", "--window", "plane"], 2, "cannot cover the whole plane"),
    (["regions", "{spec}", "--plot", "{tmp}/no/such/folder/r.png"], 2, "does not exist"),
    (["regions", "{spec}", "--geojson", "{tmp}"], 2, "is a folder"),
    (["regions", "{spec}", "--plot", "{tmp}/r.xyz"], 2, "matplotlib cannot write .xyz"),
    (["regions", "{spec}", "--count-only", "--plot", "{tmp}/r.png"], 2, "--count-only builds no cells"),
    (["regions", "{spec}", "--max-regions", "0"], 2, "--max-regions takes an integer"),
    (["regions", "{spec}", "--max-regions", "3"], 1, "refused: 7 cells exceed --max-regions 3"),
    (["sheet", "--out", "{spec}"], 2, "is a file"),
    (["prove", "no_such_theorem"], 2, "unknown theorem"),
    ([], 2, "usage: exactnet"),
]


@pytest.mark.parametrize("argv, status, fragment", CLI_CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_cli_conventions_in_process(argv, status, fragment, tmp_path, capsys):
    spec = _write_spec(tmp_path)
    argv = [a.format(spec=spec, tmp=tmp_path) for a in argv]
    try:
        got = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        got = exc.code
    err = capsys.readouterr().err
    assert got == status and fragment in err and "Traceback" not in err


@pytest.mark.parametrize("argv, status, fragment", CLI_CASES[:3] + CLI_CASES[5:6] + CLI_CASES[10:11] + CLI_CASES[-1:])
def test_cli_conventions_as_a_program(argv, status, fragment, tmp_path):
    spec = _write_spec(tmp_path)
    argv = [a.format(spec=spec, tmp=tmp_path) for a in argv]
    out = subprocess.run(["exactnet", *argv], capture_output=True, text=True)
    assert out.returncode == status and fragment in out.stderr and "Traceback" not in out.stderr


def test_version_and_python_m(tmp_path):
    import sys

    from exact import __version__

    for cmd in (["exactnet", "--version"], [sys.executable, "-m", "exactnet", "--version"]):
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
        assert out.returncode == 0 and out.stdout.strip() == f"exactnet {__version__}"


def test_check_fail_on_missed(tmp_path, capsys):
    spec = _write_spec(tmp_path)  # 7 regions; a 2x2 grid cannot see them all
    assert main(["check", str(spec), "--window", "2", "--res", "2", "--fail-on-missed", "--quiet"]) == 1
    assert main(["check", str(spec), "--window", "2", "--res", "2", "--quiet"]) == 0
    assert main(["check", str(spec), "--window", "2", "--res", "400", "--fail-on-missed", "-q"]) == 0


def test_internal_errors_have_no_traceback(monkeypatch, capsys):
    import exact.cli as cli

    def boom(args):
        raise ZeroDivisionError("made up")

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    parser._subparsers._group_actions[0].choices["prove"].set_defaults(func=boom)
    assert main(["prove"]) == 1
    err = capsys.readouterr().err
    assert "internal error (ZeroDivisionError: made up)" in err and "Traceback" not in err
    monkeypatch.setenv("EXACTNET_TRACEBACK", "1")
    with pytest.raises(ZeroDivisionError):
        main(["prove"])


def test_whole_plane_prints_in_words(tmp_path, capsys):
    spec = _write_spec(tmp_path)
    assert main(["regions", str(spec), "--window", "plane", "--count-only"]) == 0
    assert "window: whole plane" in capsys.readouterr().out


def test_slices_report_the_input_net(tmp_path, capsys):
    spec = {"layers": [{"weight": [[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]], "bias": [0.0, 0.0]},
                       {"weight": [[1.0, 1.0]], "bias": [0.0]}]}
    p = tmp_path / "net3d.json"
    p.write_text(json.dumps(spec))
    assert main(["regions", str(p), "--plane", "[[0,0,0],[1,0,0],[0,1,0]]", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sliced_from_widths"] == [3, 2, 1] and data["widths"] == [2, 2, 1]


def test_windows_beyond_floats_are_exact(tmp_path, capsys):
    assert main(["count", "2-3-1", "--window", "1e400", "--json", "-q"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["window"] == "1e+400" and data["activation_regions"] == 7  # exact, as count-many writes it
    spec = _write_spec(tmp_path)
    assert main(["regions", str(spec), "--window", "1e400", "--json", "-q"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["window"] == "1e+400"
    assert data["largest_area"].endswith("e+800") and data["activation_regions"] == 7
    assert main(["check", str(spec), "--window", "1e400", "--res", "4"]) == 2
    assert "float grid" in capsys.readouterr().err
    assert main(["regions", str(spec), "--window", "1e400", "--plot", str(tmp_path / "r.png")]) == 2
    assert "beyond the float range" in capsys.readouterr().err


def test_max_memory_option(capsys):
    assert main(["count", "2-3-1", "--max-memory", "2GB", "--json", "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["activation_regions"] == 7
    assert main(["count", "2-3000-1-1", "--max-memory", "1MB", "-q"]) == 1
    err = capsys.readouterr().err
    assert "refused" in err and "Traceback" not in err
    with pytest.raises(SystemExit, match="2"):
        main(["count", "2-3-1", "--max-memory", "lots"])
    assert "--max-memory takes a positive number of bytes" in capsys.readouterr().err


def _write_diamond(tmp_path):
    """|x| + |y| - 1: its zero level set is the diamond with corners (±1, 0), (0, ±1)."""
    spec = {"layers": [{"weight": [[1, 0], [-1, 0], [0, 1], [0, -1]], "bias": [0, 0, 0, 0]},
                       {"weight": [[1, 1, 1, 1]], "bias": [-1]}]}
    p = tmp_path / "diamond.json"
    p.write_text(json.dumps(spec))
    return p


def test_regions_level_set_and_decision_boundary(tmp_path, capsys):
    p = _write_diamond(tmp_path)
    seg, png = tmp_path / "seg.json", tmp_path / "r.png"
    assert main(["regions", str(p), "--window", "2", "--level-set", "0", "--level-set=-1/2",
                 "--decision-boundary", "--json", "--segments", str(seg), "--plot", str(png),
                 "--color", "pattern", "-q"]) == 0
    data = json.loads(capsys.readouterr().out)
    zero, half = data["level_sets"]
    assert {frozenset(map(tuple, s)) for s in zero["segments"]} == {
        frozenset({("1", "0"), ("0", "1")}), frozenset({("0", "1"), ("-1", "0")}),
        frozenset({("-1", "0"), ("0", "-1")}), frozenset({("0", "-1"), ("1", "0")})}
    assert half["level"] == "-1/2" and ["1/2", "0"] in [q for s in half["segments"] for q in s]
    assert data["decision_boundary"]["segments"] == zero["segments"]  # one output: f = 0
    assert json.loads(seg.read_text()) == [zero, half, data["decision_boundary"]]
    assert png.stat().st_size > 1000
    assert main(["regions", str(p), "--window", "2", "--level-set", "-1", "-q"]) == 0
    assert "level set f0 = -1: 0 segments, 1 isolated point, 0 flat cells" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--count-only", "--level-set", "0"], "--count-only builds no cells"),
    (["--segments", "{tmp}/s.json"], "--segments writes level sets"),
    (["--level-set", "0", "--output", "1"], "--output 1 is out of range"),
])
def test_regions_level_set_errors_exit_2(tmp_path, capsys, argv, message):
    p = _write_diamond(tmp_path)
    assert main(["regions", str(p), *[a.format(tmp=tmp_path) for a in argv]]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    with pytest.raises(SystemExit, match="2"):
        main(["regions", str(p), "--level-set", "half"])
    assert "--level-set takes an exact number" in capsys.readouterr().err


def test_regions_and_check_in_a_rectangle_and_a_polygon(tmp_path, capsys):
    p = _write_spec(tmp_path)  # relu(x) + relu(y) + relu(x + y - 1)
    assert main(["regions", str(p), "--window", "0,2,-1,2", "--json", "-q"]) == 0
    data = json.loads(capsys.readouterr().out)
    # by hand: y = 0 cuts the rectangle, x + y = 1 crosses both parts, x = 0 is its side: 4 cells
    assert data["window"] == {"rectangle": [0.0, 2.0, -1.0, 2.0]} and data["activation_regions"] == 4
    assert main(["regions", str(p), "--window", "[[0,0],[2,0],[0,2]]", "--count-only", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["window"] == {"polygon": [[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]]} and data["activation_regions"] == 2
    assert main(["regions", str(p), "--window", "[[0,0],[2,0],[0,0.1]]", "--count-only"]) == 0
    assert "polygon (0, 0), (2, 0), (0, 1/10)" in capsys.readouterr().out  # decimals read exactly
    assert main(["regions", str(p), "--window=-2,2,-2,2", "--count-only", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["window"] == 2  # the square [-2, 2]^2 itself
    assert main(["check", str(p), "--window", "0,2,-1,2", "--res", "40", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["exact_regions"] == 4 and data["spurious_patterns"] == 0


@pytest.mark.parametrize("window, message", [
    ("1,0,0,1", "xmin < xmax"), ("[[0,0],[2,0],[1,0.5],[2,2],[0,2]]", "turns the wrong way at vertex 2"),
    ("[[0,0],[1,1]]", "at least three vertices"), ("1,2,3", "a rectangle of four numbers"),
])
def test_bad_window_shapes_exit_2(tmp_path, capsys, window, message):
    with pytest.raises(SystemExit, match="2"):
        main(["regions", str(_write_spec(tmp_path)), "--window", window])
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def _write_ramp(tmp_path, width=1):
    """relu(x_1) - relu(x_1 - 1), with ``width`` inputs (the others have weight 0)."""
    spec = {"layers": [{"weight": [[1] + [0] * (width - 1), [1] + [0] * (width - 1)], "bias": [0, -1]},
                       {"weight": [[1, -1]], "bias": [0]}]}
    p = tmp_path / "ramp.json"
    p.write_text(json.dumps(spec))
    return p


def test_segment_counts_and_exact_breakpoints(tmp_path, capsys):
    p = _write_ramp(tmp_path)
    assert main(["segment", str(p), "--from=-1", "--to", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {"spec": str(p), "input_width": 1, "activation_pieces": 3, "linear_pieces": 3,
                    "activation_breakpoints": ["1/3", "2/3"], "linear_breakpoints": ["1/3", "2/3"]}
    assert main(["segment", str(p), "--from", "0.1", "--to", "2"]) == 0  # 0.1 is exactly 1/10
    out = capsys.readouterr().out
    assert "activation pieces: 2" in out and "= 9/19" in out  # x = 1/10 + 19t/10 = 1 at t = 9/19
    q = _write_ramp(tmp_path, width=5)
    a, b = tmp_path / "a.npy", tmp_path / "b.txt"
    np.save(a, np.array([-1.0, 0.5, 0.25, 3.0, 0.0], dtype=np.float32))
    b.write_text("2, 0\n0 0\n1/3\n")
    assert main(["segment", str(q), "--from-file", str(a), "--to-file", str(b), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["activation_breakpoints"] == ["1/3", "2/3"]


@pytest.mark.parametrize("argv, message", [
    (["--from", "0"], "give the end point with --to"),
    (["--from", "0", "--to", "1", "--to-file", "x.txt"], "give the end point with --to"),
    (["--from", "0,1", "--to", "1"], "--from has 2 coordinates but the network input is 1-D"),
    (["--from", "1", "--to", "1"], "--from and --to are the same point"),
    (["--from", "0", "--to-file", "{tmp}/missing.txt"], "does not exist"),
])
def test_segment_errors_exit_2(tmp_path, capsys, argv, message):
    p = _write_ramp(tmp_path)
    assert main(["segment", str(p), *[a.format(tmp=tmp_path) for a in argv]]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    with pytest.raises(SystemExit, match="2"):
        main(["segment", str(p), "--from", "zero", "--to", "1"])
    assert "a point is exact numbers separated by commas" in capsys.readouterr().err


def test_segment_refuses_over_max_pieces(tmp_path, capsys):
    assert main(["segment", str(_write_ramp(tmp_path)), "--from=-1", "--to", "2", "--max-pieces", "2"]) == 1
    assert "more than --max-pieces 2 pieces" in capsys.readouterr().err


def test_regions_of_a_3d_net_without_a_plane_are_counted_in_3d(tmp_path, capsys):
    # issue 18: a net of input width 3 goes to the d-dimensional engine (it was refused)
    p = tmp_path / "n3.json"
    p.write_text(json.dumps({"layers": [{"weight": [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]],
                                         "bias": [0, 0, 0, -1]}, {"weight": [[1, 1, 1, 1]], "bias": [0]}]}))
    assert main(["regions", str(p), "--window", "2", "--json", "-q"]) == 0
    data = json.loads(capsys.readouterr().out)
    # four planes in general position, every crossing inside the cube: 1 + 4 + 6 + 4
    assert (data["input_width"], data["activation_regions"], data["linear_regions"]) == (3, 15, 15)
    assert main(["regions", str(p), "--plot", str(tmp_path / "x.png")]) == 2
    assert "needs a 2-D input" in capsys.readouterr().err
    assert main(["regions", str(p), "--window", "0,1,0,1"]) == 2
    assert "a rectangle or polygon is for 2-D inputs" in capsys.readouterr().err


def test_misspelled_option_gets_a_suggestion(capsys):
    # a leftover of issue 13's fresh-clone trial: argparse (before Python 3.14) only said
    # "unrecognized arguments"
    with pytest.raises(SystemExit) as exit_:
        main(["count", "2-3-1", "--windw", "3"])
    assert exit_.value.code == 2
    assert "did you mean: --windw -> --window?" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["count", "2-3-1", "zzz"])
    err = capsys.readouterr().err
    assert "unrecognized arguments: zzz" in err and "did you mean" not in err


@pytest.mark.parametrize("point", ["0,,1", ",0,1,", "0,1,"])
def test_segment_refuses_an_empty_coordinate(tmp_path, capsys, point):
    # from a new user's trial: "0,,1" was read as (0, 1) and the segment counted
    p = _write_ramp(tmp_path)
    with pytest.raises(SystemExit, match="2"):
        main(["segment", str(p), f"--from={point}", "--to", "1,1"])
    assert "a point is exact numbers separated by commas" in capsys.readouterr().err


def test_outputs_never_overwrite_the_network_file(tmp_path, capsys):
    # from a new user's trial: --segments net.json replaced the network with level-set JSON
    p = _write_spec(tmp_path)
    before = p.read_text()
    for option in ("--geojson", "--segments", "--plot", "--html"):
        extra = ["--level-set", "0"] if option == "--segments" else []
        assert main(["regions", str(p), *extra, option, str(p), "-q"]) == 2
        assert "is the network file itself" in capsys.readouterr().err
    assert p.read_text() == before


def test_dash_is_standard_output_in_a_real_process(tmp_path):
    """``--html -`` and ``--geojson -`` as a program: stdout holds the file alone, the summary is on stderr."""
    p = _write_spec(tmp_path)
    html = subprocess.run(["exactnet", "regions", str(p), "--window", "2", "--html", "-", "--stats", "-q"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert html.returncode == 0 and html.stdout.startswith("<!DOCTYPE html>") and html.stdout.endswith("</html>\n")
    assert "activation regions: 7" in html.stderr and "neurons: 3 hidden" in html.stderr
    geo = subprocess.run(["exactnet", "regions", str(p), "--window", "2", "--geojson", "-", "--json"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert geo.returncode == 0 and len(json.loads(geo.stdout)["features"]) == 7
    assert json.loads(geo.stderr.strip().splitlines()[-1])["geojson"] == "-"
    assert sorted(f.name for f in tmp_path.iterdir()) == ["net.json"]  # no file named '-'


def test_refusals_speak_of_options_not_arguments(tmp_path, capsys):
    p = _write_spec(tmp_path)
    assert main(["regions", str(p), "--max-regions", "2", "-q"]) == 1
    err = capsys.readouterr().err
    assert "raise --max-regions" in err and "None for no limit" not in err
    assert main(["regions", str(p), "--max-memory", "1kB", "-q"]) == 1
    err = capsys.readouterr().err
    assert "raise --max-memory (or give 'none')" in err and "count_regions()" not in err


def test_a_3d_whole_space_is_called_so(tmp_path, capsys):
    p = tmp_path / "n3.json"
    p.write_text(json.dumps({"layers": [{"weight": [[1, 0, 0]], "bias": [0]}, {"weight": [[1]], "bias": [0]}]}))
    assert main(["regions", str(p), "--window", "plane"]) == 0
    assert "window: whole space" in capsys.readouterr().out


def test_count_takes_any_input_width(capsys):
    # from the new user's trial: `exactnet count 3-20-1` was refused although the README
    # quotes 3-20-1 timings; 20 planes in general position cut R^3 into 1 + 20 + 190 + 1140
    assert main(["count", "3-20-1", "--window", "plane", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["input_width"], data["activation_regions"]) == (3, 1 + 20 + 190 + 1140)
    assert main(["count", "3-20-1", "--window", "0,1,0,1"]) == 2
    assert "a rectangle or polygon is for 2-D inputs" in capsys.readouterr().err


def test_regions_stats_hand_derived(tmp_path, capsys):
    """Lines x = 0, y = 0, x + y = 1 in [-2, 2]^2: 7 cells; x > 0 in 4 of them, x + y > 1 in 3."""
    spec = _write_spec(tmp_path)
    assert main(["regions", str(spec), "--window", "2", "--stats", "-q"]) == 0
    text = capsys.readouterr().out
    assert "(0, 0)        4    3" in text and "(0, 2)        3    4" in text and "dead: none" in text
    assert main(["regions", str(spec), "--window", "2", "--stats", "--json", "-q"]) == 0
    data = json.loads(capsys.readouterr().out)
    sizes, act = data["analysis"]["region_sizes"], data["analysis"]["neuron_activity"]
    assert sizes["measure"] == "area" and sizes["bounded"] == 7 and sizes["unbounded"] == 0
    assert (sizes["smallest"], sizes["largest"]) == (0.5, 4.0)       # the triangle x, y > 0, x + y < 1
    assert [n["on"] for n in act["neurons"]] == [4, 4, 3]
    assert main(["regions", str(spec), "--stats", "--count-only"]) == 2
    assert "--stats" in capsys.readouterr().err


@settings(max_examples=300)
@given(st.integers(-10**30, 10**30), st.integers(-500, 500), st.sampled_from([1, 2, 3, 5, 7, 8, 125]))
def test_exact_number_text_reads_back_exactly_and_is_never_longer_than_p_over_q(m, k, d):
    from fractions import Fraction

    from exact.cli_values import exact_number
    from exact.json_numbers import exact_number_text, fraction_text

    q = Fraction(m) * Fraction(10) ** k / d
    text = exact_number_text(q)
    assert exact_number(text) == q  # the independent reader: Fraction's own parser
    assert len(text) <= len(fraction_text(q))
    # a decimal of 40 digits or more: scientific (m prime to 10, so that no factor cancels: 5^30 / 10^40 is
    # 1/10737418240000000000, shorter as p/q than as 9.094947017729282379150390625e-20)
    if m % 2 and m % 5 and d in (1, 2, 5, 8, 125) and abs(k) >= 40:
        assert "e" in text and "/" not in text and len(text) < 60
    if d in (3, 7) and m % d:  # not a decimal: p/q as it is
        assert text == fraction_text(q)


def test_full_writes_continues_a_write_the_system_cut_short():
    # Python's unbuffered text stdout drops the rest of a short write; FullWrites writes it all
    import io

    from exact.cli_output import FullWrites

    class Trickle(io.RawIOBase):  # takes at most 3 bytes a call, as a pipe whose reader is slow or leaving
        def __init__(self):
            self.got = bytearray()

        def writable(self):
            return True

        def write(self, b):
            self.got += bytes(b[:3])
            return min(3, len(b))

    lost = Trickle()
    io.TextIOWrapper(lost, encoding="utf-8", write_through=True).write("héllo, world")
    assert bytes(lost.got) == "hél".encode()[:3]  # what Python's own stream keeps: the first call only
    raw = Trickle()
    assert FullWrites(io.TextIOWrapper(raw, encoding="utf-8"), raw).write("héllo, world") == 12
    assert raw.got.decode("utf-8") == "héllo, world"
