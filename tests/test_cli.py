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
