#!/usr/bin/env python3
"""A correct json-header echo server, the tutorials' protocol done right: 4 bytes of
little-endian header length, a JSON header with total_size, then total_size body bytes.
Every message is answered with a message of the same form and the same body. Every read
is a loop until exactly the bytes it needs have come (recv_exactly), so it does not
matter how the kernel cut or glued the stream.

    python3 json_header_echo.py [PORT]

PORT 0 (the default) picks a free port; the server prints `port N` once it listens. One
thread per connection; a connection is closed after the client's EOF.
"""

import json
import struct

from threaded_server import serve_forever


def recv_exactly(conn, n):
    """n bytes, or None at an EOF before them."""
    data = b""
    while len(data) < n:
        chunk = conn.recv(min(65536, n - len(data)))
        if not chunk:
            return None
        data += chunk
    return data


def serve(conn):
    with conn:
        while True:
            size = recv_exactly(conn, 4)
            if size is None:
                return
            (header_size,) = struct.unpack("<I", size)
            header = json.loads(recv_exactly(conn, header_size))
            body = recv_exactly(conn, header["total_size"])
            reply = json.dumps({"total_size": len(body), "echo": True}).encode()
            conn.sendall(struct.pack("<I", len(reply)) + reply + body)


if __name__ == "__main__":
    serve_forever(serve)
