"""A terminal progress bar shaped as the index's `Progress` callback."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from tqdm import tqdm

if TYPE_CHECKING:
    from coach.guidance.index import Progress


def terminal_progress(description: str) -> Progress:
    bar = tqdm(desc=description, unit="chunk", file=sys.stderr, disable=None)

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update
