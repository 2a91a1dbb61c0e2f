"""How far this edge has seen the versions sequence, and a position it has surely delivered.

Frames reach an edge a little out of version order (several routers, each publishing a batch
after its bumps land), so the highest position seen is not proof that every lower one arrived.
`safe()` is the highest position seen at least `margin` seconds ago: by then every frame bumped
below it has arrived, unless a router stalled longer than the margin.
"""

import time
from collections import deque
from collections.abc import Callable


class Watermark:
    def __init__(
        self, margin: float = 5.0, clock: Callable[[], float] = time.monotonic, step: float = 0.5
    ) -> None:
        self._margin = margin
        self._clock = clock
        self._step = step
        self._seen = 0
        self._floor = 0  # the newest mark that is old enough
        self._marks: deque[tuple[float, int]] = deque()  # (time, seen), oldest first

    @property
    def seen(self) -> int:
        return self._seen

    def saw(self, position: int) -> None:
        if position > self._seen:
            self._seen = position
            self._mark(self._clock())

    def safe(self) -> int:
        now = self._clock()
        self._mark(now)
        while self._marks and self._marks[0][0] <= now - self._margin:
            self._floor = self._marks.popleft()[1]
        return self._floor

    def _mark(self, now: float) -> None:
        # A mark holds what was seen at its own time; between marks `safe` errs low.
        if not self._marks or now - self._marks[-1][0] >= self._step:
            self._marks.append((now, self._seen))
