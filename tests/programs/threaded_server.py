"""What the test servers share: listen on 127.0.0.1 (the port from argv[1], 0 by
default: a free one), print `port N` once listening, and serve every connection on a
thread of its own with the server's `serve(conn)`."""

import socket
import sys
import threading


def serve_forever(serve):
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(16)
    print(f"port {listener.getsockname()[1]}", flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()
