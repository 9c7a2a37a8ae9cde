#!/usr/bin/env python3
"""A BUGGY json-header echo server, written the way the tutorials write it (自定义报头):
an iterative server (one client at a time), recv(4) for the header length, recv(n) for
the JSON header, then `while recv_size < total_size: data += conn.recv(1024)`.

Its bugs, all from the tutorials: recv(4) and recv(header_size) trust one call to
return everything (a header in pieces makes struct.unpack or json.loads fail, and the
exception ends the whole server); the body loop asks for 1024 bytes whatever is left,
so with messages glued together it reads into the next one; and while one client is
connected, nobody else is served.

    python3 json_header_tutorial.py [PORT]

Prints `port N` once it listens.
"""

import json
import socket
import struct
import sys


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(5)
    print(f"port {server.getsockname()[1]}", flush=True)
    while True:
        conn, addr = server.accept()
        while True:
            try:
                header_len_bytes = conn.recv(4)
                if not header_len_bytes:
                    break
                header_len = struct.unpack("i", header_len_bytes)[0]
                header = json.loads(conn.recv(header_len).decode("utf-8"))
                total_size = header["total_size"]
                recv_size = 0
                data = b""
                while recv_size < total_size:
                    res = conn.recv(1024)
                    data += res
                    recv_size += len(res)
                reply = json.dumps({"total_size": len(data)}).encode("utf-8")
                conn.send(struct.pack("i", len(reply)))
                conn.send(reply)
                conn.sendall(data)
            except ConnectionResetError:
                break
        conn.close()


if __name__ == "__main__":
    main()
