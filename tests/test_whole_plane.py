"""The exact whole-plane certificate: constraints rebuilt from patterns, counts against the certified engine.

``pattern_constraints`` is checked against the definition of a cell (the points whose
exact activation pattern is the cell's pattern), not against the code that splits cells;
the whole-plane cells of the exact path against the certified float engine and against
counts derived by hand.
"""

from fractions import Fraction

import pytest
from catalogue import seeded_torch
from hypothesis import given, settings
from hypothesis import strategies as st

import exact
from exact import ExactNet
from exact._certified.plane import batched_plane_cells
from exact.layer_split import enumerate_cells
from exact.plane_location import pattern_constraints
from exact.square_window import square
from exact.whole_plane import whole_plane_cells

ACTS = ["relu", "leaky_relu", "hardtanh", "abs"]

small = st.fractions(min_value=-3, max_value=3, max_denominator=4)


def _layers(draw, widths):
    return [([[draw(small) for _ in range(a)] for _ in range(b)], [draw(small) for _ in range(b)])
            for a, b in zip(widths, widths[1:])]


@st.composite
def nets(draw):
    widths = [2] + draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)) + [1]
    return ExactNet.from_layers(_layers(draw, widths), activation=draw(st.sampled_from(ACTS)))


def _value(line, p):
    a, b, c = line
    return a * p[0] + b * p[1] + c


@settings(max_examples=60, deadline=None)
@given(nets(), st.lists(st.tuples(small, small), min_size=20, max_size=20))
def test_constraints_define_exactly_the_cell_of_the_pattern(net, points):
    # a point off every line has the pattern iff it is on the + side of every line
    cells = enumerate_cells(net, *square(4, 1))
    for cell in cells:
        lines = pattern_constraints(net, cell.pattern)
        for p in points:
            values = [_value(line, p) for line in lines]
            if 0 in values:
                continue
            assert (net.pattern_at(p) == cell.pattern) == all(v > 0 for v in values)


@settings(max_examples=40, deadline=None)
@given(nets())
def test_every_inner_edge_of_a_cell_is_one_of_its_constraints(net):
    box = set(square(4, 1)[1])
    for cell in enumerate_cells(net, *square(4, 1)):
        lines = set(pattern_constraints(net, cell.pattern))
        assert all(e in lines for e in cell.edges if e not in box)


def test_constraint_orientation_by_hand():
    # relu(x) and relu(x + y - 2): the cell x > 0, x + y < 2, and constant neurons give no line
    net = ExactNet.from_layers([([[1, 0], [1, 1], [0, 0]], [0, -2, 1]), ([[1, -1, 1]], [0])])
    assert pattern_constraints(net, (1, 0, 1)) == ((1, 0, 0), (-1, -1, 2))
    assert pattern_constraints(net, (0, 1, 1)) == ((-1, 0, 0), (1, 1, -2))
    with pytest.raises(ValueError, match="3 hidden neurons"):
        pattern_constraints(net, (1, 0))


@pytest.mark.parametrize("widths, seed", [([2, 5, 5, 5, 5, 1], 0), ([2, 8, 8, 1], 1), ([2, 30, 3, 1], 2)])
def test_exact_whole_plane_equals_the_certified_one(widths, seed):
    net = exact.from_torch(seeded_torch(widths, seed))
    _, certified = batched_plane_cells(net, max_regions=None, progress=False)
    half, cells = whole_plane_cells(net, max_regions=None, progress=False, start=Fraction(1))
    assert sorted(c.pattern for c in cells) == sorted(map(tuple, certified.patterns.tolist()))


def test_exact_whole_plane_by_hand():
    # lines x = 0, y = 0, x + y = 5: 7 faces; the vertices (5, 0) and (0, 5) need a box wider
    # than 5.  The second layer relu(x) + relu(y) + relu(x + y - 5) is > 0 off the face where
    # all three are off and constant 0 on it: it cuts nothing, so 7 cells
    net = ExactNet.from_layers([([[1, 0], [0, 1], [1, 1]], [0, 0, -5]), ([[1, 1, 1]], [0]), ([[1]], [0])])
    half, cells = whole_plane_cells(net, max_regions=None, progress=False, start=Fraction(1))
    assert half > 5 and len(cells) == 7
    grid = {net.pattern_at((Fraction(x, 2), Fraction(y, 2))) for x in range(-40, 41) for y in range(-40, 41)}
    assert grid == {c.pattern for c in cells}
