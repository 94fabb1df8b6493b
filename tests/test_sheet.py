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
    # the deep net: the certified whole-plane row equals the 10^10 window row (the box is smaller),
    # and both equal an independent count of the same net in an even larger window
    deep_rows = re.findall(r"\| (\$\[-10\^\{10\}, 10\^\{10\}\]\^2\$|whole plane) \| (\d+) \| (\d+) \|$", md, re.M)
    assert len(deep_rows) == 2 and deep_rows[0][1:] == deep_rows[1][1:]
    from exact import count_regions
    from numeric import seeded_mlp

    assert count_regions(seeded_mlp([2, 5, 5, 5, 5, 1]), window=1e12) == tuple(map(int, deep_rows[1][1:]))
    assert "50 of 50 reach the maximum exactly" in md
    assert md.count("✔") >= 40                                # verified derivation steps
    assert "## Cross-check" in md and "| 2→20→1 | $[-10, 10]^2$ | 197 |" in md
    assert "Traceback" not in md
