#!/usr/bin/env python3
"""Screening benchmark: ChipWarden against rapidfuzz and nomenklatura's logic-v2, same data, one run.

Usage (from the repository root, after `cargo build --release`):
    python3 -m venv /tmp/benchenv && /tmp/benchenv/bin/pip install rapidfuzz nomenklatura
    /tmp/benchenv/bin/python bench/screen_bench.py [--shared ../shared] [--queries 100000]

Part A, accuracy and pair speed on the 826 labelled pairs of nomenklatura's name benchmark.
Part B, screening speed: N query names against every name and alias of the OFAC SDN (2021, the
newest complete SDN publication in ../shared), the UN Security Council list (2026-02-27) and the
Denied Persons List (2022). Queries are real names from lists that are *not* being screened
(OFAC aliases of 2024 and 2025, the non-SDN list, ITAR debarred, ISN, rigour sample names),
each also in two deterministic variants (words reversed, one letter dropped), cycled to N.
Prints a Markdown report.
"""
import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/chipwarden")


def f1(scores, labels, threshold):
    tp = sum(1 for s, l in zip(scores, labels) if s >= threshold and l)
    fp = sum(1 for s, l in zip(scores, labels) if s >= threshold and not l)
    fn = sum(1 for s, l in zip(scores, labels) if s < threshold and l)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def best_threshold(scores, labels, grid):
    return max(((f1(scores, labels, t)[2], t) for t in grid))


def part_a(shared, repeats):
    cases_path = os.path.join(shared, "data/screening-labeled/nomenklatura_name_bench_cases.csv")
    cases = list(csv.DictReader(open(cases_path, encoding="utf-8")))
    labels = [c["is_match"] == "true" for c in cases]
    out = {}
    # ChipWarden: the CLI on a file of the pairs repeated `repeats` times (startup included).
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name1", "name2", "schema"])
        for _ in range(repeats):
            for c in cases:
                w.writerow([c["name1"], c["name2"], c["schema"]])
        path = f.name
    t0 = time.perf_counter()
    res = subprocess.run([BIN, "screen", "pairs", "--file", path, "--json"], capture_output=True, text=True, check=True)
    dt = time.perf_counter() - t0
    scores = [json.loads(l)["score"] for l in res.stdout.splitlines()][: len(cases)]
    p, r, f = f1(scores, labels, 0.80)
    out["chipwarden (threshold 0.80, fixed)"] = (p, r, f, len(cases) * repeats / dt)
    os.unlink(path)
    # nomenklatura logic-v2.
    from followthemoney import model
    from nomenklatura.matching import LogicV2
    from nomenklatura.matching.types import ScoringConfig
    cfg = ScoringConfig.defaults()

    def ent(schema, name, i):
        e = model.make_entity(schema if schema in ("Person", "Company", "Organization", "LegalEntity", "Vessel") else "LegalEntity")
        e.id = f"e{i}"
        e.add("name", name)
        return e

    pairs = [(ent(c["schema"], c["name1"], 2 * i), ent(c["schema"], c["name2"], 2 * i + 1)) for i, c in enumerate(cases)]
    t0 = time.perf_counter()
    nk = [LogicV2.compare(a, b, cfg).score for a, b in pairs]
    dt = time.perf_counter() - t0
    p, r, f = f1(nk, labels, 0.7)
    out["nomenklatura logic-v2 (its threshold 0.7)"] = (p, r, f, len(cases) / dt)
    # rapidfuzz: each scorer at its best threshold on this very set (an upper bound for it).
    from rapidfuzz import fuzz, utils
    for name, scorer in [("WRatio", fuzz.WRatio), ("token_sort_ratio", fuzz.token_sort_ratio), ("token_set_ratio", fuzz.token_set_ratio)]:
        t0 = time.perf_counter()
        for _ in range(repeats):
            rf = [scorer(c["name1"], c["name2"], processor=utils.default_process) / 100 for c in cases]
        dt = time.perf_counter() - t0
        best, t = best_threshold(rf, labels, [x / 100 for x in range(50, 100)])
        p, r, f = f1(rf, labels, t)
        out[f"rapidfuzz {name} (best threshold {t:.2f}, tuned on this set)"] = (p, r, f, len(cases) * repeats / dt)
    return out, len(cases)


def list_names(data_dir):
    res = subprocess.run([BIN, "--data-dir", data_dir, "lists", "entries"], capture_output=True, text=True, check=True)
    names = []
    for line in res.stdout.splitlines():
        for n in json.loads(line)["entry"]["names"]:
            names.append(n["text"])
    return names


def query_names(shared):
    lists = os.path.join(shared, "data/lists")
    names = []
    for f in ["ofac_2025_12/alt.csv", "ofac_2024_static/alt.csv", "ofac_nonsdn_consolidated/cons_alt.csv"]:
        for row in csv.reader(open(os.path.join(lists, f), encoding="latin-1")):
            if len(row) > 3 and row[3].strip() not in ("", "-0-"):
                names.append(row[3].strip())
    for row in csv.reader(open(os.path.join(lists, "ofac_nonsdn_consolidated/cons_prim.csv"), encoding="latin-1")):
        if len(row) > 1:
            names.append(row[1].strip())
    for f, col in [("govwizely_fixtures/itar_debarred_party_list_01242018.csv", "Party Name"), ("govwizely_fixtures/isn.csv", "name")]:
        try:
            for row in csv.DictReader(open(os.path.join(lists, f), encoding="latin-1")):
                if row.get(col):
                    names.append(row[col].strip())
        except (KeyError, OSError):
            pass
    for row in csv.DictReader(open(os.path.join(shared, "data/screening-labeled/lexicons/rigour_sample_names.csv"), encoding="utf-8")):
        names.append(next(iter(row.values())))
    names = [n for n in names if n and any(ch.isalpha() for ch in n)]
    rng = random.Random(42)
    variants = []
    for n in names:
        words = n.split()
        variants.append(" ".join(reversed(words)))
        if len(n) > 6:
            i = rng.randrange(1, len(n) - 1)
            variants.append(n[:i] + n[i + 1:])
    out = names + variants
    # One deterministic shuffle, so that a sample of the first queries is representative.
    random.Random(7).shuffle(out)
    return out


def part_b(shared, n_queries, sample):
    data_dir = tempfile.mkdtemp(prefix="cw-bench-")
    lists = os.path.join(shared, "data/lists")
    sdn = os.path.join(lists, "ofac_sdn_2021")
    for args in [[os.path.join(sdn, f) for f in ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")],
                 [os.path.join(lists, "un/UN_consolidated_2026-02-27.xml")],
                 [os.path.join(lists, "bis_dpl/dpl_2022.txt")]]:
        subprocess.run([BIN, "--data-dir", data_dir, "lists", "import", *args], capture_output=True, check=True)
    choices = list_names(data_dir)
    base = query_names(shared)
    queries = [base[i % len(base)] for i in range(n_queries)]
    qfile = os.path.join(data_dir, "queries.csv")
    with open(qfile, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name"])
        for i, q in enumerate(queries):
            w.writerow([f"q{i}", q])
    out = {}
    t0 = time.perf_counter()
    res = subprocess.run(["/usr/bin/time", "-v", BIN, "--data-dir", data_dir, "screen", "--file", qfile, "--out", os.path.join(data_dir, "hits.jsonl"), "--json"],
                         capture_output=True, text=True)
    dt = time.perf_counter() - t0
    rss = next((int(l.split()[-1]) for l in res.stderr.splitlines() if "Maximum resident" in l), 0)
    hits = len({json.loads(l)["query"] for l in open(os.path.join(data_dir, "hits.jsonl"), encoding="utf-8")})
    out["chipwarden screen --file (index, 2 threads, incl. start-up and SQLite writes)"] = (n_queries / dt, dt, rss / 1024, hits)
    # rapidfuzz brute force: every query against every name, on a sample, 2 workers.
    from rapidfuzz import fuzz, process, utils
    qs = queries[:sample]
    for name, scorer in [("token_sort_ratio", fuzz.token_sort_ratio), ("WRatio", fuzz.WRatio)]:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        m = process.cdist(qs, choices, scorer=scorer, processor=utils.default_process, workers=2, score_cutoff=85, dtype="uint8")
        dt = time.perf_counter() - t0
        found = int((m.max(axis=1) >= 85).sum())
        rss = max(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024
        out[f"rapidfuzz process.cdist {name} (brute force, 2 workers, {sample} queries)"] = (sample / dt, n_queries / (sample / dt), rss, found)
    # nomenklatura logic-v2 cannot screen without a candidate index; its pair rate bounds it.
    return out, len(choices), len(base)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "../shared"))
    ap.add_argument("--queries", type=int, default=100_000)
    ap.add_argument("--sample", type=int, default=2_000)
    ap.add_argument("--repeats", type=int, default=20)
    a = ap.parse_args()
    print(f"# Screening benchmark ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores)\n")
    acc, n = part_a(a.shared, a.repeats)
    print(f"## A. {n} labelled pairs (nomenklatura name_bench)\n")
    print("| matcher | precision | recall | F1 | pairs/s |\n|---|---|---|---|---|")
    for k, (p, r, f, rate) in acc.items():
        print(f"| {k} | {p:.3f} | {r:.3f} | {f:.3f} | {rate:,.0f} |")
    speed, n_choices, n_base = part_b(a.shared, a.queries, a.sample)
    print(f"\n## B. {a.queries:,} queries ({n_base:,} distinct) against {n_choices:,} listed names (SDN 2021 + UN 2026-02-27 + DPL 2022)\n")
    print("| screener | names/s | time for all queries (s) | max RSS (MiB) | queries with a hit |\n|---|---|---|---|---|")
    for k, (rate, total, rss, hits) in speed.items():
        print(f"| {k} | {rate:,.0f} | {total:,.1f}{' (extrapolated)' if 'rapidfuzz' in k else ''} | {rss:,.0f} | {hits:,} |")
    nk_rate = acc["nomenklatura logic-v2 (its threshold 0.7)"][3]
    print(f"\nnomenklatura logic-v2 has no candidate index here; at {nk_rate:,.0f} pairs/s, comparing one query with all "
          f"{n_choices:,} names would take {n_choices / nk_rate:,.1f} s.")


if __name__ == "__main__":
    sys.exit(main())
