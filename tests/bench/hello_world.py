#!/usr/bin/env python3
"""The baseline for `stickylab run hello-world --repeat N`: the same work in plain Python.

Each run: a listener on 127.0.0.1 port 0, connect, accept, two sends ("hello", "world"),
wait until 10 bytes are queued (FIONREAD), one recv(1024), close. Prints runs per second.

The client closes, the server reads the eof and closes its side with SO_LINGER 0, as
stickylab's hello-world does: no run leaves a connection in TIME_WAIT. (With plain
closes every run leaves one, and after a few thousand runs each connect() searches
longer for a free port, so the figures sink with every round of the benchmark.)
"""
import fcntl
import socket
import struct
import sys
import termios
import time


def queued(sock):
    return struct.unpack("i", fcntl.ioctl(sock, termios.FIONREAD, b"\0\0\0\0"))[0]


def abort(sock):
    """close() with SO_LINGER 0: an RST, and no TIME_WAIT on either side."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def one_run():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    client = socket.socket()
    client.connect(server.getsockname())
    conn, _ = server.accept()
    client.send(b"hello")
    client.send(b"world")
    while queued(conn) < 10:
        pass
    data = conn.recv(1024)
    assert data == b"helloworld", data
    client.close()
    assert conn.recv(1024) == b""
    abort(conn)
    server.close()


def one_run_threaded():
    """The same work with one thread per actor, as stickylab runs it."""
    import threading

    ready = threading.Event()
    box = {}

    def server_actor():
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(5)
        box["addr"] = server.getsockname()
        ready.set()
        conn, _ = server.accept()
        while queued(conn) < 10:
            time.sleep(0)
        data = conn.recv(1024)
        assert data == b"helloworld", data
        assert conn.recv(1024) == b""
        abort(conn)
        server.close()

    def client_actor():
        ready.wait()
        client = socket.socket()
        client.connect(box["addr"])
        client.send(b"hello")
        client.send(b"world")
        client.close()

    actors = [threading.Thread(target=server_actor), threading.Thread(target=client_actor)]
    for t in actors:
        t.start()
    for t in actors:
        t.join()


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    runs = int(args[0]) if args else 2000
    work = one_run_threaded if "--threads" in sys.argv else one_run
    start = time.perf_counter()
    for _ in range(runs):
        work()
    elapsed = time.perf_counter() - start
    print(f"{runs} runs in {elapsed:.3f}s: {runs / elapsed:.0f} runs/s")


if __name__ == "__main__":
    main()
