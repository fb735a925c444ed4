"""A TCP forwarder that tests can cut: the database "goes away" without touching the real server.

``Forwarder(("127.0.0.1", 5432))`` listens on a free port of 127.0.0.1 and relays every connection to
the target. :meth:`stop` closes the listener and resets every relayed connection, so clients see what
they would if the database host died: their open connections fail and new ones are refused.
:meth:`start` listens again on the same port. :meth:`hang` keeps accepting but relays nothing, like a
server that no longer answers.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading

_CHUNK = 65536
_ACCEPT_POLL_SECONDS = 0.05


class Forwarder:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self.accepted = 0
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._running = threading.Event()
        self._hanging = False
        self._sockets: set[socket.socket] = set()

    @property
    def address(self) -> tuple[str, int]:
        return "127.0.0.1", self.port

    def start(self, *, hanging: bool = False) -> None:
        """Listen (on the same port as before, if any) and relay until :meth:`stop`; *hanging*: see :meth:`hang`."""
        assert self._thread is None, "already running"
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(_ACCEPT_POLL_SECONDS)
        self.port = listener.getsockname()[1]
        self._listener, self._hanging = listener, hanging
        self._running.set()
        self._thread = threading.Thread(target=self._accept_loop, args=(listener,), name="forwarder", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Refuse new connections and reset every relayed one."""
        self._running.clear()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _reset(sock)

    def hang(self) -> None:
        """Reset every relayed connection, then accept new ones but never answer them."""
        self.stop()
        self.start(hanging=True)

    def _accept_loop(self, listener: socket.socket) -> None:
        while self._running.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            with self._lock:
                self.accepted += 1
                self._sockets.add(client)
            if self._hanging:
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                self._sockets.add(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), name="forwarder-pump", daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(_CHUNK):
            sink.sendall(chunk)
    except OSError:
        pass
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


def _reset(sock: socket.socket) -> None:
    """Close with RST rather than FIN (SO_LINGER 0), as a vanished host's connection ends."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
