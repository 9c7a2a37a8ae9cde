#!/usr/bin/env python3
"""The baselines for a big transfer read with `recv until eof` (tests/bench/transfer.sh).

A client thread sends SIZE bytes with sendall() and closes; the server reads with
recv(1024) until eof. Two loops:

  plain  a bare `while conn.recv(1024): ...` loop;
  lab    the lab's work per recv: FIONREAD before and after the recv, a timestamp, and a
         record of the call (start, duration, queued before/after, the bytes) kept in a
         list, as stickylab records an event per recv.

Prints one line: the loop's time (from the first recv() that returned bytes to the eof;
the wait for the sender's first byte is left out, as tests/bench/transfer.sh leaves it
out of stickylab's loop), MB/s in the loop, the whole program's time, and the recv
count:

  python3 tests/bench/transfer.py plain 60M
  python3 tests/bench/transfer.py lab 60M
  python3 tests/bench/transfer.py lab 1G --chunk 64K   # sent as 16384 sendall()s of 64K

With --keep-none the lab loop keeps no record (only counts them): for a gigabyte, a
record of every recv would not fit in memory, as stickylab's reports keep only parts.
"""
import argparse
import fcntl
import socket
import struct
import termios
import threading
import time


def size(text):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    if text[-1] in units:
        return int(text[:-1]) * units[text[-1]]
    return int(text)


def queued(sock, buf=bytearray(4)):
    fcntl.ioctl(sock, termios.FIONREAD, buf)
    return struct.unpack("i", buf)[0]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["plain", "lab"])
    p.add_argument("size", type=size)
    p.add_argument("--chunk", type=size, default=0, help="send in sendall()s of this size")
    p.add_argument("--keep-none", action="store_true")
    p.add_argument("--terse", action="store_true", help="print `LOOP_S MB_PER_S WHOLE_S`")
    args = p.parse_args()
    started = time.monotonic()

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    total = args.size
    chunk = args.chunk or total

    def client():
        c = socket.socket()
        c.connect(server.getsockname())
        # The pattern of `bytes N`: a..z over and over.
        one = (b"abcdefghijklmnopqrstuvwxyz" * (chunk // 26 + 1))[:chunk]
        left = total
        while left > 0:
            n = min(chunk, left)
            c.sendall(one if n == chunk else one[:n])
            left -= n
        c.close()

    t = threading.Thread(target=client)
    t.start()
    conn, _ = server.accept()
    records = []
    count = 0
    got = 0
    now = time.monotonic_ns
    if args.mode == "plain":
        data = conn.recv(1024)
        loop_start = time.monotonic()
        count = 1
        got = len(data)
        while data:
            data = conn.recv(1024)
            count += 1
            got += len(data)
    else:
        keep = not args.keep_none
        loop_start = None
        while True:
            t0 = now()
            before = queued(conn)
            data = conn.recv(1024)
            after = queued(conn)
            t1 = now()
            count += 1
            if loop_start is None and data:
                loop_start = t0 / 1e9
            if keep:
                records.append((t0, t1 - t0, before, len(data), after, data))
            if not data:
                break
            got += len(data)
    loop = time.monotonic() - loop_start
    t.join()
    conn.close()
    server.close()
    assert got == total, (got, total)
    whole = time.monotonic() - started
    if args.terse:
        print(f"{loop:.3f} {total / loop / 1e6:.0f} {whole:.3f}")
        return
    print(
        f"{args.mode}: loop {loop:.3f} s, {total / loop / 1e6:.0f} MB/s; "
        f"whole {whole:.3f} s; {count} recvs"
    )


if __name__ == "__main__":
    main()
