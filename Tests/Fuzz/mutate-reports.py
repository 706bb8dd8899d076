#!/usr/bin/env python3
"""Mutated report.json files through `connbench report` and `connbench merge`.

Each mutation changes one field of a real report (deleted, null, -1, 0, 2^52+1, 2^64,
2^70, 1e308, -1e308, "nan", "inf", a string, an empty array or object, a flipped base64
character) or cuts the file short. `report` re-renders the folder; `merge` adds it to
another real run. Either must render, or refuse in one line with exit 65 (bad data) or
66 (unreadable): an exit by a signal, a hang or a line that is not one is a failure.

  Tests/Fuzz/mutate-reports.py BINARY COUNT SEED_DIR[:PARTNER_DIR]...

Each SEED_DIR is a run folder whose report.json is mutated; PARTNER_DIR, a distinct run of
the same kind that it merges with (without one, merge is not tried for that seed).
"""
import json, os, random, shutil, subprocess, sys, tempfile

VALUES = [None, -1, 0, 1, 2**52 + 1, 2**64, 2**70, 1e308, -1e308, "nan", "inf", "-inf", "x", [], {}, True, 0.5]


def paths(node, at=()):
    yield at
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, at + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, at + (i,))


def mutate(doc, rng):
    """One mutation of a parsed document (in place); returns what it did."""
    all_paths = [p for p in paths(doc["run"]) if p]
    path = rng.choice(all_paths)
    parent = doc["run"]
    for k in path[:-1]:
        parent = parent[k]
    key = path[-1]
    old = parent[key]
    if isinstance(old, str) and len(old) > 40 and rng.random() < 0.5:  # a histogram's base64
        i = rng.randrange(len(old))
        parent[key] = old[:i] + rng.choice("AZaz09+/=") + old[i + 1:]
        return f"flip a character of run.{'.'.join(map(str, path))}"
    if isinstance(parent, dict) and rng.random() < 0.15:
        del parent[key]
        return f"delete run.{'.'.join(map(str, path))}"
    value = rng.choice(VALUES)
    parent[key] = value
    return f"run.{'.'.join(map(str, path))} = {json.dumps(value)}"


def run(binary, args):
    try:
        p = subprocess.run([binary] + args, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return "hang", ""
    return p.returncode, p.stderr


def main():
    binary, count = sys.argv[1], int(sys.argv[2])
    pairs = [(a.split(":") + [None])[:2] for a in sys.argv[3:]]
    seeds = [p[0] for p in pairs]
    partner = dict(pairs)
    rng = random.Random(33)
    texts = {s: open(os.path.join(s, "report.json")).read() for s in seeds}
    work = tempfile.mkdtemp(prefix="connbench-mutate-")
    outcomes, failures = {}, []
    try:
        for n in range(count):
            seed = seeds[n % len(seeds)]
            other = partner[seed]
            folder = os.path.join(work, "m")
            shutil.rmtree(folder, ignore_errors=True)
            os.makedirs(folder)
            if rng.random() < 0.1:
                text = texts[seed][: rng.randrange(len(texts[seed]))]
                what = "cut short"
            else:
                doc = json.loads(texts[seed])
                what = "; ".join(mutate(doc, rng) for _ in range(rng.choice([1, 1, 1, 2, 3])))
                text = json.dumps(doc, allow_nan=True)
            with open(os.path.join(folder, "report.json"), "w") as f:
                f.write(text)
            runs = [("report", ["report", folder, "--output", os.path.join(work, "out")])]
            if other:
                runs.append(("merge", ["merge", folder, other, "--output", os.path.join(work, "merged")]))
            for name, args in runs:
                code, err = run(binary, args)
                outcomes[(name, code)] = outcomes.get((name, code), 0) + 1
                lines = [l for l in err.splitlines() if l.strip()]
                bad = code == "hang" or code < 0 or code not in (0, 65, 66)
                bad = bad or (code != 0 and len(lines) != 1)
                if bad:
                    failures.append((name, code, what, err.strip()[-600:]))
                    keep = os.path.join(tempfile.gettempdir(), f"connbench-mutate-failure-{len(failures)}.json")
                    shutil.copy(os.path.join(folder, "report.json"), keep)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for (name, code), k in sorted(outcomes.items(), key=lambda x: (x[0][0], str(x[0][1]))):
        print(f"{name}: exit {code}: {k}")
    for name, code, what, err in failures[:20]:
        print(f"FAILED {name} exit {code} after {what}:\n  {err}")
    print(f"{count} mutated reports, {sum(outcomes.values())} runs, {len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
