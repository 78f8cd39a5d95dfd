#!/usr/bin/env python3
"""Drives `nestlint lsp` as an editor does and measures how long a re-lint takes after an edit.

    python3 bench/lsp.py DIR FILE [--edits N] [--mode typing|append|facts] [--binary BIN]

Starts the server in DIR (the workspace folder) as an editor that watches files (it registers
the server's file watchers), opens FILE (relative to DIR), then sends N edits, the whole text each
time (full synchronisation), and times each one from `didChange` to the `publishDiagnostics` that
answers it, less the server's 60 ms debounce. The edits (`--mode`):

- `typing` (the default): a statement typed into a method body in the middle of the file, one
  character per edit (brackets closing themselves, as editors close them), then deleted again,
  one character per edit; the text in between is often broken code, as it is while one types;
- `append`: a comment appended at the end of the file;
- `facts`: a route decorator added to a method and removed again, in turn: every edit changes
  what the project pass sees.

Reports the median and 95th percentile, and the server's resident memory after the first tenth of
the edits and at the end (it must stay flat).
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
    parser.add_argument("--mode", choices=["typing", "append", "facts"], default="typing")
    parser.add_argument("--binary", default=os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "target/release/nestlint"))
    args = parser.parse_args()
    root = os.path.abspath(args.directory)
    path = os.path.join(root, args.file)
    uri = "file://" + path
    server = Server(args.binary, root)
    server.send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                 "params": {"processId": None, "rootUri": "file://" + root, "capabilities": {
                     "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True}}}}})
    while server.receive().get("id") != 1:
        pass
    server.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})

    def diagnostics():
        while True:
            message = server.receive()
            if "id" in message and "method" in message:
                # A request of the server's (registering watchers, progress): granted.
                server.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif (message.get("method") == "textDocument/publishDiagnostics"
                    and message["params"]["uri"] == uri):
                return message

    with open(path) as source:
        text = source.read()
    edits = edited_texts(text, args.mode)
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
            "contentChanges": [{"text": edits(edit)}]}})
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
    print(f"re-lint after an edit ({args.mode}), {args.edits} edits: median {statistics.median(times) * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms (debounce excluded)")
    print(f"server memory: {early_rss:.0f} MB after {max(1, args.edits // 10)} edits, "
          f"{late_rss:.0f} MB after {args.edits}")


def edited_texts(text, mode):
    """The text after edit number `n`, for each mode."""
    lines = text.split("\n")
    if mode == "append":
        return lambda n: text + f"\n// edit {n}\n"
    if mode == "facts":
        # Before the first method of the file's last class that has a body and no decorator.
        for at in range(len(lines) - 1, 0, -1):
            line = lines[at]
            stripped = line.strip()
            if (stripped.startswith(("async ", "public ", "private ")) and stripped.endswith("{")
                    and "(" in stripped and not lines[at - 1].strip().startswith("@")):
                indent = line[:len(line) - len(line.lstrip())]
                with_decorator = "\n".join(lines[:at] + [indent + "@Get('probe')"] + lines[at:])
                return lambda n: with_decorator if n % 2 == 0 else text
        sys.exit("no method to decorate")
    # Typing: after a statement in a method body, near the middle of the file.
    middle = len(lines) // 2
    for at in sorted(range(len(lines)), key=lambda i: abs(i - middle)):
        line = lines[at]
        indent = line[:len(line) - len(line.lstrip())]
        if line.rstrip().endswith(";") and len(indent.expandtabs(4)) >= 8:
            break
    else:
        sys.exit("no statement to type after")
    statement = "const probe = this.items.filter((item) => item.id !== undefined).length;"
    before = "\n".join(lines[:at + 1]) + "\n" + indent
    after = "\n" + "\n".join(lines[at + 1:])

    def typed(n):
        # Typed one character per edit, then deleted one character per edit. Brackets close
        # themselves as editors close them (VS Code's default): `(` gives `()`, and typing the
        # `)` steps over the one already there.
        n %= 2 * len(statement)
        count = n + 1 if n < len(statement) else 2 * len(statement) - n - 1
        pending = []
        for char in statement[:count]:
            if char in "([{":
                pending.append({"(": ")", "[": "]", "{": "}"}[char])
            elif pending and char == pending[-1]:
                pending.pop()
        return before + statement[:count] + "".join(reversed(pending)) + after
    return typed


if __name__ == "__main__":
    main()
