"""exactnet's exact side: region enumeration, exact lse/softmax and verified derivations.

Weights are taken at their exact binary value and every geometric decision is made in
exact integer arithmetic; floats only filter, with rigorous error bounds.  Each name below
is imported from its module when first used, so ``import exact`` itself is quick (no
numpy); :func:`exact.worker_threads.warm_worker` imports what counting needs.  Note: the
unrelated PyPI package ``exact`` also installs a top-level ``exact`` module; do not
install both in one environment.

Regions of ReLU networks with 2-D input
---------------------------------------
:func:`regions`
    The exact cells (polygons with rational vertices), their activation patterns and
    affine maps, and the linear regions, in a window or the whole plane.
:func:`count_regions`
    The two counts only, without polygons (certified floats, exact on any tie); with
    ``tiles=`` one big window in tiles, on any executor, joined exactly.
:func:`count_many`, :func:`iter_count_many`, :class:`NetFailure`
    The counts of many networks on any executor (a process pool, a dask cluster), in
    input order or as they finish; what a failed network gives with ``on_error="return"``.
:class:`Regions`, :class:`Cell`, :class:`RegionCounts`
    The results: point location, areas, GeoJSON, plotting (colours by region, pattern
    or output), notebook display.
:class:`LevelSet`
    An exact level set ``Regions.level_set(c)`` or decision boundary
    ``Regions.decision_boundary()``: segments with rational endpoints.
:class:`RegionsND`, :class:`CellND`
    What :func:`regions` gives for a network of input width ``d != 2`` without
    ``plane=``: exact polytope cells (vertices, halfspaces, interior points, volumes) in
    a box or the certified whole space (:mod:`exact.nd`).
:func:`plot_regions_3d`, :func:`save_regions_html`, :func:`regions_html`
    Pictures: a 3-D input's cells in matplotlib 3-D axes (``RegionsND.plot``); one
    self-contained interactive HTML page of a 2-D or 3-D result (plotly.js inside; hover
    shows the pattern and the exact map; the ``html`` extra).
:func:`neuron_activity`, :class:`NeuronActivity`
    Per-neuron activity over the exact regions (2-D or any ``d``): on/off counts per
    neuron (per piece), dead and always-active neurons of the window.
:func:`region_sizes`, :class:`RegionSizes`, :func:`inscribed_ball`
    Region sizes: exact areas (2-D) and volumes (3-D), inscribed-ball radii (float
    estimates, any ``d``); unbounded cells apart; smallest, median, largest.
:func:`checkpoint_counts`, :class:`CheckpointCounts`
    Counts over training checkpoints (nets, or state dicts of one model) through
    :func:`count_many`, with each checkpoint's neuron activity if asked.
:func:`count_on_segment`, :class:`SegmentCount`
    Activation and linear pieces along a segment between two points, any input width,
    with the exact breakpoints.
:func:`cross_check`, :class:`CrossCheck`
    Exact regions against grid sampling: missed regions, wrong pixels.
:func:`arrangement_faces`, :func:`max_regions_formula`
    Faces of a line arrangement (Zaslavsky's count); the maximum n(n+1)/2 + 1.
:data:`DEFAULT_WINDOW`, :data:`DEFAULT_MAX_REGIONS`, :data:`DEFAULT_MAX_MEMORY`
    The window half-width (10) and the size and memory guards every function and command
    shares (jobs over a guard are refused before their memory is allocated).

Networks
--------
:class:`ExactNet`, :func:`as_exact_net`
    A piecewise-linear MLP with exact weights, from torch modules (conv nets and
    BatchNorm included, read on the flattened input), ``(W, b)`` lists, state_dicts with
    their architecture, or spec files (JSON, ``.npz``, ``.pt``, ``.safetensors``).
:func:`from_torch`, :func:`load_spec`, :func:`save_json`
    Reading and writing networks.
:class:`ResidualNet`, :func:`read_residual`, :func:`lower_on_window`
    Torch modules with skip connections ``x + g(x)``, read exactly, and the plain net equal
    to one in a bounded window (:mod:`exact.residual_nets`); ``regions``,
    ``count_regions`` and ``count_on_segment`` take such modules directly.
:class:`AffineMap`, :func:`parameter_count`
    An exact affine map; the number of weights of an MLP.
:class:`Activation`, :func:`get_activation`
    ReLU, Abs, LeakyReLU, Hardtanh, identity.

Exact log-sum-exp and soft(arg)max (sympy; loaded on first use)
---------------------------------------------------------------
:func:`logsumexp`, :func:`softmax`, :func:`log_softmax`
    The twins of :mod:`numeric`'s functions, with the same signature, as exact sympy
    values.  The verified derivations are in :mod:`exact.symbolic.theorems`.

Errors
------
:class:`ExactnetError` and its family (:mod:`exact.errors`): :class:`InputError`,
:class:`InputTypeError`, :class:`SpecFileError`, :class:`UnsupportedNetworkError`,
:class:`UnsupportedActivationError`, :class:`ResidualModuleError`,
:class:`ResourceLimitError` (a job over a size or memory limit, refused before it starts)
and its :class:`TooManyRegionsError`, :class:`VerificationError`.

Examples
--------
>>> import exact
>>> exact.count_regions([([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0, 0.0, -1.0]),
...                      ([[1.0, 1.0, 1.0]], [0.0])])
RegionCounts(activation=7, linear=7)
>>> exact.softmax([0, 0])
[1/2, 1/2]
"""

from typing import TYPE_CHECKING

from ._version import __version__ as __version__
from .errors import (
    ExactnetError,
    InputError,
    InputTypeError,
    ResidualModuleError,
    ResourceLimitError,
    SpecFileError,
    TooManyRegionsError,
    UnsupportedActivationError,
    UnsupportedNetworkError,
    VerificationError,
)

if TYPE_CHECKING:  # what type checkers and editors read; at run time the table below loads them
    from ._api import count_regions, regions
    from .activations import Activation, get_activation
    from .cells import Cell, RegionCounts, Regions
    from .checkpoints import CheckpointCounts, checkpoint_counts
    from .crosscheck import CrossCheck, cross_check
    from .html_view import regions_html, save_regions_html
    from .level_sets import LevelSet
    from .line_count import arrangement_faces, max_regions_formula
    from .loading import as_exact_net, load_spec, save_json
    from .many_nets import NetFailure, count_many, iter_count_many
    from .nd import CellND, RegionsND
    from .nd.plot3d import plot_regions_3d
    from .network import AffineMap, ExactNet, parameter_count
    from .neuron_usage import NeuronActivity, neuron_activity
    from .region_measures import RegionSizes, inscribed_ball, region_sizes
    from .residual_nets import ResidualNet
    from .residual_reading import lower_on_window, read_residual
    from .segment_count import SegmentCount, count_on_segment
    from .symbolic.twins import log_softmax, logsumexp, softmax
    from .torch_reading import from_torch
    from .validation import DEFAULT_MAX_MEMORY, DEFAULT_MAX_REGIONS, DEFAULT_WINDOW

_SOURCES = {
    "_api": ("count_regions", "regions"),
    "activations": ("Activation", "get_activation"),
    "cells": ("Cell", "RegionCounts", "Regions"),
    "checkpoints": ("CheckpointCounts", "checkpoint_counts"),
    "crosscheck": ("CrossCheck", "cross_check"),
    "html_view": ("regions_html", "save_regions_html"),
    "level_sets": ("LevelSet",),
    "line_count": ("arrangement_faces", "max_regions_formula"),
    "loading": ("as_exact_net", "load_spec", "save_json"),
    "many_nets": ("NetFailure", "count_many", "iter_count_many"),
    "nd": ("CellND", "RegionsND"),
    "nd.plot3d": ("plot_regions_3d",),
    "network": ("AffineMap", "ExactNet", "parameter_count"),
    "neuron_usage": ("NeuronActivity", "neuron_activity"),
    "region_measures": ("RegionSizes", "inscribed_ball", "region_sizes"),
    "residual_nets": ("ResidualNet",),
    "residual_reading": ("lower_on_window", "read_residual"),
    "segment_count": ("SegmentCount", "count_on_segment"),
    "symbolic.twins": ("log_softmax", "logsumexp", "softmax"),
    "torch_reading": ("from_torch",),
    "validation": ("DEFAULT_MAX_MEMORY", "DEFAULT_MAX_REGIONS", "DEFAULT_WINDOW"),
}
"""Where each public name lives: loaded on first use (PEP 562), so that ``import exact`` stays cheap."""

_LAZY = {name: module for module, names in _SOURCES.items() for name in names}

__all__ = [
    "DEFAULT_MAX_MEMORY",
    "DEFAULT_MAX_REGIONS",
    "DEFAULT_WINDOW",
    "Activation",
    "AffineMap",
    "CellND",
    "Cell",
    "CheckpointCounts",
    "CrossCheck",
    "ExactNet",
    "ExactnetError",
    "InputError",
    "InputTypeError",
    "LevelSet",
    "NetFailure",
    "NeuronActivity",
    "RegionCounts",
    "RegionSizes",
    "Regions",
    "RegionsND",
    "ResidualModuleError",
    "ResidualNet",
    "ResourceLimitError",
    "SegmentCount",
    "SpecFileError",
    "TooManyRegionsError",
    "UnsupportedActivationError",
    "UnsupportedNetworkError",
    "VerificationError",
    "arrangement_faces",
    "as_exact_net",
    "checkpoint_counts",
    "count_many",
    "count_on_segment",
    "count_regions",
    "cross_check",
    "from_torch",
    "get_activation",
    "inscribed_ball",
    "iter_count_many",
    "load_spec",
    "log_softmax",
    "lower_on_window",
    "logsumexp",
    "max_regions_formula",
    "neuron_activity",
    "parameter_count",
    "read_residual",
    "plot_regions_3d",
    "regions",
    "region_sizes",
    "regions_html",
    "save_json",
    "save_regions_html",
    "softmax",
]


if not TYPE_CHECKING:  # type checkers read the imports above only, so a misspelt name stays an error there
    from importlib import import_module as _import_module
    from pkgutil import iter_modules as _iter_modules

    def __getattr__(name: str):
        """Load a public name, or a submodule such as ``exact.nd``, on first use.

        ``import exact`` imports only the error family; a name of ``__all__`` (and the sympy
        twins, which import sympy) is imported from its module when first asked for and then
        kept in the package's namespace.
        """
        if name in _LAZY:
            value = getattr(_import_module(f".{_LAZY[name]}", __name__), name)
            globals()[name] = value
            return value
        if name in _submodules():
            return _import_module(f".{name}", __name__)
        raise AttributeError(f"module 'exact' has no attribute {name!r}")

    def __dir__() -> list[str]:
        """Return the public names, the public submodules (``nd``, ``windows``, ...) and the dunders."""
        dunders = {n for n in globals() if n.startswith("__") and n.endswith("__")}
        return sorted(set(__all__) | _submodules() | dunders)

    def _submodules() -> set[str]:
        """Return the names of the public submodules and subpackages (without importing them)."""
        return {m.name for m in _iter_modules(__path__) if not m.name.startswith("_")}
