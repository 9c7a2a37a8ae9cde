#!/usr/bin/env python3
"""A BUGGY len32 echo server: it believes one recv() is one message. It takes what a
recv(65536) returned, skips 4 bytes of length, and sends the rest back as one frame.
It works while every message arrives whole and alone (one message, wait for the reply,
the next one), and breaks as soon as messages are glued together or cut in pieces.

    python3 len32_one_recv.py [PORT]

Prints `port N` once it listens; one thread per connection.
"""

import struct

from threaded_server import serve_forever


def serve(conn):
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                return
            body = data[4:]  # the bug: as if data were exactly one whole message
            conn.sendall(struct.pack(">I", len(body)) + body)


if __name__ == "__main__":
    serve_forever(serve)
