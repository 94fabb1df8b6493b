"""Refuse a job before allocating what it would need: the ``max_regions`` and ``max_memory`` limits.

Before a layer's cells are built their number and their vertices are known (a cell cut
by ``L`` chords crossing ``I`` times has ``1 + L + I`` pieces), so the certified engine
estimates the memory they need and checks it against the job's :class:`Budget` first;
the exact engine checks its running estimate as it goes.

Examples
--------
>>> Budget(max_regions=None, max_memory=10**6).check(1000, 5 * 10**6, "hidden layer 1")
Traceback (most recent call last):
...
exact.errors.ResourceLimitError: hidden layer 1 would need about 5 MB for its 1,000 cells, ...
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ResourceLimitError, TooManyRegionsError
from . import blocks

__all__ = ["Budget", "chunk_bytes", "format_bytes"]


def chunk_bytes(pairs: int, per_pair: int = 256, blocks_per_chunk: int = 1) -> int:
    """Bound the temporaries of a chunked loop over ``pairs`` pairs.

    A chunk holds at most ``blocks_per_chunk`` :data:`~exact._certified.blocks.BLOCK` pairs
    (plus one item), each taking about ``per_pair`` bytes while it is processed: 256 for a
    (pair, vertex) of the side tests (a dozen int64/float64 entries), 32 for a (cell,
    neuron) of the maps and hashes.

    Parameters
    ----------
    pairs : int
        The pairs the loop goes through.
    per_pair : int
        Bytes per pair of a chunk.
    blocks_per_chunk : int
        Chunk size in blocks.

    Returns
    -------
    int
        Bytes.

    Examples
    --------
    >>> chunk_bytes(10) == 2560
    True
    """
    return per_pair * min(blocks_per_chunk * blocks.BLOCK, pairs)


def format_bytes(n: float) -> str:
    """Write a number of bytes for people: ``"512 kB"``, ``"1.5 GB"`` (powers of 1000).

    Parameters
    ----------
    n : float
        Bytes.

    Returns
    -------
    str

    Examples
    --------
    >>> format_bytes(1.5e9), format_bytes(2048)
    ('1.5 GB', '2.05 kB')
    """
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{int(n)} bytes"


@dataclass(frozen=True)
class Budget:
    """The limits of one job: how many cells, how many bytes.

    Attributes
    ----------
    max_regions : int or None
        The most cells any layer may have; ``None`` for no limit.
    max_memory : int or None
        The most bytes the job's arrays may take, as estimated before they are
        allocated; ``None`` for no limit.
    """

    max_regions: int | None = None
    max_memory: int | None = None

    def check(self, cells: int, nbytes: float, where: str) -> None:
        """Refuse a step that would make more than ``max_regions`` cells or need too much memory.

        Parameters
        ----------
        cells : int
            The number of cells the step would make.
        nbytes : float
            The estimated memory the job would hold during the step, in bytes.
        where : str
            The step, for the message (``"hidden layer 2"``).

        Raises
        ------
        TooManyRegionsError
            If ``cells > max_regions``.
        ResourceLimitError
            If ``nbytes > max_memory``.
        """
        if self.max_regions is not None and cells > self.max_regions:
            raise TooManyRegionsError(
                f"more than max_regions={self.max_regions} cells in {where} (it would have {cells:,}); "
                "raise max_regions (None for no limit) or shrink the window "
                "(or give one, not the whole plane)"
            )
        if self.max_memory is not None and nbytes > self.max_memory:
            raise ResourceLimitError(
                f"{where} would need about {format_bytes(nbytes)} for its {cells:,} "
                f"cell{'s' * (cells != 1)}, more than max_memory={format_bytes(self.max_memory)}; "
                "raise max_memory (None for no limit) or "
                "shrink the window"
            )
