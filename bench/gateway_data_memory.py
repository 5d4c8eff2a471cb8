#!/usr/bin/env python3
"""Resident memory of `mamori gateway` while it receives one large message.

    cargo build --release --bin mamori
    bench/gateway_data_memory.py target/release/mamori 50 200 500

For each size (MiB): starts the gateway on a free loopback port with a next hop nobody listens on
(so nothing is delivered), sends EHLO/MAIL/RCPT/DATA and the message in lines of 80 bytes, then
reads the process's VmRSS before the final "." (the whole message has been received), sends ".",
and times the reply (fsync and rename into the queue). Prints one Markdown table row per size.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(binary, mib):
    port = free_port()
    data = tempfile.mkdtemp()
    gateway = subprocess.Popen(
        [binary, "gateway", "--listen", f"127.0.0.1:{port}", "--next-hop", f"127.0.0.1:{free_port()}",
         "--accept-domain", "city.example.lg.jp", "--data", data,
         "--max-size", str((mib + 16) << 20), "--min-free-mb", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def rss_mib():
        with open(f"/proc/{gateway.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) // 1024

    try:
        for _ in range(400):
            try:
                conn = socket.create_connection(("127.0.0.1", port))
                break
            except OSError:
                time.sleep(0.05)
        replies = conn.makefile("rb")

        def reply():
            while True:
                line = replies.readline()
                if line[3:4] != b"-":
                    return line

        reply()
        idle = rss_mib()
        for command in [b"EHLO bench\r\n", b"MAIL FROM:<a@internet.example>\r\n",
                        b"RCPT TO:<u@city.example.lg.jp>\r\n", b"DATA\r\n"]:
            conn.sendall(command)
            reply()
        chunk = b"Subject: large\r\n\r\n" + (b"x" * 78 + b"\r\n") * (1 << 14)
        sent = 0
        while sent < mib << 20:
            conn.sendall(chunk)
            sent += len(chunk)
        time.sleep(0.5)
        received = rss_mib()
        start = time.monotonic()
        conn.sendall(b".\r\n")
        answer = reply().decode().strip()
        took = time.monotonic() - start
        conn.sendall(b"QUIT\r\n")
        return f"| {mib} MiB | {idle} MiB | {received} MiB | {took:.2f} s | `{answer[:9]}` |"
    finally:
        gateway.kill()
        gateway.wait()
        subprocess.run(["rm", "-rf", data], check=False)


if __name__ == "__main__":
    binary = sys.argv[1]
    print("| message | RSS idle | RSS when all of DATA is received | `.` → reply | reply |")
    print("|---|---|---|---|---|")
    for size in sys.argv[2:] or ["200"]:
        print(measure(binary, int(size)), flush=True)
