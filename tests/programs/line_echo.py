#!/usr/bin/env python3
"""A correct line echo server: every line ending in \\n is echoed. It reads with
recv(65536), keeps what it has not parsed yet in a buffer, and answers every whole line
in the buffer: one recv may hold half a line or many lines (that is TCP).

    python3 line_echo.py [PORT]

PORT 0 (the default) picks a free port; the server prints `port N` once it listens. One
thread per connection; a connection is closed after the client's EOF.
"""

from threaded_server import serve_forever


def serve(conn):
    buf = b""
    with conn:
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                conn.sendall(line + b"\n")


if __name__ == "__main__":
    serve_forever(serve)
