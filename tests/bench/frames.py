#!/usr/bin/env python3
"""The baseline for many small json-header frames (tests/bench/frames.sh): the tutorials'
custom-header framing (自定义报头) in plain Python.

A client thread sends N frames, each one send() of: struct.pack('<i', len(header)), the
JSON header {"total_size": 64}, and 64 body bytes. The server reads them back as the
tutorials do: recv(4) for the header length, recv until the header is in, json.loads,
recv until total_size body bytes are in; a frame at a time, buffering nothing across
frames, with recv(1024) calls where the tutorials make them. Prints frames per second:

  python3 tests/bench/frames.py 200000
  python3 tests/bench/frames.py 200000 --terse   # `LOOP_S MSGS_PER_S WHOLE_S`
"""
import json
import socket
import struct
import sys
import threading
import time


def recv_exactly(conn, n):
    parts = []
    while n > 0:
        chunk = conn.recv(min(n, 1024))
        if not chunk:
            raise EOFError("eof inside a frame")
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    body_size = 64
    started = time.monotonic()
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)

    def client():
        c = socket.socket()
        c.connect(server.getsockname())
        body = (b"abcdefghijklmnopqrstuvwxyz" * 3)[:body_size]
        for _ in range(n):
            header = json.dumps({"total_size": len(body)}).encode()
            c.send(struct.pack("<i", len(header)) + header + body)
        c.close()

    t = threading.Thread(target=client)
    t.start()
    conn, _ = server.accept()
    loop_start = time.monotonic()
    for _ in range(n):
        (header_len,) = struct.unpack("<i", recv_exactly(conn, 4))
        header = json.loads(recv_exactly(conn, header_len))
        body = recv_exactly(conn, header["total_size"])
        assert len(body) == body_size
    assert conn.recv(1024) == b""
    loop = time.monotonic() - loop_start
    t.join()
    conn.close()
    server.close()
    whole = time.monotonic() - started
    if "--terse" in sys.argv:
        print(f"{loop:.3f} {n / loop:.0f} {whole:.3f}")
        return
    print(f"frames: {n} in {loop:.3f} s, {n / loop:.0f} msgs/s; whole {whole:.3f} s")


if __name__ == "__main__":
    main()
