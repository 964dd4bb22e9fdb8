"""A TCP forwarder to PostgreSQL that a test can cut off: a network partition, bounded and local."""

import contextlib
import socket
import threading
from types import TracebackType

from tests.served import free_port


class Forwarder:
    """Forwards 127.0.0.1:`port` to `upstream`; once `partition()` is called, nothing gets through.

    Partitioned, the connections stay open but every byte is dropped, and new connections are accepted
    and never answered: what a client sees when the network between it and the database fails.
    `close()` ends every connection (the client's reads then fail at once).
    """

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._sockets: list[socket.socket] = [self._listener]
        self._lock = threading.Lock()
        self.partitioned = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _keep(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._keep(client)
            if self.partitioned.is_set():
                continue  # a black hole: accepted, never answered
            server = socket.create_connection(self.upstream)
            self._keep(server)
            threading.Thread(target=self._pipe, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(1 << 16):
                if not self.partitioned.is_set():
                    target.sendall(data)
        except OSError:
            pass

    def partition(self) -> None:
        """Let nothing through any more, on the open connections and on new ones."""
        self.partitioned.set()

    def close(self) -> None:
        """End every connection and stop listening."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def __enter__(self) -> "Forwarder":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
