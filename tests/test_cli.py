"""The exactnet command line, run in-process and as an installed console script."""

import json
import shutil
import subprocess

import numpy as np
import pytest

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
    (["count", "3-5-1"], 2, "2-D input"),
    (["count", "--seed", "1e20", "2-3-1"], 2, "--seed takes an integer"),
    (["count", "--seed", "100000000000000000000", "2-3-1"], 2, "--seed takes an integer"),
    (["count", "2-99999999999-1"], 1, "parameters"),
    (["count", "2-3-1", "--window", "-1"], 2, "--window takes a number"),
    (["count", "2-3-1", "--window", "nan"], 2, "--window takes a number"),
    (["check", "{spec}", "--res", "30000"], 1, "900,000,000 pixels"),
    (["check", "{spec}", "--window", "plane"], 2, "cannot cover the whole plane"),
    (["regions", "{spec}", "--plot", "{tmp}/no/such/folder/r.png"], 2, "does not exist"),
    (["regions", "{spec}", "--geojson", "{tmp}"], 2, "is a folder"),
    (["regions", "{spec}", "--plot", "{tmp}/r.xyz"], 2, "matplotlib cannot write .xyz"),
    (["regions", "{spec}", "--count-only", "--plot", "{tmp}/r.png"], 2, "--count-only draws nothing"),
    (["regions", "{spec}", "--max-regions", "0"], 2, "--max-regions takes an integer"),
    (["regions", "{spec}", "--max-regions", "3"], 1, "refused: 7 cells exceed max_regions=3"),
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
    assert data["window"] == "1.00000e+400" and data["activation_regions"] == 7
    spec = _write_spec(tmp_path)
    assert main(["regions", str(spec), "--window", "1e400", "--json", "-q"]) == 0
    data = json.loads(capsys.readouterr().out)
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
    assert "--max-memory takes bytes" in capsys.readouterr().err
