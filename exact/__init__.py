"""exactnet's exact side: region enumeration, exact lse/softmax and verified proofs.

Weights are taken at their exact binary value and every geometric decision is made in
exact integer arithmetic.  Note: the unrelated PyPI package ``exact`` also installs a
top-level ``exact`` module; do not install both in one environment.

Examples
--------
>>> import exact
>>> exact.count_regions([([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0, 0.0, -1.0]),
...                      ([[1.0, 1.0, 1.0]], [0.0])])
RegionCounts(activation=7, linear=7)
"""

from ._api import count_regions, regions
from .activations import Activation, get_activation
from .cells import Cell, RegionCounts, Regions
from .crosscheck import CrossCheck, cross_check
from .errors import (
    ExactnetError,
    InputError,
    InputTypeError,
    SpecFileError,
    TooManyRegionsError,
    UnsupportedActivationError,
    VerificationError,
)
from .line_count import arrangement_faces, max_regions_formula
from .loading import as_exact_net, from_torch, load_spec, save_json
from .network import AffineMap, ExactNet, parameter_count

__all__ = [
    "Activation",
    "AffineMap",
    "Cell",
    "CrossCheck",
    "ExactNet",
    "ExactnetError",
    "InputError",
    "InputTypeError",
    "RegionCounts",
    "Regions",
    "SpecFileError",
    "TooManyRegionsError",
    "UnsupportedActivationError",
    "VerificationError",
    "arrangement_faces",
    "as_exact_net",
    "count_regions",
    "cross_check",
    "from_torch",
    "get_activation",
    "load_spec",
    "max_regions_formula",
    "parameter_count",
    "regions",
    "save_json",
]

__version__ = "0.1.0"
