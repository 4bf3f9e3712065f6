#!/usr/bin/env python3
"""HTTP load on loopback (issue 7): classify and single-name screening at fixed request rates.

Starts `chipwarden serve --demo` on a free loopback port, then for each scenario runs `wrk`
(Debian package `wrk`, with bench/load_wrk.lua pacing the requests) at each rate of a ladder and
prints one Markdown table per scenario: target and achieved rate, p50/p99/p99.9 latency as wrk
measured it, errors and non-2xx answers, the server's own mean time per request (from its
/metrics histogram), the CPU the server used (per request and in % of one core) and the CPU
anything else on the machine used meanwhile (a step that something else disturbed by more than
--max-other % of a core is repeated). The highest rate held (achieved at least 97% of the
target, p99 under 20 ms, no errors) is given per scenario. The server runs with its default
logging (RUST_LOG unset: one info line per request) unless --rust-log says otherwise.

Scenarios (the server keeps every case and audit entry it makes):
  classify         POST /api/v1/classify {"model":"H100"}: catalog lookup and rules, no store
  screen-unlisted  POST /api/v1/screen, a name on no demo list: no hit, nothing written
  screen-listed    POST /api/v1/screen, the same listed name every time: one hit, its case
                   already open after the first request (reads the case, writes nothing)
  screen-new       POST /api/v1/screen, a listed name whose letter case changes on every request:
                   a new subject each time, so every request opens a case and appends a signed
                   audit entry to the ledger (a durable write per request)

Usage (from the repository root, after `cargo build --release` and `apt-get install wrk`):
  python3 bench/load_bench.py
  python3 bench/load_bench.py --rates 100,1000,5000 --duration 10 --scenarios classify
Only the standard library is needed.
"""

import argparse
import datetime
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LUA = os.path.join(ROOT, "bench", "load_wrk.lua")
LISTED = "Kaikai Technology Company Limited"  # OFAC SDN entry 18661 in the demo lists
UNLISTED = "Margaret Thornbury"  # on no demo list: no hit

SCENARIOS = {
    "classify": ("/api/v1/classify", {"CW_BODY": json.dumps({"model": "H100"})}),
    "screen-unlisted": ("/api/v1/screen", {"CW_BODY": json.dumps({"name": UNLISTED})}),
    "screen-listed": ("/api/v1/screen", {"CW_BODY": json.dumps({"name": LISTED})}),
    "screen-new": ("/api/v1/screen", {"CW_VARY": LISTED}),
}
HELD_P99_US = 20_000
HELD_FRACTION = 0.97
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(binary, port, workdir, rust_log):
    out = open(os.path.join(workdir, "serve.out"), "w+")
    err = open(os.path.join(workdir, "serve.log"), "w")
    env = dict(os.environ)
    if rust_log:
        env["RUST_LOG"] = rust_log
    proc = subprocess.Popen(
        [binary, "serve", "--demo", "--addr", f"127.0.0.1:{port}"],
        stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
    )
    deadline = time.time() + 60
    token = demo_dir = None
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the server exited with {proc.returncode}; see {err.name}")
        out.seek(0)
        text = out.read()
        m = re.search(r"admin token \(shown this once\): (\S+)", text)
        d = re.search(r"demo data in `([^`]+)`", text)
        if m and d and "listening on" in text:
            token, demo_dir = m.group(1), d.group(1)
            break
        time.sleep(0.1)
    if token is None:
        proc.kill()
        sys.exit("the server did not print its token and address within 60 s")
    return proc, token, demo_dir


def post(url, token, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, json.load(r)


def metrics(base):
    """The server's request-duration histogram: {(method, route): {"sum", "count", "buckets"}}."""
    with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        m = re.match(r'chipwarden_http_request_duration_seconds_(sum|count|bucket)\{(.*)\} (\S+)$', line)
        if not m:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
        h = out.setdefault((labels["method"], labels["route"]), {"sum": 0.0, "count": 0, "buckets": {}})
        if m.group(1) == "bucket":
            le = float("inf") if labels["le"] == "+Inf" else float(labels["le"])
            h["buckets"][le] = float(m.group(3))
        else:
            h[m.group(1)] = float(m.group(3))
    return out


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def busy_cpu():
    """Busy CPU seconds of the whole machine (all cores) from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / CLK_TCK  # all but idle and iowait


def wait_idle(limit_s, busy_pct=15.0):
    """Waits (at most limit_s) for a second in which the machine is busy under busy_pct of one
    core, so that a build or test run beside the benchmark does not land in a step."""
    end = time.time() + limit_s
    while True:
        a = busy_cpu()
        time.sleep(1)
        if (busy_cpu() - a) * 100 < busy_pct or time.time() >= end:
            return


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_wrk(url, token, env_extra, rate, duration, connections, threads, salt):
    env = dict(os.environ, CW_TOKEN=token, CW_RATE=str(rate), CW_THREADS=str(threads), CW_SALT=str(salt))
    env.update(env_extra)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "--latency",
           "-s", LUA, url]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    m = re.search(r"CW_RESULT (\{.*\})", p.stdout)
    if p.returncode != 0 or not m:
        sys.exit(f"wrk failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    res = json.loads(m.group(1))
    res["text"] = p.stdout
    return res


def server_side(before, after, key):
    b, a = before.get(key), after.get(key)
    if a is None:
        return None, None
    b = b or {"sum": 0.0, "count": 0, "buckets": {}}
    n = a["count"] - b["count"]
    if n <= 0:
        return None, None
    mean_us = (a["sum"] - b["sum"]) / n * 1e6
    p99_le = None
    for le in sorted(a["buckets"]):
        if a["buckets"][le] - b["buckets"].get(le, 0) >= 0.99 * n:
            p99_le = le
            break
    return mean_us, p99_le


def ms(us):
    return f"{us / 1000:.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "chipwarden"))
    ap.add_argument("--rates", default="100,200,300,500,600,700,1000,1500,2000,3000,4000,5000,6000,8000,10000",
                    help="target requests/s, comma-separated")
    ap.add_argument("--duration", type=int, default=15, help="seconds per step")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--scenarios", default="classify,screen-unlisted,screen-listed,screen-new")
    ap.add_argument("--no-max", action="store_true", help="skip the unpaced (as fast as it goes) step")
    ap.add_argument("--wait-idle", type=float, default=120,
                    help="before each step, wait up to this many seconds for the machine to be idle")
    ap.add_argument("--max-other", type=float, default=25,
                    help="repeat a step in which other processes used more than this %% of one core")
    ap.add_argument("--retries", type=int, default=3, help="how often a disturbed step is repeated")
    ap.add_argument("--rust-log", help="RUST_LOG for the server (its default, info, logs every request)")
    ap.add_argument("--keep", action="store_true", help="keep the server's log and binary copy")
    ap.add_argument("--json", help="also write every step's numbers here")
    args = ap.parse_args()

    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    rates = [int(r) for r in args.rates.split(",") if r]
    scenarios = [s for s in args.scenarios.split(",") if s]
    for s in scenarios:
        if s not in SCENARIOS:
            sys.exit(f"unknown scenario {s}; known: {', '.join(SCENARIOS)}")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    workdir = tempfile.mkdtemp(prefix="cw-load-")
    # A copy of the binary, so that a build running meanwhile cannot replace it mid-run.
    binary = os.path.join(workdir, "chipwarden")
    shutil.copy2(args.bin, binary)
    port = free_port()
    proc, token, demo_dir = start_server(binary, port, workdir, args.rust_log)
    base = f"http://127.0.0.1:{port}"
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0]
    commit = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(args.bin)), "rev-parse", "--short",
                             "HEAD"], capture_output=True, text=True).stdout.strip() or "unknown"
    print(f"# {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {args.bin} (checkout at {commit}), "
          f"{wrk_version}, {os.cpu_count()} cores (server and wrk share them)")
    print(f"# server pid {proc.pid} on {base}, RUST_LOG={args.rust_log or 'unset (info)'}; wrk -t{args.threads} "
          f"-c{args.connections} -d{args.duration}s, paced by bench/load_wrk.lua")

    # Check the requests answer as expected before measuring.
    st, body = post(base + "/api/v1/classify", token, {"model": "H100"})
    assert st == 200 and body.get("eccn"), body
    st, body = post(base + "/api/v1/screen", token, {"name": UNLISTED})
    assert st == 200 and body["hits"] == [], body
    st, body = post(base + "/api/v1/screen", token, {"name": LISTED})
    assert st == 200 and len(body["hits"]) >= 1 and body["case_ids"], body

    results = []
    salt = 0
    try:
        for name in scenarios:
            path, env_extra = SCENARIOS[name]
            url = base + path
            key = ("POST", path)
            salt += 1
            run_wrk(url, token, env_extra, 200, 3, args.connections, args.threads, salt)  # warm-up
            steps = [(r, r) for r in rates] + ([] if args.no_max else [(0, "max")])
            rows = []
            for rate, label in steps:
                salt += 1
                for attempt in range(1 + args.retries):
                    wait_idle(args.wait_idle)
                    before, cpu0, kid0, all0 = metrics(base), cpu_seconds(proc.pid), children_cpu(), busy_cpu()
                    r = run_wrk(url, token, env_extra, rate, args.duration, args.connections, args.threads, salt)
                    after, cpu1, kid1, all1 = metrics(base), cpu_seconds(proc.pid), children_cpu(), busy_cpu()
                    other = max(0.0, (all1 - all0) - (cpu1 - cpu0) - (kid1 - kid0)) / (r["duration_us"] / 1e6) * 100
                    if other <= args.max_other:
                        break
                    print(f"  {name} {label}: something else used {other:.0f}% of a core; again",
                          file=sys.stderr, flush=True)
                    salt += 1
                secs = r["duration_us"] / 1e6
                achieved = r["requests"] / secs
                errors = r["connect"] + r["read"] + r["write"] + r["timeout"]
                mean_srv, p99_le = server_side(before, after, key)
                n = max(r["requests"], 1)
                row = {
                    "scenario": name, "target": label, "achieved": achieved, "requests": r["requests"],
                    "p50_us": r["p50_us"], "p99_us": r["p99_us"], "p999_us": r["p999_us"],
                    "max_us": r["max_us"], "mean_us": r["mean_us"], "errors": errors, "non2xx": r["status"],
                    "server_mean_us": mean_srv, "server_p99_le_s": p99_le,
                    "server_cpu_us_per_req": (cpu1 - cpu0) / n * 1e6,
                    "wrk_cpu_us_per_req": (kid1 - kid0) / n * 1e6,
                    "server_cpu_pct": (cpu1 - cpu0) / secs * 100,
                    # everything else the machine did meanwhile (builds, other jobs), % of one core
                    "other_cpu_pct": max(0.0, (all1 - all0) - (cpu1 - cpu0) - (kid1 - kid0)) / secs * 100,
                }
                row["held"] = (rate > 0 and achieved >= HELD_FRACTION * rate and r["p99_us"] < HELD_P99_US
                               and errors == 0 and r["status"] == 0)
                rows.append(row)
                results.append(row)
                print(f"  {name} {label}: {achieved:.0f}/s p50 {ms(r['p50_us'])} p99 {ms(r['p99_us'])} ms "
                      f"err {errors} non2xx {r['status']} server cpu {row['server_cpu_pct']:.0f}% other {row['other_cpu_pct']:.0f}%",
                      file=sys.stderr, flush=True)
            print_table(name, path, rows)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        if demo_dir and os.path.isdir(demo_dir) and os.path.basename(demo_dir).startswith("chipwarden-demo-"):
            shutil.rmtree(demo_dir, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


def print_table(name, path, rows):
    print(f"\n### {name} (`POST {path}`)\n")
    print("| target req/s | achieved req/s | p50 ms | p99 ms | p99.9 ms | max ms | errors | non-2xx "
          "| server mean ms | server CPU µs/req | server CPU % | other CPU % | held |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        srv = "" if r["server_mean_us"] is None else ms(r["server_mean_us"])
        held = "yes" if r["held"] else ("" if r["target"] == "max" else "no")
        target = "unpaced" if r["target"] == "max" else f"{r['target']:,}"
        print(f"| {target} | {r['achieved']:,.0f} | {ms(r['p50_us'])} | {ms(r['p99_us'])} | {ms(r['p999_us'])} "
              f"| {ms(r['max_us'])} | {r['errors']} | {r['non2xx']} | {srv} | {r['server_cpu_us_per_req']:.0f} "
              f"| {r['server_cpu_pct']:.0f} | {r['other_cpu_pct']:.0f} | {held} |")
    held = [r["target"] for r in rows if r["held"]]
    best = max(held) if held else None
    print(f"\nHighest rate held (>= {HELD_FRACTION:.0%} of target, p99 < 20 ms, no errors): "
          f"{f'{best:,} req/s' if best else 'none'}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
