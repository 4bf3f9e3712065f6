#!/usr/bin/env python3
"""One against two `chipwarden serve` processes over one PostgreSQL database (issue 8), in one run.

For each number of servers (1, then 2) and each scenario, wrk drives every server at once as fast
as it answers (unpaced; the connections are split between the servers, so the total is the same)
and the table gives the total throughput, the latency percentiles of the worst server, and where
the CPU went: the servers, PostgreSQL (every `postgres` process), wrk, and anything else.

Scenarios:
  screen   POST /api/v1/screen, a name on no list: a read of the store per request (the token,
           the current list versions), the match in the server's memory
  ingest   POST /api/v1/usage, 100 new usage records per request (ids never sent before): one
           INSERT ... ON CONFLICT DO NOTHING of 100 rows per request, committed

Usage (from the repository root, after `cargo build --release`, `apt-get install wrk postgresql`,
and with a PostgreSQL role that may create databases):
  python3 bench/pg_servers_bench.py --admin-url postgres://chipwarden:chipwarden@127.0.0.1:5432/chipwarden
Only the standard library and `psql` are needed.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load_bench as lb  # noqa: E402  (the wrk runner and CPU accounting are shared)

ROOT = lb.ROOT
LISTS = os.path.join(ROOT, "crates", "lists", "test_data")
SCENARIOS = {
    "screen": ("/api/v1/screen", {"CW_BODY": json.dumps({"name": lb.UNLISTED})}, 1),
    "ingest": ("/api/v1/usage", {"CW_USAGE": "100"}, 100),
}


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p.stdout


def postgres_cpu():
    """CPU seconds of every process named postgres (the server and its backends)."""
    total = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() != "postgres":
                    continue
            total += lb.cpu_seconds(int(pid))
        except (FileNotFoundError, ProcessLookupError, IndexError):
            pass
    return total


def start(binary, data_dir, url, port):
    log = open(os.path.join(data_dir, f"serve-{port}.log"), "w")
    proc = subprocess.Popen([binary, "--data-dir", data_dir, "--database-url", url, "serve", "--addr",
                             f"127.0.0.1:{port}"], stdout=subprocess.PIPE, stderr=log, text=True,
                            env=dict(os.environ, RUST_LOG="warn"))
    line = proc.stdout.readline()
    if "listening on" not in line:
        sys.exit(f"serve did not start: {line}")
    return proc


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--admin-url", required=True, help="a PostgreSQL URL whose role may create databases")
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "chipwarden"))
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--connections", type=int, default=16, help="in all, split between the servers")
    ap.add_argument("--scenarios", default="screen,ingest")
    ap.add_argument("--repeats", type=int, default=2, help="alternate 1 and 2 servers this many times")
    args = ap.parse_args()
    if shutil.which("wrk") is None or shutil.which("psql") is None:
        sys.exit("needs wrk and psql")

    workdir = tempfile.mkdtemp(prefix="cw-pg-servers-")
    binary = os.path.join(workdir, "chipwarden")
    shutil.copy2(args.bin, binary)
    name = f"cw_bench_{os.getpid()}"
    run(["psql", args.admin_url, "-qc", f"CREATE DATABASE {name}"])
    url = re.sub(r"/[^/?]*(\?|$)", f"/{name}\\1", args.admin_url.split("://", 1)[1], count=1)
    url = args.admin_url.split("://", 1)[0] + "://" + url
    data = os.path.join(workdir, "data")
    os.makedirs(data)
    cw = [binary, "--data-dir", data, "--database-url", url]
    token = json.loads(run(cw + ["--json", "tokens", "create", "--name", "bench", "--role", "admin"]))["token"]
    run(cw + ["lists", "import", os.path.join(LISTS, "csl_2025_sample.csv")])
    sdn = os.path.join(LISTS, "ofac_sdn_2021")
    run(cw + ["lists", "import"] + [os.path.join(sdn, f) for f in ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")])
    pg_version = run(["psql", args.admin_url, "-Atc", "SHOW server_version"]).strip()
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0]
    print(f"# {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {wrk_version}, PostgreSQL "
          f"{pg_version} on loopback, {os.cpu_count()} cores shared by the servers, PostgreSQL and wrk; "
          f"wrk -c{args.connections} in all, -d{args.duration}s, unpaced; servers with RUST_LOG=warn")
    print()
    print("| servers | scenario | requests/s | records/s | p50 ms (worst server) | p99 ms (worst server) | "
          "errors | CPU: servers | CPU: PostgreSQL | CPU: wrk | CPU: other |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    salt = 0
    try:
        for repeat in range(args.repeats):
            for n in (1, 2):
                ports = [lb.free_port() for _ in range(n)]
                procs = [start(binary, data, url, p) for p in ports]
                try:
                    for scenario in args.scenarios.split(","):
                        path, extra, per_request = SCENARIOS[scenario]
                        # warm-up: each server answers a little first
                        for p in ports:
                            salt += 1
                            lb.run_wrk(f"http://127.0.0.1:{p}{path}", token, extra, 0, 2, 2, 1, salt)
                        lb.wait_idle(60)
                        conns = args.connections // n
                        cpu0 = [lb.cpu_seconds(p.pid) for p in procs]
                        pg0, kid0, all0 = postgres_cpu(), lb.children_cpu(), lb.busy_cpu()
                        t0 = time.time()
                        wrks = []
                        for p in ports:
                            salt += 1
                            env = dict(os.environ, CW_TOKEN=token, CW_RATE="0", CW_THREADS="1", CW_SALT=str(salt))
                            env.update(extra)
                            wrks.append(subprocess.Popen(
                                ["wrk", "-t1", f"-c{conns}", f"-d{args.duration}s", "--timeout", "10s", "--latency",
                                 "-s", lb.LUA, f"http://127.0.0.1:{p}{path}"],
                                env=env, stdout=subprocess.PIPE, text=True))
                        outs = [w.communicate()[0] for w in wrks]
                        secs = time.time() - t0
                        cpu1 = [lb.cpu_seconds(p.pid) for p in procs]
                        pg1, kid1, all1 = postgres_cpu(), lb.children_cpu(), lb.busy_cpu()
                        results = [json.loads(re.search(r"CW_RESULT (\{.*\})", o).group(1)) for o in outs]
                        reqs = sum(r["requests"] for r in results)
                        rate = sum(r["requests"] / (r["duration_us"] / 1e6) for r in results)
                        errors = sum(r["connect"] + r["read"] + r["write"] + r["timeout"] + r["status"]
                                     for r in results)
                        srv = sum(cpu1) - sum(cpu0)
                        pg = pg1 - pg0
                        kid = kid1 - kid0
                        other = max(0.0, (all1 - all0) - srv - pg - kid)
                        pct = lambda c: f"{c / secs * 100:.0f}%"  # noqa: E731
                        print(f"| {n} | {scenario} | {rate:,.0f} | {rate * per_request:,.0f} | "
                              f"{max(r['p50_us'] for r in results) / 1000:.2f} | "
                              f"{max(r['p99_us'] for r in results) / 1000:.2f} | {errors} | {pct(srv)} | {pct(pg)} | "
                              f"{pct(kid)} | {pct(other)} |", flush=True)
                        assert reqs > 0
                finally:
                    for p in procs:
                        p.terminate()
                        p.wait()
        counted = run(["psql", url, "-Atc", "SELECT count(*), count(DISTINCT record_id) FROM usage_records"]).strip()
        print()
        print(f"# usage records stored: {counted} (count, distinct ids: equal means none counted twice)")
    finally:
        run(["psql", args.admin_url, "-qc", f"DROP DATABASE IF EXISTS {name}"])
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
