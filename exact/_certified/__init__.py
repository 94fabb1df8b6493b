"""The certified-float engine: the fast path of :func:`exact.count_regions`.

Every cell of a layer is split at once in numpy float64, and every decision carries a
rigorous error bound (:mod:`.bounds`); a test within its bound raises
:class:`~exact.errors.Undecided` and the caller hands the job to the exact engine
(:mod:`exact.layer_split`).  Floats filter; they never decide a tie.

Modules, bottom up: :mod:`.bounds` (error-bounded float maps, values and Cramer
intersections), :mod:`.float_net` (the network's weights in floats with rounding bounds,
and its breakpoint lines in given cells), :mod:`.chords` (a layer's lines as chords of
the cells), :mod:`.chord_faces` (the faces of all cells' chords in one pass),
:mod:`.cell_table` (the certified cells, their neighbours and linear count),
:mod:`.subdivision` (the layer-by-layer state), :mod:`.last_layer` (counting the last
layer without building it) and :mod:`.plane` (the whole-plane certificate).  The API uses only the two entry
points re-exported here.
"""

from .last_layer import batched_counts
from .plane import batched_plane_cells

__all__ = ["batched_counts", "batched_plane_cells"]
