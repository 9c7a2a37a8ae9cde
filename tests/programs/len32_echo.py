#!/usr/bin/env python3
"""A correct len32 echo server: frames of a 4-byte big-endian length and a body; every
frame is echoed unchanged. It reads with recv(65536), keeps what it has not parsed yet in
a buffer, and answers every whole frame in the buffer: one recv may hold half a frame or
many frames (that is TCP).

    python3 len32_echo.py [PORT] [RECV_LOG]

PORT 0 (the default) picks a free port. The server prints `port N` on stdout once it
listens. With RECV_LOG, it appends the size of every recv() to that file, one per line,
`CONN SIZE`, so a test can see how its reads were cut. It serves connections one thread
each, and closes a connection after the client's EOF (having answered every frame).
"""

import socket
import struct
import sys
import threading

log_lock = threading.Lock()


def serve(conn, number, log_path):
    buf = b""
    with conn:
        while True:
            chunk = conn.recv(65536)
            if log_path:
                with log_lock, open(log_path, "a") as log:
                    log.write(f"{number} {len(chunk)}\n")
            if not chunk:
                return
            buf += chunk
            while len(buf) >= 4:
                (size,) = struct.unpack(">I", buf[:4])
                if len(buf) < 4 + size:
                    break
                conn.sendall(buf[: 4 + size])
                buf = buf[4 + size :]


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    log_path = sys.argv[2] if len(sys.argv) > 2 else None
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(16)
    print(f"port {listener.getsockname()[1]}", flush=True)
    number = 0
    while True:
        conn, _ = listener.accept()
        number += 1
        threading.Thread(target=serve, args=(conn, number, log_path), daemon=True).start()


if __name__ == "__main__":
    main()
