#!/usr/bin/env python3
"""The precision harness: nestlint, with default settings, over real NestJS apps.

    python3 bench/corpus.py run CORPUS [--out FINDINGS.json] [--binary PATH] [--apps a,b]
    python3 bench/corpus.py sample FINDINGS.json [--rule RULE] [--size 60] [--seed 12] [--context 3]
    python3 bench/corpus.py compare BEFORE.json AFTER.json [--context 3]

CORPUS is a directory with one checked-out app per subdirectory, named as in bench/corpus.json
(which gives each app's repository and commit; `git clone` it and `git checkout` the commit, or
`git archive` it, into CORPUS/<name>). `run` lints each app from its root, as `npx nestlint` would
there, and prints the findings per rule and per app. `sample` prints, per rule, every finding when
there are at most 40, else a seeded random sample of SIZE, each with its source context, for
reading; the verdicts go to docs/precision.md. `compare` lists the findings that appear or
disappear between two runs (matched by app, rule, file, line and message), with context, so that
every finding a change removes is read.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MANIFEST = os.path.join(REPO, "bench", "corpus.json")
READ_ALL_UP_TO = 40


def load_manifest():
    with open(MANIFEST, encoding="utf-8") as f:
        return json.load(f)


def default_binary():
    metadata = subprocess.run(
        ["cargo", "metadata", "--no-deps", "--format-version", "1", "--offline"],
        cwd=REPO, capture_output=True, text=True, check=True,
    )
    return os.path.join(json.loads(metadata.stdout)["target_directory"], "release", "nestlint")


def run(args):
    binary = os.path.abspath(args.binary) if args.binary else default_binary()
    if not args.binary:
        subprocess.run(["cargo", "build", "--release", "-q"], cwd=REPO, check=True)
    apps = load_manifest()["apps"]
    if args.apps:
        wanted = set(args.apps.split(","))
        apps = [a for a in apps if a["name"] in wanted]
    findings = []
    timings = {}
    for app in apps:
        root = os.path.join(args.corpus, app["name"])
        if not os.path.isdir(root):
            print(f"corpus.py: {root} is missing; check out {app['repository']}@{app['commit']}",
                  file=sys.stderr)
            sys.exit(2)
        started = time.perf_counter()
        done = subprocess.run([binary, "--no-cache", "--format", "json", "."], cwd=root,
                              capture_output=True, text=True)
        timings[app["name"]] = time.perf_counter() - started
        if done.returncode not in (0, 1):
            print(f"corpus.py: nestlint failed on {app['name']} ({done.returncode}):\n{done.stderr}",
                  file=sys.stderr)
            sys.exit(2)
        for d in json.loads(done.stdout)["diagnostics"]:
            findings.append({
                "app": app["name"],
                "rule": d["rule"],
                "path": d["path"],
                "line": d["start"]["line"],
                "column": d["start"]["column"],
                "message": d["message"],
            })
    findings.sort(key=lambda f: (f["app"], f["rule"], f["path"], f["line"], f["column"]))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump({"corpus": os.path.abspath(args.corpus), "findings": findings}, f, indent=1)
    per_rule = Counter(f["rule"] for f in findings)
    per_app = defaultdict(Counter)
    for f in findings:
        per_app[f["rule"]][f["app"]] += 1
    print(f"{len(findings)} findings in {len(apps)} apps")
    for rule, count in sorted(per_rule.items()):
        apps_text = ", ".join(f"{a} {n}" for a, n in sorted(per_app[rule].items()))
        print(f"  {rule}: {count} ({apps_text})")
    for name, seconds in timings.items():
        print(f"  {name}: {seconds:.2f} s", file=sys.stderr)


def context(corpus, finding, lines):
    path = os.path.join(corpus, finding["app"], finding["path"])
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read().splitlines()
    except OSError as err:
        return f"    ({err})"
    line = finding["line"]
    out = []
    for number in range(max(1, line - lines), min(len(text), line + lines) + 1):
        marker = ">" if number == line else " "
        out.append(f"  {marker}{number:5} | {text[number - 1]}")
    return "\n".join(out)


def show(corpus, finding, lines):
    print(f"[{finding['app']}] {finding['path']}:{finding['line']}:{finding['column']} "
          f"{finding['rule']}: {finding['message']}")
    print(context(corpus, finding, lines))
    print()


def sample(args):
    with open(args.findings, encoding="utf-8") as f:
        data = json.load(f)
    by_rule = defaultdict(list)
    for finding in data["findings"]:
        by_rule[finding["rule"]].append(finding)
    for rule in sorted(by_rule):
        if args.rule and rule != args.rule:
            continue
        found = by_rule[rule]
        if len(found) <= max(READ_ALL_UP_TO, args.size):
            chosen = found
            how = f"all {len(found)}"
        else:
            chosen = random.Random(args.seed).sample(found, args.size)
            chosen.sort(key=lambda f: (f["app"], f["path"], f["line"]))
            how = f"a sample of {args.size} of {len(found)} (seed {args.seed})"
        print(f"==== {rule}: {how}\n")
        for number, finding in enumerate(chosen, 1):
            print(f"#{number} ", end="")
            show(data["corpus"], finding, args.context)


def compare(args):
    def load(path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)

    before, after = load(args.before), load(args.after)

    def key(f):
        return (f["app"], f["rule"], f["path"], f["line"], f["message"])

    old = Counter(key(f) for f in before["findings"])
    new = Counter(key(f) for f in after["findings"])
    gone = [f for f in before["findings"] if old[key(f)] > new[key(f)]]
    added = [f for f in after["findings"] if new[key(f)] > old[key(f)]]
    for title, group, corpus in (("disappeared", gone, before["corpus"]),
                                 ("appeared", added, after["corpus"])):
        per_rule = Counter(f["rule"] for f in group)
        print(f"==== {len(group)} findings {title}: "
              + ", ".join(f"{r} {n}" for r, n in sorted(per_rule.items())) + "\n")
        for finding in group:
            show(corpus, finding, args.context)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("run", help="lint every app of the corpus")
    p.add_argument("corpus")
    p.add_argument("--out")
    p.add_argument("--binary", help="a nestlint binary (default: build and use the release one)")
    p.add_argument("--apps", help="comma-separated app names (default: all)")
    p.set_defaults(func=run)
    p = commands.add_parser("sample", help="findings to read, per rule")
    p.add_argument("findings")
    p.add_argument("--rule")
    p.add_argument("--size", type=int, default=60)
    p.add_argument("--seed", type=int, default=12)
    p.add_argument("--context", type=int, default=3)
    p.set_defaults(func=sample)
    p = commands.add_parser("compare", help="findings that appear or disappear between two runs")
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--context", type=int, default=3)
    p.set_defaults(func=compare)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
