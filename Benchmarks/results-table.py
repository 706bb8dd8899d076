#!/usr/bin/env python3
"""results-table.py — regenerates the table of headline figures in Results/README.md.

Reads every Results/*/ folder: a run's report.json (its `summary` part, schema
connbench.report/1, docs/report-schema.md) and fingerprint.txt (Benchmarks/fingerprint.sh:
the command and the machine), and writes one row per folder between the markers
`<!-- table:begin -->` and `<!-- table:end -->` of the README. Folders without report.json
(runs older than the JSON report) get what their summary.csv and summary.txt hold, marked
"(no report.json: older format)"; compare, sweep, exhaust and probe folders get one line of
what their text report concludes. Nothing else in the README changes. Standard library only.

usage (from the repository root; Benchmarks/refresh-results.sh runs it at the end):
  python3 Benchmarks/results-table.py                     # rewrite Results/README.md's table
  python3 Benchmarks/results-table.py --results DIR       # another folder (README: DIR/README.md)
  python3 Benchmarks/results-table.py --print             # print the table, write nothing
  python3 Benchmarks/results-table.py --check             # exit 1 if the README's table is stale
"""
import argparse
import csv
import json
import os
import re
import sys

BEGIN, END = "<!-- table:begin -->", "<!-- table:end -->"
SCHEMA = "connbench.report/1"
HEADER = ["run", "command", "requested/s", "achieved/s", "established/s",
          "p50 µs", "p99 µs", "p99.9 µs", "connect() p99 µs", "errors", "onset",
          "verdict", "machine", "commit", "date (UTC)"]
OLDER = "(no report.json: older format)"


def cell(text):
    """A Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|") if text not in (None, "") else "–"


def num(x, digits=None):
    """A rate or latency: 1 decimal below 100, whole numbers with , grouping above."""
    if x is None or x == "":
        return "–"
    try:
        v = float(x)
    except ValueError:
        return str(x)
    if digits is None:
        digits = 1 if abs(v) < 100 else 0
    return f"{v:,.{digits}f}"


def read_fingerprint(folder):
    """fingerprint.txt as a dict (key=value lines), {} without one."""
    path = os.path.join(folder, "fingerprint.txt")
    fp = {}
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                key, sep, value = line.rstrip("\n").partition("=")
                if sep:
                    fp[key.strip()] = value.strip()
    return fp


def machine(fp, kernel=None):
    """The short fingerprint: CPUs × model, memory, virtualisation, kernel."""
    if not fp:
        return f"kernel {kernel} (no fingerprint.txt)" if kernel else "(no fingerprint.txt)"
    parts = []
    if fp.get("cpus_online") or fp.get("cpu_model"):
        parts.append(f"{fp.get('cpus_online', '?')}× {fp.get('cpu_model', '?')}")
    if fp.get("mem_total_mib", "").isdigit():
        parts.append(f"{round(int(fp['mem_total_mib']) / 1024)} GiB")
    if fp.get("numa_nodes") not in (None, "", "1"):
        parts.append(f"{fp['numa_nodes']} NUMA nodes")
    virt = fp.get("virtualization", "")
    names = [v.split(":", 1)[1] for v in virt.split() if ":" in v and not v.endswith(":none")]
    names = [n for n in names if n != "hypervisor-flag"] or (["VM"] if "hypervisor-flag" in virt else [])
    if names:
        parts.append("/".join(dict.fromkeys(names)))  # e.g. docker/KVM, in order, once each
    parts.append(fp.get("kernel_release", kernel or "?"))
    if fp.get("loadavg"):  # how busy the machine was just before the run: 1-minute load, CPU over 1 s
        busy = f", {fp['cpu_busy_pct']}% busy before" if fp.get("cpu_busy_pct") else ""
        parts.append(f"load {fp['loadavg'].split()[0]}{busy}")
    return ", ".join(parts)


def first_clause(verdict):
    """The verdict line without `verdict: ` and its explanations: each `;`-separated part
    (rate; generator behind or failures; slow tail) up to 160 characters, and no
    `likely cause:` part (the onset has a column of its own)."""
    v = (verdict or "").strip()
    if v.startswith("verdict:"):
        v = v[len("verdict:"):].strip()
    parts = [p for p in v.split("; ") if p and not p.startswith("likely cause")]
    return "; ".join(p if len(p) <= 160 else p[:159].rstrip() + "…" for p in parts)


def row_from_report(name, folder, fp):
    with open(os.path.join(folder, "report.json"), encoding="utf-8") as f:
        report = json.load(f)
    if report.get("schema") != SCHEMA:
        return [name, fp.get("command", ""), *(["–"] * 8),
                f"(report.json of schema {report.get('schema')!r}: not read)", machine(fp), fp.get("connbench_commit"), ""]
    s = report["summary"]
    counts = s.get("counts", {})
    lat = s.get("latency_corrected_us", {})
    call = s.get("latency_call_us", {})
    errors = s.get("errors") or []
    err = f"{counts.get('failed', 0):,}"
    if errors:
        top = max(errors, key=lambda e: e.get("count", 0))
        err += f" ({top.get('errno')} from {top.get('call')}" + (f", +{len(errors) - 1} more" if len(errors) > 1 else "") + ")"
    if counts.get("timed_out"):
        err += f", {counts['timed_out']:,} timed out"
    onset = s.get("onset")
    onset_text = ""
    if onset:
        signal = onset.get("signal", "?") + (f" ({onset['call']})" if onset.get("call") else "")
        onset_text = f"{signal} at {onset.get('at_s', 0):.2f} s, attempt {onset.get('attempt', 0):,}"
    requested = s.get("requested_per_s")
    date = s.get("started_at_utc", "")
    return [
        f"[{name}]({name}/)",
        fp.get("command", "(no fingerprint.txt)"),
        num(requested, 0) if requested is not None else "max",
        num(s.get("attempted_per_s"), 0),
        num(s.get("established_per_s"), 0),
        num(lat.get("p50")), num(lat.get("p99")), num(lat.get("p99_9")),
        num(call.get("p99")),
        err,
        onset_text or "none",
        first_clause((s.get("verdict") or {}).get("line")),
        machine(fp, s.get("kernel_release")),
        fp.get("connbench_commit", ""),
        date.replace("T", " ")[:16] + ("Z" if date else ""),
    ]


def summary_txt(folder):
    path = os.path.join(folder, "summary.txt")
    if not os.path.isfile(path):
        return []
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def row_from_csv(name, folder, fp):
    """A run older than report.json: its summary.csv (one data row) and summary.txt."""
    with open(os.path.join(folder, "summary.csv"), encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    r = rows[0] if rows else {}
    lines = summary_txt(folder)
    config = {}
    for line in lines[1:]:
        if line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or " " in key:
            break
        config[key] = value
    resolved = " ".join(f"{k}={config[k]}" for k in ("rate", "duration", "close") if k in config)
    if r.get("netns") == "true":
        resolved += " netns"
    if r.get("sysctls"):
        resolved += f" {r['sysctls']}"
    command = fp.get("command") or (f"{OLDER} resolved: {resolved.strip()}" if resolved.strip() else OLDER)
    err = f"{int(r.get('failed') or 0):,}"
    if r.get("first_error"):
        err += f" (first {r['first_error']} from {r.get('first_error_call', '?')})"
    if r.get("timed_out") not in (None, "", "0"):
        err += f", {int(r['timed_out']):,} timed out"
    onset = ""
    if r.get("onset_signal"):
        onset = f"{r['onset_signal']} at {float(r.get('onset_s') or 0):.2f} s, attempt {int(r.get('onset_attempt') or 0):,}"
    verdict = next((line for line in lines if line.startswith("verdict:")), "")
    started = r.get("started_at", "")
    requested = r.get("requested_rate", "")
    return [
        f"[{name}]({name}/)",
        command,
        "max" if requested in ("", "max") else num(requested, 0),
        num(r.get("achieved_rate"), 0),
        num(r.get("established_per_s"), 0),
        num(r.get("p50_us")), num(r.get("p99_us")), num(r.get("p999_us")),
        num(r.get("connect_call_p99_us")),
        err,
        onset or "none",
        first_clause(verdict),
        machine(fp, r.get("kernel")),
        fp.get("connbench_commit", ""),
        started.replace("T", " ")[:16] + ("Z" if started else ""),
    ]


def text_lines(folder, filename):
    path = os.path.join(folder, filename)
    if not os.path.isfile(path):
        return []
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def row_from_other(name, folder, fp):
    """Folders of other commands: their conclusion in one line, in the verdict column."""
    files = set(os.listdir(folder))
    command, verdict, date = fp.get("command", ""), "", ""
    if "compare.txt" in files:
        lines = text_lines(folder, "compare.txt")
        base = next((line for line in lines if line.startswith("base: ")), "")
        command = command or re.sub(r" --output \S+", "", base[len("base: "):])
        settings = dict(m.groups() for line in lines for m in [re.match(r"^  ([A-Z]): (.*)$", line)] if m)
        found = []
        for line in lines:  # the first table: setting, trials, median [CI], vs A [CI], p, verdict
            parts = re.split(r"\s{2,}", line.strip())
            if len(parts) >= 3 and re.fullmatch(r"[A-Z]", parts[0]) and parts[1].isdigit() and "[" in parts[2]:
                label = f"{parts[0]} ({settings[parts[0]]})" if parts[0] in settings else parts[0]
                versus = f" {parts[3].split()[0]} {parts[5]}" if len(parts) >= 6 else f" {parts[3]}" if len(parts) == 4 else ""
                found.append(f"{label} {parts[2].split()[0]}/s{versus}")
        verdict = "compare, median established/s: " + "; ".join(found)
        if lines and lines[0].startswith("connbench compare "):
            stamp = lines[0].split()[2].rstrip(",")
            date = stamp.replace("T", " ")[:16] + "Z"
    elif "sweep.txt" in files:
        lines = text_lines(folder, "sweep.txt")
        command = command or "connbench sweep (" + lines[0].partition(": ")[2] + ")" if lines else command
        verdict = next((line for line in lines if line.startswith("knee:")), "") or next(
            (line.strip() for line in lines if "predicted peak" in line), "")
    elif any(f.endswith("-sweep.txt") for f in files):
        found = []
        for f in sorted(f for f in files if f.endswith("-sweep.txt")):
            lines = text_lines(folder, f)
            peak = next((line.strip() for line in lines if "predicted peak" in line or "fits poorly" in line), "")
            r2 = next((m.group(1) for line in lines for m in [re.search(r"R² ([0-9.]+)", line)] if m), "?")
            found.append(f"{f[: -len('-sweep.txt')]}: R² {r2}" + (f", {peak.split(';')[0]}" if "predicted peak" in peak else ", fits poorly"))
        verdict = "USL fit: " + "; ".join(found)
        command = command or OLDER.replace("report.json", "fingerprint.txt") + " see the .txt files"
    elif "exhaust.txt" in files:
        command = command or "connbench exhaust"
        rows = [line for line in text_lines(folder, "exhaust.txt")[3:] if line.strip() and not line.startswith(" ")]
        verdict = f"exhaust: {len(rows)} strategy rows (exhaust.txt)"
    elif "probe.csv" in files:
        command = command or "connbench probe"
        with open(os.path.join(folder, "probe.csv"), encoding="utf-8", newline="") as f:
            probes = list(csv.DictReader(f))
        tally = {}
        for p in probes:
            tally[p.get("verdict", "?")] = tally.get(p.get("verdict", "?"), 0) + 1
        verdict = "probe: " + ", ".join(f"{v} {k}" for k, v in sorted(tally.items(), key=lambda kv: -kv[1]))
    else:
        verdict = "(no report.json, summary.csv or text report)"
    date = date or (fp.get("date_utc", "").replace("T", " ")[:16] + "Z" if fp.get("date_utc") else "")
    return [f"[{name}]({name}/)", command or "(no fingerprint.txt)", *(["–"] * 8), "–",
            verdict, machine(fp), fp.get("connbench_commit", ""), date]


def rows(results):
    runs, others = [], []
    for name in sorted(os.listdir(results)):
        folder = os.path.join(results, name)
        if name.startswith(".") or not os.path.isdir(folder) or re.match(r"^20\d\d", name):
            continue  # hidden scratch folders and the untracked default run folders
        fp = read_fingerprint(folder)
        if os.path.isfile(os.path.join(folder, "report.json")):
            runs.append(row_from_report(name, folder, fp))
        elif os.path.isfile(os.path.join(folder, "summary.csv")):
            runs.append(row_from_csv(name, folder, fp))
        else:
            others.append(row_from_other(name, folder, fp))
    return runs + others


def table(results):
    lines = ["| " + " | ".join(HEADER) + " |",
             "| " + " | ".join("---" if i in (0, 1, 9, 10, 11, 12, 13, 14) else "---:" for i in range(len(HEADER))) + " |"]
    for r in rows(results):
        lines.append("| " + " | ".join(cell(c) for c in r) + " |")
    return "\n".join(lines)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="Regenerate the table of Results/README.md.")
    ap.add_argument("--results", default=os.path.join(here, "..", "Results"), help="the Results folder")
    ap.add_argument("--readme", help="the README to update (default: RESULTS/README.md)")
    ap.add_argument("--print", action="store_true", help="print the table and write nothing")
    ap.add_argument("--check", action="store_true", help="exit 1 when the README's table is not current")
    a = ap.parse_args()
    text = table(a.results)
    if a.print:
        print(text)
        return 0
    readme = os.path.normpath(a.readme or os.path.join(a.results, "README.md"))
    with open(readme, encoding="utf-8") as f:
        old = f.read()
    if BEGIN not in old or END not in old or old.index(END) < old.index(BEGIN):
        print(f"results-table.py: {readme} lacks the markers {BEGIN} … {END}", file=sys.stderr)
        return 2
    head, rest = old.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    new = f"{head}{BEGIN}\n{text}\n{END}{tail}"
    if a.check:
        if new != old:
            print(f"results-table.py: the table in {readme} is not current", file=sys.stderr)
            return 1
        return 0
    if new != old:
        with open(readme, "w", encoding="utf-8") as f:
            f.write(new)
    print(f"results-table.py: {readme}: {len(text.splitlines()) - 2} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
