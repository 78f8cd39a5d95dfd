#!/usr/bin/env python3
"""Drives `nestlint lsp` as an editor does and measures how long a re-lint takes after an edit.

    python3 bench/lsp.py DIR FILE [--edits N] [--binary BIN]

Starts the server in DIR (the workspace folder), opens FILE (relative to DIR), then sends N
edits (a comment appended, a new version each time) and times each one from `didChange` to the
`publishDiagnostics` that answers it, less the server's 60 ms debounce. Reports the median and
95th percentile, and the server's resident memory after the first tenth of the edits and at the
end (it must stay flat).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

DEBOUNCE = 0.060


class Server:
    def __init__(self, binary, root):
        self.process = subprocess.Popen([binary, "lsp"], cwd=root, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=open(os.environ.get("LSP_STDERR", os.devnull), "w"))

    def send(self, message):
        body = json.dumps(message).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def receive(self):
        length = None
        while True:
            line = self.process.stdout.readline()
            if not line:
                sys.exit("the server closed its output")
            line = line.strip()
            if not line:
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(self.process.stdout.read(length))

    def rss_mb(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("file")
    parser.add_argument("--edits", type=int, default=100)
    parser.add_argument("--binary", default=os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "target/release/nestlint"))
    args = parser.parse_args()
    root = os.path.abspath(args.directory)
    path = os.path.join(root, args.file)
    uri = "file://" + path
    server = Server(args.binary, root)
    server.send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                 "params": {"processId": None, "rootUri": "file://" + root, "capabilities": {}}})
    while server.receive().get("id") != 1:
        pass
    server.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})

    def diagnostics():
        while True:
            message = server.receive()
            if (message.get("method") == "textDocument/publishDiagnostics"
                    and message["params"]["uri"] == uri):
                return message

    with open(path) as source:
        text = source.read()
    started = time.perf_counter()
    server.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "typescript", "version": 1, "text": text}}})
    diagnostics()
    opened = time.perf_counter() - started
    times = []
    early_rss = None
    for edit in range(args.edits):
        started = time.perf_counter()
        server.send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": edit + 2},
            "contentChanges": [{"text": text + f"\n// edit {edit}\n"}]}})
        diagnostics()
        times.append(time.perf_counter() - started - DEBOUNCE)
        if edit + 1 == max(1, args.edits // 10):
            early_rss = server.rss_mb()
    late_rss = server.rss_mb()
    server.send({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None})
    server.send({"jsonrpc": "2.0", "method": "exit", "params": None})
    server.process.wait(timeout=30)
    times.sort()
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(f"{args.file}: {len(text.splitlines())} lines; first diagnostics after opening: "
          f"{opened:.2f} s")
    print(f"re-lint after an edit, {args.edits} edits: median {statistics.median(times) * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms (debounce excluded)")
    print(f"server memory: {early_rss:.0f} MB after {max(1, args.edits // 10)} edits, "
          f"{late_rss:.0f} MB after {args.edits}")


if __name__ == "__main__":
    main()
