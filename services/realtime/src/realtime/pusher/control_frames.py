"""websockets' server protocol, with WebSocket pings and pongs rate limited per connection.

websockets answers every ping with a pong as it parses it, before the server sees the frame; a
client pinging fast enough would make the server write without reading anything back. Past the
rate, a ping goes unanswered and `flooded` is set: the server then closes the connection.
"""

from __future__ import annotations

import time

from websockets.frames import Frame, Opcode
from websockets.server import ServerProtocol


class RateLimitedServerProtocol(ServerProtocol):
    def __init__(self, *, max_size: int, control_frames_per_second: int) -> None:
        super().__init__(max_size=max_size)
        self.control_frames_per_second = control_frames_per_second
        self.flooded = False
        self._window = 0
        self._window_frames = 0

    def recv_frame(self, frame: Frame) -> None:
        if frame.opcode is Opcode.PING or frame.opcode is Opcode.PONG:
            second = int(time.monotonic())
            if second != self._window:
                self._window, self._window_frames = second, 0
            self._window_frames += 1
            if self.flooded or self._window_frames > self.control_frames_per_second:
                self.flooded = True
                return  # neither answered nor handed on
        super().recv_frame(frame)
