#!/usr/bin/env python3
"""A BUGGY len32 echo server: it reads the header with recv(4) and the body with
recv(size), trusting each call to return as many bytes as it asked for. Glued messages
are fine (it never reads past a message), but a header cut in pieces makes
struct.unpack fail (the connection's thread dies and the socket is closed), and a body
longer than what has arrived comes back short.

    python3 len32_trusts_recv.py [PORT]

Prints `port N` once it listens; one thread per connection.
"""

import struct

from threaded_server import serve_forever


def serve(conn):
    with conn:
        while True:
            header = conn.recv(4)  # the bug: may return 1, 2 or 3 bytes
            if not header:
                return
            (size,) = struct.unpack(">I", header)
            body = conn.recv(size) if size else b""  # the bug: may return fewer
            conn.sendall(struct.pack(">I", len(body)) + body)


if __name__ == "__main__":
    serve_forever(serve)
