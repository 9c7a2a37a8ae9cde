#!/usr/bin/env python3
"""A BUGGY len32 echo server: it reads the header with recv(4) and the body with
recv(size), trusting each call to return as many bytes as it asked for. Glued messages
are fine (it never reads past a message), but a header cut in pieces makes
struct.unpack fail (the connection's thread dies and the socket is closed), and a body
longer than what has arrived comes back short.

    python3 len32_trusts_recv.py [PORT]

Prints `port N` once it listens; one thread per connection.
"""

import socket
import struct
import sys
import threading


def serve(conn):
    with conn:
        while True:
            header = conn.recv(4)  # the bug: may return 1, 2 or 3 bytes
            if not header:
                return
            (size,) = struct.unpack(">I", header)
            body = conn.recv(size) if size else b""  # the bug: may return fewer
            conn.sendall(struct.pack(">I", len(body)) + body)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(16)
    print(f"port {listener.getsockname()[1]}", flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
