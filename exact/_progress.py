"""Progress bars for long enumerations: tqdm on standard error, shown only after a second.

Examples
--------
>>> bar = progress_bar(False, 10, "cells")   # disabled: a bar that does nothing
>>> bar.update(3); bar.close()
"""

from __future__ import annotations

__all__ = ["progress_bar"]


def progress_bar(enabled: bool, total: int, desc: str, unit: str = "it"):
    """A tqdm bar (``leave=False``, appearing after one second), or a no-op bar when disabled."""
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, delay=1.0, leave=False)


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass
