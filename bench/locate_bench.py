#!/usr/bin/env python3
"""Location verdicts: ChipWarden's `locate verify` against the obvious GIS approach with shapely.

Usage (from the repository root, after `cargo build --release`):
    python3 -m venv /tmp/benchenv && /tmp/benchenv/bin/pip install shapely
    /tmp/benchenv/bin/python bench/locate_bench.py [--landmarks-per-target 50]

Data: the WonderProxy mesh in crates/locate/test_data (246 servers, symmetrised minimum RTTs)
and the bundled Natural Earth 1:50m borders (data/geo). Every server in turn is the target; its
landmarks are `--landmarks-per-target` other servers taken at a fixed stride. Both sides get the
same caps: radius = RTT / 2 x 2/3 c + 50 km, countries grown by 25 km, no vetting.

ChipWarden: `chipwarden locate verify --no-vetting --json` on the files (process start-up, border
parsing and JSON output included). Peer: shapely 2 (GEOS), the way an analyst would do it in
Python: each cap as a 128-point geodesic circle in lon/lat, their intersection, the countries
(buffered by 25 km in degrees at the country's latitude) that intersect it, found through an
STRtree. The peer is planar in lon/lat: a cap that wraps the antimeridian or a pole has no planar
polygon and is dropped (which only widens the peer's region); the count is printed. Prints a Markdown report with the agreement of the two.
"""
import argparse
import csv
import json
import math
import os
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/chipwarden")
DATA = os.path.join(ROOT, "crates/locate/test_data")
BORDERS = os.path.join(ROOT, "data/geo/world-atlas-2.0.2_countries-50m.topo.json")
KM_PER_MS = 299_792.458 * 2 / 3 / 1000 / 2  # one-way km per ms of round trip at 2/3 c
MARGIN_KM, BUFFER_KM, EARTH_KM = 50.0, 25.0, 6371.0088


def mesh():
    servers = {r["id"]: r for r in csv.DictReader(open(os.path.join(DATA, "wonderproxy_servers-2020-07-19.csv")))}
    rtt = {}
    for r in csv.DictReader(open(os.path.join(DATA, "wonderproxy_pings-2020-07-19-20-min-symmetric.csv"))):
        rtt.setdefault(r["a"], {})[r["b"]] = float(r["min"])
        rtt.setdefault(r["b"], {})[r["a"]] = float(r["min"])
    return servers, rtt


def circle(lat, lon, radius_km, n=128):
    """A geodesic circle as lon/lat points (destination-point formula on the sphere)."""
    d = min(radius_km, math.pi * EARTH_KM * 0.999) / EARTH_KM
    p1, l1 = math.radians(lat), math.radians(lon)
    pts = []
    for k in range(n):
        b = 2 * math.pi * k / n
        p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
        l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
        pts.append(((math.degrees(l2) + 540) % 360 - 180, math.degrees(p2)))
    return pts


def countries():
    """Country geometries from the TopoJSON (arcs decoded with the quantization transform)."""
    from shapely.geometry import MultiPolygon, Polygon
    topo = json.load(open(BORDERS))
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)

    def ring(indices):
        out = []
        for i in indices:
            pts = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
            out.extend(pts if not out else pts[1:])
        return out

    geoms = {}
    for g in topo["objects"]["countries"]["geometries"]:
        polys = [g["arcs"]] if g["type"] == "Polygon" else g.get("arcs", [])
        shapes = []
        for p in polys:
            rings = [ring(r) for r in p]
            if len(rings[0]) >= 4:
                shapes.append(Polygon(rings[0], [r for r in rings[1:] if len(r) >= 4]).buffer(0))
        if shapes:
            name = g.get("properties", {}).get("name", g.get("id"))
            geoms[name] = MultiPolygon([s for x in shapes for s in getattr(x, "geoms", [x])])
    return geoms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--landmarks-per-target", type=int, default=50)
    a = ap.parse_args()
    servers, rtt = mesh()
    work = tempfile.mkdtemp(prefix="cw-locate-bench-")
    lpath, mpath = os.path.join(work, "landmarks.csv"), os.path.join(work, "measurements.csv")
    with open(lpath, "w") as f:
        f.write("id,lat,lon\n")
        for s in servers.values():
            f.write(f"{s['id']},{s['latitude']},{s['longitude']}\n")
    chosen = {}
    with open(mpath, "w") as f:
        f.write("target,landmark,rtt_ms\n")
        for t in servers:
            peers = sorted((p for p in rtt.get(t, {}) if p in servers), key=int)
            stride = max(1, len(peers) // a.landmarks_per_target)
            chosen[t] = peers[::stride][: a.landmarks_per_target]
            for p in chosen[t]:
                f.write(f"t{t},{p},{rtt[t][p]}\n")
    targets = len(chosen)

    t0 = time.perf_counter()
    res = subprocess.run([BIN, "locate", "verify", "--landmarks", lpath, "--measurements", mpath, "--no-vetting", "--json"],
                         capture_output=True, text=True)
    cw_t = time.perf_counter() - t0
    if res.returncode not in (0, 1):
        raise SystemExit(res.stderr)
    cw = {}
    for line in res.stdout.splitlines():
        v = json.loads(line)
        cw[v["target"][1:]] = v

    import shapely
    from shapely.geometry import Polygon
    from shapely.strtree import STRtree
    t0 = time.perf_counter()
    geoms = countries()
    names = list(geoms)
    buffered = []
    for n in names:
        g = geoms[n]
        lat = g.centroid.y
        buffered.append(g.buffer(BUFFER_KM / (111.32 * max(0.2, math.cos(math.radians(lat))))))
    tree = STRtree(buffered)
    setup_t = time.perf_counter() - t0
    t0 = time.perf_counter()
    peer, skipped, dropped = {}, 0, 0
    for t, lms in chosen.items():
        caps = []
        for p in lms:
            s = servers[p]
            radius = rtt[t][p] * KM_PER_MS + MARGIN_KM
            pts = circle(float(s["latitude"]), float(s["longitude"]), radius)
            # A cap that holds a pole or wraps the antimeridian has no planar lon/lat polygon:
            # dropped (dropping a cap only widens the region, so the peer stays on the safe side).
            to_pole_km = math.radians(90 - abs(float(s["latitude"]))) * EARTH_KM
            if radius >= to_pole_km or max(x for x, _ in pts) - min(x for x, _ in pts) > 180:
                dropped += 1
                continue
            caps.append(Polygon(pts))
        if not caps:
            skipped += 1
            continue
        region = shapely.intersection_all(caps)
        if region.is_empty:
            peer[t] = None
            continue
        peer[t] = {names[i] for i in tree.query(region, predicate="intersects")}
    peer_t = time.perf_counter() - t0

    # Agreement, by country name (ChipWarden answers ISO codes: compare counts, not names).
    both = [t for t in peer if peer[t] is not None and t in cw and cw[t]["consistent"]]
    cw_n = sorted(len(cw[t]["possible_countries"]) for t in both)
    pk_n = sorted(len(peer[t]) for t in both)
    print(f"# Location verdicts ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores)\n")
    print(f"{targets} targets (the WonderProxy servers), {a.landmarks_per_target} landmarks each, no vetting.\n")
    print("| system | what | wall (s) | verdicts/s |\n|---|---|---|---|")
    print(f"| chipwarden | `locate verify --json` (start-up, borders, output included) | {cw_t:.2f} | {targets / cw_t:,.0f} |")
    done = len(peer)
    print(f"| shapely {shapely.__version__} | caps, intersection, STRtree query ({done} targets; {dropped} of {targets * a.landmarks_per_target} caps wrap the antimeridian or a pole and were dropped; {skipped} targets had none left) | {peer_t:.2f} | {done / peer_t:,.0f} |")
    print(f"| shapely | setup: borders decoded and buffered (once) | {setup_t:.2f} | |")
    mid = lambda v: v[len(v) // 2] if v else 0
    print(f"\nMedian possible countries on the {len(both)} targets both answered: chipwarden {mid(cw_n)}, shapely {mid(pk_n)}.")
    fewer = sum(1 for t in both if len(peer[t]) < len(cw[t]["possible_countries"]))
    more = sum(1 for t in both if len(peer[t]) > len(cw[t]["possible_countries"]))
    print(f"Possible-country counts: equal on {len(both) - fewer - more}, shapely fewer on {fewer} (its planar caps and degree buffer"
          f" are not the sphere's), shapely more on {more} (it dropped the caps it cannot draw).")


if __name__ == "__main__":
    main()
