"""Region counts over a sequence of training checkpoints, through :func:`exact.count_many`.

Examples
--------
>>> ckpts = [[([[1, 0], [0, 1]], [5, 5]), ([[1, 1]], [0])],       # both lines outside the square
...          [([[1, 0], [0, 1]], [0, 5]), ([[1, 1]], [0])],       # one crosses it
...          [([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])]]       # both do
>>> [c.counts.activation for c in checkpoint_counts(ckpts, window=1)]
[1, 2, 4]
>>> checkpoint_counts(ckpts, window=1, activity=True)[1].activity.always_active
((0, 1),)
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from ._api import regions
from .cells import RegionCounts
from .errors import InputError, InputTypeError
from .loading import as_exact_net
from .many_nets import NetFailure, OnError, count_many
from .neuron_usage import NeuronActivity, neuron_activity
from .validation import DEFAULT_MAX_MEMORY, DEFAULT_MAX_REGIONS, DEFAULT_WINDOW, MemoryLike, WindowLike

__all__ = ["CheckpointCounts", "checkpoint_counts"]


class CheckpointCounts(NamedTuple):
    """The counts of one checkpoint, and its neuron activity when asked for.

    Attributes
    ----------
    counts : RegionCounts or NetFailure
        ``count_regions`` of the checkpoint (a :class:`NetFailure` with
        ``on_error="return"`` when it failed).
    activity : NeuronActivity or None
        :func:`exact.neuron_activity` of its regions with ``activity=True`` (None when the
        counts failed or it was not asked for).
    """

    counts: RegionCounts | NetFailure
    activity: NeuronActivity | None


def checkpoint_counts(checkpoints: Iterable[Any], *, model: Any = None, window: WindowLike = DEFAULT_WINDOW,
                      executor: cf.Executor | None = None, jobs: int | None = None,
                      activation: str | None = None, max_regions: int | None = DEFAULT_MAX_REGIONS,
                      max_memory: MemoryLike = DEFAULT_MAX_MEMORY, on_error: OnError = "raise",
                      progress: bool = False, activity: bool = False) -> list[CheckpointCounts]:
    """Count the regions of each checkpoint of a training run, in order (and their neuron activity).

    Parameters
    ----------
    checkpoints : iterable
        The checkpoints: networks :func:`exact.as_exact_net` accepts (torch modules,
        ``state_dict`` objects of an MLP, spec files, lists of ``(W, b)``), or, with
        ``model``, state dicts of that model.
    model : torch.nn.Module, optional
        The architecture of state-dict checkpoints (any module :func:`exact.from_torch`
        reads, conv nets included): each state dict is loaded into it in turn
        (``model.load_state_dict``; the model is left holding the last one) and read.
    window, executor, jobs, activation, max_regions, max_memory, on_error, progress
        Passed to :func:`exact.count_many` (window: a half-width or ``None``).
    activity : bool, default False
        Also make each checkpoint's exact regions, in this process one after the other,
        and give their :func:`exact.neuron_activity` (dead and always-active neurons per
        checkpoint).

    Returns
    -------
    list of CheckpointCounts
        ``result[i].counts`` is ``count_regions(checkpoints[i], ...)``.

    Raises
    ------
    InputTypeError
        ``model`` without ``load_state_dict``, ``activity`` not a bool.
    InputError, ExactnetError
        As :func:`exact.count_many`; a state dict that does not fit ``model``.

    Notes
    -----
    A thin layer on :func:`exact.count_many`: the counts run on its executor or process
    pool.  With ``activity=True`` the checkpoints are read first (all held at once) and
    each one's regions are enumerated once more, serially, for the patterns.

    Examples
    --------
    >>> net = [([[1, 0], [0, 1], [1, 1]], [0, 0, -1]), ([[1, 1, 1]], [0])]
    >>> checkpoint_counts([net, net], window=None)[0].counts
    RegionCounts(activation=7, linear=7)
    """
    if not isinstance(activity, bool):
        raise InputTypeError(f"activity must be True or False, got {activity!r:.60}")
    nets: Iterable[Any] = checkpoints
    if model is not None:
        if not callable(getattr(model, "load_state_dict", None)):
            raise InputTypeError(f"model must be a torch module (with load_state_dict), "
                                 f"got {type(model).__name__}")
        nets = _loaded(model, checkpoints, activation)
    if activity:
        nets = list(nets)
    counts = count_many(nets, window=window, executor=executor, jobs=jobs, activation=activation,
                        max_regions=max_regions, max_memory=max_memory, on_error=on_error, progress=progress)
    if not activity:
        return [CheckpointCounts(c, None) for c in counts]
    out = []
    for net, c in zip(nets, counts):
        act = None
        if not isinstance(c, NetFailure):
            act = neuron_activity(regions(net, window, activation=activation, max_regions=max_regions,
                                          max_memory=max_memory))
        out.append(CheckpointCounts(c, act))
    return out


def _loaded(model: Any, state_dicts: Iterable[Any], activation: str | None) -> Iterator[Any]:
    """Load each state dict into ``model`` and read it, one at a time."""
    for i, sd in enumerate(state_dicts):
        try:
            model.load_state_dict(sd)
        except (RuntimeError, TypeError, KeyError, AttributeError) as exc:
            raise InputError(f"checkpoints[{i}] does not fit model: {str(exc).strip()[:200]}") from None
        yield as_exact_net(model, activation=activation)
