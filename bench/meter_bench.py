#!/usr/bin/env python3
"""Metering benchmark: ChipWarden's ingest + report against DuckDB on the same CSV, one run.

Usage (from the repository root, after `cargo build --release`):
    python3 -m venv /tmp/benchenv && /tmp/benchenv/bin/pip install duckdb
    /tmp/benchenv/bin/python bench/meter_bench.py [--records 10000000]

The CSV is shaped like the Alibaba 2023 GPU trace (pods of 1-8 GPUs on a few GPU models, lives
of minutes to days, a few thousand accounts), in ChipWarden's documented usage schema. ChipWarden
runs `meter ingest` (parse, resolve the chip model through the catalog, store every record with
its id as key in SQLite) then `meter report --json` (estimates, 90-day window, accounts, groups).
DuckDB runs `read_csv` into a table and a GROUP BY account of chip-hours x peak rate x the same
band. Wall time and peak RSS of each come from /usr/bin/time. Prints a Markdown table.
"""
import argparse
import os
import random
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# CW_BIN overrides the binary (e.g. a build with CARGO_TARGET_DIR elsewhere).
BIN = os.environ.get("CW_BIN") or os.path.join(ROOT, "target/release/chipwarden")
MODELS = [("T4", 65.0), ("V100 SXM2 16GB", 125.0), ("A100", 312.0)]  # dense FP16/BF16 TFLOPS


def make_csv(path, n, seed=1):
    rng = random.Random(seed)
    t0 = 1_790_000_000  # 2026-09-21
    with open(path, "w") as f:
        f.write("record_id,account,chip_model,chips,start,end\n")
        for i in range(n):
            model = MODELS[rng.randrange(3)][0]
            start = t0 + rng.randrange(0, 60 * 86400)
            life = int(rng.expovariate(1 / 7200)) + 60
            chips = rng.choice((1, 1, 1, 2, 4, 8))
            f.write(f"p{i},acct-{rng.randrange(3000)},{model},{chips},{iso(start)},{iso(start + life)}\n")


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def timed(cmd):
    t0 = time.perf_counter()
    res = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    dt = time.perf_counter() - t0
    rss = next((int(l.split()[-1]) for l in res.stderr.splitlines() if "Maximum resident" in l), 0) / 1024
    if res.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed: {res.stderr[-2000:]}")
    return dt, rss, res.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=10_000_000)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="cw-meter-bench-")
    csv_path = os.path.join(work, "usage.csv")
    t0 = time.perf_counter()
    make_csv(csv_path, a.records)
    gen = time.perf_counter() - t0
    size = os.path.getsize(csv_path) / 1e6
    data = os.path.join(work, "data")
    ingest_t, ingest_rss, _ = timed([BIN, "--data-dir", data, "meter", "ingest", csv_path, "--format", "csv", "--json"])
    report_t, report_rss, _ = timed([BIN, "--data-dir", data, "meter", "report", "--as-of", "2026-11-29T00:00:00Z", "--json"])
    peaks = ", ".join(f"('{m}', {r * 1e12})" for m, r in MODELS)
    sql = f"""
    CREATE TABLE usage AS SELECT * FROM read_csv('{csv_path}', header = true,
        columns = {{'record_id': 'VARCHAR', 'account': 'VARCHAR', 'chip_model': 'VARCHAR', 'chips': 'DOUBLE',
                    'start': 'TIMESTAMPTZ', 'end': 'TIMESTAMPTZ'}});
    CREATE TABLE peak (chip_model VARCHAR, flops DOUBLE); INSERT INTO peak VALUES {peaks};
    SELECT account, sum(u.chips * epoch(u."end" - u.start) * p.flops) * 0.3 AS flop_low,
           sum(u.chips * epoch(u."end" - u.start) * p.flops) * 0.5 AS flop_high
    FROM usage u JOIN peak p USING (chip_model) GROUP BY account ORDER BY account;
    """
    script = os.path.join(work, "duck.py")
    with open(script, "w") as f:
        f.write("import duckdb, sys\ncon = duckdb.connect(sys.argv[1])\n")
        f.write(f"for stmt in {sql!r}.split(';'):\n    stmt = stmt.strip()\n    if stmt: rows = con.execute(stmt).fetchall()\nprint(len(rows))\n")
    import sys as _sys
    duck_t, duck_rss, out = timed([_sys.executable, script, os.path.join(work, "duck.db")])
    # The same with ChipWarden's guarantee: record_id a key, a repeated record ignored.
    keyed = sql.replace(
        "CREATE TABLE usage AS SELECT * FROM read_csv(",
        "CREATE TABLE usage (record_id VARCHAR PRIMARY KEY, account VARCHAR, chip_model VARCHAR, chips DOUBLE,"
        " start TIMESTAMPTZ, \"end\" TIMESTAMPTZ);\n    INSERT OR IGNORE INTO usage SELECT * FROM read_csv(",
    )
    keyed_script = os.path.join(work, "duck_keyed.py")
    with open(keyed_script, "w") as f:
        f.write("import duckdb, sys\ncon = duckdb.connect(sys.argv[1])\n")
        f.write(f"for stmt in {keyed!r}.split(';'):\n    stmt = stmt.strip()\n    if stmt: rows = con.execute(stmt).fetchall()\nprint(len(rows))\n")
    keyed_t, keyed_rss, _ = timed([_sys.executable, keyed_script, os.path.join(work, "duck_keyed.db")])
    n = a.records
    cw = ingest_t + report_t
    print(f"# Metering benchmark ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores)\n")
    print(f"{n:,} records, {size:,.0f} MB of CSV (generated in {gen:.0f} s). DuckDB accounts: {out.strip()}.\n")
    print("| system | what | wall (s) | records/s | peak RSS (MiB) |\n|---|---|---|---|---|")
    print(f"| chipwarden | meter ingest (parse, resolve, store in SQLite) | {ingest_t:.1f} | {n / ingest_t:,.0f} | {ingest_rss:,.0f} |")
    print(f"| chipwarden | meter report (estimates, window, groups, runs) | {report_t:.1f} | {n / report_t:,.0f} | {report_rss:,.0f} |")
    print(f"| chipwarden | end to end | {cw:.1f} | {n / cw:,.0f} | {max(ingest_rss, report_rss):,.0f} |")
    print(f"| DuckDB | read_csv into a table + GROUP BY (end to end) | {duck_t:.1f} | {n / duck_t:,.0f} | {duck_rss:,.0f} |")
    print(f"| DuckDB, record_id PRIMARY KEY + INSERT OR IGNORE (ChipWarden's no-double-count guarantee) | {keyed_t:.1f} | {n / keyed_t:,.0f} | {keyed_rss:,.0f} |")
    print(f"\nRatio (DuckDB time / ChipWarden time): {duck_t / cw:.2f}; keyed DuckDB: {keyed_t / cw:.2f}")


if __name__ == "__main__":
    main()
