#!/usr/bin/env python3
"""How fast a stickylab run's `recv until eof` loop went, from its JSON (one run on
stdin): the time from the start of the first recv() that returned bytes to the end of
the eof (`t_us` + `dur_us`), and the bytes in between. Prints `SECONDS MB_PER_S RECVS`.

The wait for the sender's first byte is left out, as tests/bench/transfer.py leaves it
out of the Python loops (stickylab's sender makes its value first: 60 MiB of `bytes`
take it a while).
"""
import json
import sys


def main():
    run = json.loads(sys.stdin.readline())
    recvs = [
        e
        for e in run["events"]
        if e["op"] == "recv" and e.get("call", "").startswith("recv until eof")
    ]
    first = next(e for e in recvs if e.get("result", 0) > 0)
    start = first["t_us"]
    end = recvs[-1]["t_us"] + recvs[-1]["dur_us"]
    got = sum(e.get("result", 0) for e in recvs)
    seconds = (end - start) / 1e6
    print(f"{seconds:.3f} {got / seconds / 1e6:.0f} {len(recvs)}")


if __name__ == "__main__":
    main()
