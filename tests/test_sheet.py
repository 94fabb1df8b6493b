"""`exactnet sheet` writes a complete solution with figures and the key exact numbers."""

import re

from exact.cli import main


def test_sheet_writes_markdown_and_figures(tmp_path, capsys):
    out = tmp_path / "s"
    assert main(["sheet", "--out", str(out), "--res", "60"]) == 0
    md = (out / "sheet07.md").read_text()
    for png in re.findall(r"\]\(([^)]+\.png)\)", md):
        assert (out / png).stat().st_size > 10_000, png
    assert len(re.findall(r"\]\(([^)]+\.png)\)", md)) == 5
    assert "81 parameters" in md
    assert "| whole plane | 20 | 211 | 211 |" in md           # 20 lines in general position
    assert "| whole plane | 117 | 113 |" in md               # the deep net, certified
    assert "50 of 50 reach the maximum exactly" in md
    assert md.count("✔") >= 40                                # verified derivation steps
    assert "## Cross-check" in md and "| 2→20→1 | $[-10, 10]^2$ | 197 |" in md
    assert "Traceback" not in md
