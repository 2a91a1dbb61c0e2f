"""Connection caps: how many TCP connections the server holds, in all and per client address.

A connection over a cap is not counted: it is answered with a refusal (HTTP 503 or 429, or the
Pusher close 4100 on a WebSocket upgrade) and closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int  # the HTTP status of a plain request: 503 server full, 429 address over its cap
    reason: str  # the label of the refusal metric
    message: str


SERVER_FULL = Refusal(503, "server_full", "Server at its connection limit, retry later")
ADDRESS_FULL = Refusal(429, "address_full", "Too many connections from your address")


@dataclass(slots=True)
class Admission:
    """Counts admitted connections; 0 as a cap means no cap."""

    max_total: int
    max_per_address: int
    total: int = 0
    by_address: dict[str, int] = field(default_factory=dict)

    def admit(self, address: str) -> Refusal | None:
        """Counts the connection in, or says why not (then it is not counted)."""
        if self.max_total and self.total >= self.max_total:
            return SERVER_FULL
        held = self.by_address.get(address, 0)
        if self.max_per_address and held >= self.max_per_address:
            return ADDRESS_FULL
        self.total += 1
        self.by_address[address] = held + 1
        return None

    def release(self, address: str) -> None:
        """Counts an admitted connection out."""
        self.total -= 1
        held = self.by_address.get(address, 0) - 1
        if held > 0:
            self.by_address[address] = held
        else:
            self.by_address.pop(address, None)
