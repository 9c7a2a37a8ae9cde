#!/usr/bin/env python3
"""A BUGGY line echo server: it believes one recv() is one line. It strips the newline
from what a recv(1024) returned and sends it back with one. Glued lines come back right
by accident (the newlines inside are kept), but a line that arrives in pieces is
answered piece by piece, each as a line of its own.

    python3 line_one_recv.py [PORT]

Prints `port N` once it listens; one thread per connection.
"""

import socket
import sys
import threading


def serve(conn):
    with conn:
        while True:
            data = conn.recv(1024)
            if not data:
                return
            conn.sendall(data.rstrip(b"\n") + b"\n")  # the bug: a recv is not a line


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
