#!/usr/bin/env python3
"""A BUGGY line echo server: it believes one recv() is one line. It strips the newline
from what a recv(1024) returned and sends it back with one. Glued lines come back right
by accident (the newlines inside are kept), but a line that arrives in pieces is
answered piece by piece, each as a line of its own.

    python3 line_one_recv.py [PORT]

Prints `port N` once it listens; one thread per connection.
"""

from threaded_server import serve_forever


def serve(conn):
    with conn:
        while True:
            data = conn.recv(1024)
            if not data:
                return
            conn.sendall(data.rstrip(b"\n") + b"\n")  # the bug: a recv is not a line


if __name__ == "__main__":
    serve_forever(serve)
