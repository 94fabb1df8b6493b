"""The certified-float engine: the fast path of :func:`exact.count_regions`.

Every cell of a layer is split at once in numpy float64, and every decision carries a
rigorous error bound (:mod:`.bounds`); a test within its bound raises
:class:`~exact.errors.Undecided` and the caller hands the job to the exact engine
(:mod:`exact.layer_split`).  Floats filter; they never decide a tie.

Modules, bottom up: :mod:`.blocks` (array kernels, and the chunks that bound their
memory), :mod:`.budget` (the ``max_regions`` / ``max_memory`` limits, checked before a
layer is built), :mod:`.bounds` (error-bounded float maps, values and Cramer
intersections), :mod:`.float_net` (the network's weights in floats with rounding bounds
and a priori map bounds, made once per network, and its breakpoint lines in given cells),
:mod:`.chords` (a layer's lines as chords of the cells), :mod:`.pieces` (each face's
pattern, spread across the chords),
:mod:`.chord_faces` (the faces of all cells' chords in one pass), :mod:`.rounds` (the
round-by-round fallback), :mod:`.cell_table` (the certified cells, their neighbours and
linear count), :mod:`.subdivision` (the layer-by-layer state), :mod:`.border_cells`
(the cells on chosen sides of a window, which a tile sends to the join), :mod:`.last_layer`
(counting the last layer without building it), :mod:`.plane` (the whole-plane
certificate) and :mod:`.small_cells` (tiny nets cell by cell in plain Python floats, on
the same bounds, where numpy's per-call cost would dominate).  The API uses the two entry
points re-exported here, and the tiny-net path from :mod:`.small_cells`.

Memory is ``O(cells + vertices)`` times the pattern width (one byte per cell and hidden
neuron, 24 bytes per cell and next-layer neuron for the float maps): every array over
pairs (cell and line, face and chord, edge and neuron) is built in chunks.
"""

from .last_layer import batched_counts
from .plane import batched_plane_cells

__all__ = ["batched_counts", "batched_plane_cells"]
