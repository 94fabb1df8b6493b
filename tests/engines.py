"""The exact engine alone, for tests that need a reference independent of the certified floats.

Since issue 15, :func:`exact.regions` of a deep net is built from the certified-float cells
(:mod:`exact.certified_regions`), as :func:`exact.count_regions` counts them; a test that
checks one against the other would check the certified engine against itself.  These
helpers run the exact splitter (:func:`exact.layer_split.enumerate_cells`, or the exact
whole-plane search) and never the certified one.
"""

from __future__ import annotations

from exact._api import exact_regions, read_net
from exact.line_count import initial_box
from exact.validation import check_window


def exact_engine_regions(net, window=10, *, activation=None):
    """:func:`exact.regions` (2-D input) by the exact engine only, never the certified floats."""
    enet, own = read_net(net, None, activation, window)
    w = check_window(window)
    start = initial_box(enet) if w is None and enet.n_hidden_layers > 1 else None
    r = exact_regions(enet, w, max_regions=None, progress=False, precount=False, plane_start=start)
    r.own = own  # a residual net's own neurons, as exact.regions marks them
    return r
