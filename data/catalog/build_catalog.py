#!/usr/bin/env python3
"""Build the bundled chip catalog (data/catalog/chips.toml) from its sources.

Inputs:
  <chips_dir>/epoch_ml_hardware.csv       Epoch AI "Data on Machine Learning Hardware" (CC BY 4.0)
  <chips_dir>/accelerators_reference.csv  curated reference rows, each with its own sources
  data/catalog/curation.toml              merges, aliases, datacenter flags, omissions, extra chips

Usage (from the repository root):
  python3 data/catalog/build_catalog.py [CHIPS_DIR] [--out PATH] [--check] [--report]

CHIPS_DIR defaults to ../shared/data/chips relative to the repository root. --check exits 1 if
the output would differ from the file on disk (nothing is written). --report prints the merge
decisions, dropped rows and a TPP cross-check to stderr.

Python 3.11+ standard library only. Output is deterministic: chips are ordered by vendor, then
release date (unknown last), then name; no timestamps are written.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import tomllib
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
DEFAULT_CHIPS_DIR = REPO_ROOT / ".." / "shared" / "data" / "chips"

# Precision keys and their bit lengths, in output order.
PRECISION_BITS = {
    "fp64": 64, "fp32": 32, "tf32": 19, "fp16": 16, "bf16": 16,
    "fp8": 8, "int8": 8, "int4": 4, "fp4": 4,
}
# Scalar figures, in output order. Every one is written as { value, source[, note] }.
FIELDS = [
    "datacenter", "die_area_mm2", "transistors_billion", "process", "process_nm",
    "memory_type", "memory_gb", "memory_bandwidth_gbps", "interconnect_gbps", "tdp_w",
    "reported_tpp", "reference_tpp",
]
STRING_FIELDS = {"process", "memory_type"}
BOOL_FIELDS = {"datacenter"}

EPOCH_DENSE_COLUMNS = {
    "fp64": "FP64 (double precision) performance (FLOP/s)",
    "fp32": "FP32 (single precision) performance (FLOP/s)",
    "tf32": "TF32 (TensorFloat-32) performance (FLOP/s)",
    "fp8": "FP8 performance (FLOP/s)",
    "fp4": "FP4 performance (FLOP/s)",
    "int8": "INT8 performance (OP/s)",
    "int4": "INT4 performance (OP/s)",
}
EPOCH_TENSOR16 = "Tensor-FP16/BF16 performance (FLOP/s)"
EPOCH_PLAIN16 = "FP16 (half precision) performance (FLOP/s)"
EPOCH_COMPUTE_COLUMNS = [EPOCH_TENSOR16, EPOCH_PLAIN16, "INT16 performance (OP/s)",
                         *EPOCH_DENSE_COLUMNS.values()]

REF_DENSE_COLUMNS = {
    "fp16": "dense_fp16_tflops", "bf16": "dense_bf16_tflops", "fp8": "dense_fp8_tflops",
    "int8": "dense_int8_tops", "fp32": "fp32_tflops",
}


class BuildError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Small helpers

def dec(text: str) -> Decimal | None:
    text = (text or "").strip()
    if not text:
        return None
    return Decimal(text)


def scaled(text: str, exponent: int) -> float | None:
    """Parse a decimal string and multiply by 10**exponent without binary rounding noise.

    Rounds to 12 significant digits: some Epoch cells carry binary floating-point artefacts
    (1042079999999998.2 for 1042.08e12) and no source figure has more than 12 digits.
    """
    d = dec(text)
    if d is None:
        return None
    d = d.scaleb(exponent)
    if d != 0:
        d = round(d, 11 - d.adjusted())
    return float(format(d.normalize(), "f"))


def one_line(text: str) -> str:
    return " ".join((text or "").split())


def normalise(name: str) -> str:
    """The loader's lookup key (crates/core/src/catalog.rs `normalise`): letters and digits only,
    lowercased, so "H100 SXM", "h100-sxm" and "H100_SXM" meet."""
    return "".join(ch for ch in name if ch.isalnum()).lower()


def lookup_keys(chip: dict) -> set[str]:
    """Every key the loader indexes a chip under: name, id, name without vendor, aliases."""
    name, vendor = normalise(chip["name"]), normalise(chip["vendor"])
    keys = {name, normalise(chip["id"]), *(normalise(a) for a in chip["aliases"])}
    if name.startswith(vendor) and name != vendor:
        keys.add(name[len(vendor):])
    keys.discard("")
    return keys


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def toml_str(s: str) -> str:
    out = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        f = float(v)
        text = repr(f)
        if "e" in text or "E" in text:
            text = format(Decimal(text), "f")
            if "." not in text:
                text += ".0"
        return text
    if isinstance(v, str):
        return toml_str(v)
    raise BuildError(f"cannot write value {v!r}")


def differs(a, b, tolerance: float) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or isinstance(b, str):
        return a != b
    hi = max(abs(a), abs(b))
    return hi > 0 and abs(a - b) / hi > tolerance


def fmt_num(v) -> str:
    return toml_value(v) if not isinstance(v, str) else v


# ---------------------------------------------------------------------------------------------
# Reading the sources. Each source yields a record:
#   {"text": citation, "fields": {field: (value, note)}, "dense": {prec: (value, note)},
#    "release_date": str | None}

def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def epoch_has_compute(row: dict[str, str]) -> bool:
    return any((row.get(c) or "").strip() for c in EPOCH_COMPUTE_COLUMNS)


def epoch_record(row: dict[str, str], tensor16: str) -> dict:
    name = row["Hardware name"]
    link = one_line(row.get("Link to datasheet", ""))
    text = f"Epoch AI ML Hardware (CC BY 4.0), row '{name}'"
    if link:
        text += f"; datasheet {link}"
    fields: dict = {}
    dense: dict = {}

    def put(field, value, note=None):
        if value is not None:
            fields[field] = (value, note)

    put("die_area_mm2", scaled(row["Die Size (mm^2)"], 0))
    put("transistors_billion", scaled(row["Transistors (millions)"], -3))
    nm = scaled(row["Process size (nm)"], 0)
    put("process_nm", nm)
    foundry = row["Foundry"].strip()
    if foundry and nm is not None:
        put("process", f"{foundry} {format(Decimal(str(nm)).normalize(), 'f')}nm")
    put("memory_gb", scaled(row["Memory (bytes)"], -9))
    put("memory_bandwidth_gbps", scaled(row["Memory bandwidth (byte/s)"], -9))
    put("interconnect_gbps", scaled(row["Intranode bandwidth (byte/s)"], -9))
    put("tdp_w", scaled(row["TDP (W)"], 0))
    put("reference_tpp", scaled(row["Total processing performance (bit-OP/s)"], -12))

    for prec, col in EPOCH_DENSE_COLUMNS.items():
        v = scaled(row[col], -12)
        if v is not None:
            dense[prec] = (v, None)
    tensor = scaled(row[EPOCH_TENSOR16], -12)
    plain = scaled(row[EPOCH_PLAIN16], -12)
    if tensor16 == "bf16":
        if tensor is not None:
            dense["bf16"] = (tensor, "Epoch 'Tensor-FP16/BF16' column; this chip's published 16-bit matrix peak is BF16")
        if plain is not None:
            dense["fp16"] = (plain, "Epoch 'FP16 (half precision)' (non-tensor) column")
    else:
        if tensor is not None and (plain is None or tensor >= plain):
            dense["fp16"] = (tensor, None)
        elif plain is not None:
            dense["fp16"] = (plain, "Epoch 'FP16 (half precision)' (non-tensor) column"
                             + (f", larger than its Tensor-FP16/BF16 figure {fmt_num(tensor)}"
                                if tensor is not None else ""))
    date = row["Release date"].strip() or None
    return {"text": text, "fields": fields, "dense": dense, "release_date": date}


def ref_record(row: dict[str, str]) -> dict:
    text = f"accelerators_reference.csv row '{row['model']}': {one_line(row['source'])}"
    fields: dict = {}
    dense: dict = {}

    def put(field, value):
        if value is not None and value != "":
            fields[field] = (value, None)

    dc = row["datacenter(yes/no)"].strip().lower()
    if dc in ("yes", "no"):
        put("datacenter", dc == "yes")
    put("die_area_mm2", scaled(row["die_area_mm2"], 0))
    put("transistors_billion", scaled(row["transistors_billion"], 0))
    process = row["process_node"].strip()
    put("process", process)
    m = re.search(r"(\d+(?:\.\d+)?)\s*nm\b", process)
    if m:
        put("process_nm", float(m.group(1)))
    put("memory_type", row["memory_type"].strip())
    put("memory_gb", scaled(row["memory_gb"], 0))
    put("memory_bandwidth_gbps", scaled(row["memory_bw_tbps"], 3))
    put("interconnect_gbps", scaled(row["interconnect_gbps(bidirectional)"], 0))
    put("tdp_w", scaled(row["tdp_w"], 0))
    for prec, col in REF_DENSE_COLUMNS.items():
        v = scaled(row[col], 0)
        if v is not None:
            dense[prec] = (v, None)
    date = row["year"].strip() or None
    return {"text": text, "fields": fields, "dense": dense, "release_date": date}


def value_and_note(spec):
    if isinstance(spec, dict):
        return spec["value"], spec.get("note")
    return spec, None


def extra_record(key: str, spec: dict) -> dict:
    if "text" not in spec:
        raise BuildError(f"extra source `{key}` has no citation text")
    fields = {}
    dense = {}
    for k, v in spec.items():
        if k in ("text", "dense_tops", "release_date"):
            continue
        if k not in FIELDS:
            raise BuildError(f"extra source `{key}`: unknown field `{k}`")
        value, note = value_and_note(v)
        if k not in STRING_FIELDS | BOOL_FIELDS:
            value = float(value)
        fields[k] = (value, note)
    for prec, v in spec.get("dense_tops", {}).items():
        if prec not in PRECISION_BITS:
            raise BuildError(f"extra source `{key}`: unknown precision `{prec}`")
        value, note = value_and_note(v)
        dense[prec] = (float(value), note)
    return {"text": spec["text"], "fields": fields, "dense": dense,
            "release_date": spec.get("release_date")}


# ---------------------------------------------------------------------------------------------
# Building

def omitted(omit: list[str], source: str, field: str) -> bool:
    for rule in omit:
        src, _, fld = rule.partition(":")
        if src not in ("*", source):
            continue
        if fld == field or (fld.endswith(".*") and field.startswith(fld[:-1])):
            return True
    return False


def build(chips_dir: Path, curation_path: Path, report: list[str]) -> str:
    cur = tomllib.loads(curation_path.read_text(encoding="utf-8"))
    meta = cur["meta"]
    settings = cur["settings"]
    tol = float(settings["conflict_tolerance"])
    min_year = int(settings["min_release_year"])
    vendor_map = cur.get("vendors", {})
    rules = [(re.compile(r["pattern"]), r) for r in cur.get("product_line", [])]

    epoch_rows = read_csv(chips_dir / "epoch_ml_hardware.csv")
    ref_rows = read_csv(chips_dir / "accelerators_reference.csv")
    epoch_by_name = {r["Hardware name"]: r for r in epoch_rows}
    ref_by_model = {r["model"]: r for r in ref_rows}
    if len(epoch_by_name) != len(epoch_rows):
        raise BuildError("duplicate 'Hardware name' in the Epoch CSV")

    skips = {s["epoch"]: s["why"] for s in cur.get("skip", [])}
    for name in skips:
        if name not in epoch_by_name:
            raise BuildError(f"[[skip]] names unknown Epoch row `{name}`")

    specs = list(cur.get("chip", []))
    used_epoch: dict[str, str] = {}
    used_ref: set[str] = set()
    for spec in specs:
        for name in spec.get("epoch", []):
            if name not in epoch_by_name:
                raise BuildError(f"chip `{spec['id']}` names unknown Epoch row `{name}`")
            if name in used_epoch or name in skips:
                raise BuildError(f"Epoch row `{name}` is used twice")
            used_epoch[name] = spec["id"]
        if "ref" in spec:
            if spec["ref"] not in ref_by_model:
                raise BuildError(f"chip `{spec['id']}` names unknown reference row `{spec['ref']}`")
            used_ref.add(spec["ref"])

    # Every reference row is a catalog chip: add the ones the curation does not mention.
    for row in ref_rows:
        if row["model"] not in used_ref:
            specs.append({"id": slug(f"{row['vendor']} {row['model']}"), "ref": row["model"]})
            report.append(f"reference row '{row['model']}' added without curation")

    # Epoch rows released in or after min_year with a compute figure, not curated: add as-is.
    dropped = []
    for row in epoch_rows:
        name = row["Hardware name"]
        if name in used_epoch or name in skips:
            continue
        date = row["Release date"].strip()
        if not date:
            dropped.append((name, "no release date and not curated"))
        elif int(date[:4]) < min_year:
            dropped.append((name, f"released {date[:4]}, before {min_year}"))
        elif not epoch_has_compute(row):
            dropped.append((name, "no compute figure"))
        else:
            specs.append({"id": None, "epoch": [name]})
            report.append(f"Epoch row '{name}' added without curation")
    for name, why in sorted(dropped):
        report.append(f"dropped Epoch row '{name}': {why}")
    for name, why in sorted(skips.items()):
        report.append(f"skipped Epoch row '{name}': {why}")

    chips = [build_chip(spec, epoch_by_name, ref_by_model, vendor_map, rules, tol, report)
             for spec in specs]

    check_unique(chips)
    chips.sort(key=lambda c: (c["vendor"].lower(), c.get("release_date") or "9999",
                              c["name"].lower()))
    return render(meta, chips)


def build_chip(spec, epoch_by_name, ref_by_model, vendor_map, rules, tol, report) -> dict:
    ref_row = ref_by_model.get(spec.get("ref")) if spec.get("ref") else None
    epoch_names = spec.get("epoch", [])
    epoch_rows = [epoch_by_name[n] for n in epoch_names]

    # Vendor and name.
    if "vendor" in spec:
        vendor = spec["vendor"]
    elif ref_row:
        vendor = ref_row["vendor"]
    elif epoch_rows:
        m = epoch_rows[0]["Manufacturer"].strip()
        vendor = vendor_map.get(m, m)
        if not vendor:
            raise BuildError(f"Epoch row `{epoch_names[0]}` has no manufacturer; set vendor")
    else:
        raise BuildError(f"chip `{spec['id']}` has no vendor")
    if "name" in spec:
        name = spec["name"]
    elif ref_row:
        name = f"{vendor} {ref_row['model']}"
    else:
        en = epoch_names[0]
        name = en if en.startswith(vendor + " ") else f"{vendor} {en}"
    cid = spec.get("id") or slug(name)

    # Sources in precedence order: reference CSV, extra sources, Epoch rows (primary first).
    sources: dict[str, dict] = {}
    if ref_row:
        sources["ref"] = ref_record(ref_row)
    for key, extra in spec.get("extra", {}).items():
        if key in ("ref", "product_line") or key.startswith("epoch"):
            raise BuildError(f"chip `{cid}`: extra source key `{key}` is reserved")
        sources[key] = extra_record(key, extra)
    tensor16 = spec.get("tensor16", "fp16")
    if tensor16 not in ("fp16", "bf16"):
        raise BuildError(f"chip `{cid}`: tensor16 must be fp16 or bf16")
    for i, row in enumerate(epoch_rows):
        sources["epoch" if i == 0 else f"epoch{i + 1}"] = epoch_record(row, tensor16)

    omit = spec.get("omit", [])
    prefer = spec.get("prefer", {})
    notes = spec.get("notes", {})
    for rule in omit:
        src, _, fld = rule.partition(":")
        if src != "*" and src not in sources:
            raise BuildError(f"chip `{cid}`: omit rule `{rule}` names no source of this chip")
    for field, src in prefer.items():
        if src not in sources:
            raise BuildError(f"chip `{cid}`: prefer names unknown source `{src}`")

    def choose(field: str, candidates: list[tuple[str, object, str | None]]):
        """Pick the figure for `field`; record disagreements from the other sources."""
        candidates = [c for c in candidates if not omitted(omit, c[0], field)]
        if not candidates:
            return None
        if field in prefer:
            candidates.sort(key=lambda c: c[0] != prefer[field])
        key, value, note = candidates[0]
        parts = [note] if note else []
        others = [f"{k} gives {fmt_num(v)}" + (f" [{n}]" if n and n != note else "")
                  for k, v, n in candidates[1:]
                  if field not in ("process",) and differs(value, v, tol)]
        if others:
            parts.append("sources differ: " + "; ".join(others) + f" (kept {key})")
        extra = notes.get(field) or (notes.get("dense_tops.*") if field.startswith("dense_tops.") else None)
        if extra:
            parts.append(extra)
        figure = {"value": value, "source": key}
        if parts:
            figure["note"] = "; ".join(parts)
        return figure

    chip: dict = {"id": cid, "name": name, "vendor": vendor, "kind": "processor"}

    # Release date: first source (in precedence order, Epoch's full date preferred over a bare
    # year when they agree) that has one.
    dates = [(k, s["release_date"]) for k, s in sources.items()
             if s["release_date"] and not omitted(omit, k, "release_date")]
    full = [d for _, d in dates if len(d) > 4]
    years = [d for _, d in dates if len(d) == 4]
    date = full[0] if full else (years[0] if years else spec.get("release_date"))
    if full and years and full[0][:4] != years[0]:
        report.append(f"{cid}: release year differs between sources ({full[0]} vs {years[0]}); used {date}")
    if date:
        chip["release_date"] = date

    figures: dict = {}
    for field in FIELDS:
        cands = [(k, *s["fields"][field]) for k, s in sources.items() if field in s["fields"]]
        fig = choose(field, cands)
        if fig:
            figures[field] = fig

    # Datacenter from the product line when no source states it.
    if "datacenter" not in figures and not spec.get("no_product_line"):
        line, flag = None, None
        if "product_line" in spec:
            line, flag = spec["product_line"], spec["datacenter"]
        else:
            for pattern, rule in rules:
                if pattern.search(name):
                    if "datacenter" in rule:
                        line, flag = rule["line"], rule["datacenter"]
                    break
        if line is not None:
            sources["product_line"] = {"text": f"vendor product line: {line}"}
            figures["datacenter"] = {"value": bool(flag), "source": "product_line"}

    dense: dict = {}
    for prec in PRECISION_BITS:
        cands = [(k, *s["dense"][prec]) for k, s in sources.items() if prec in s.get("dense", {})]
        fig = choose(f"dense_tops.{prec}", cands)
        if fig:
            dense[prec] = fig

    if "reported_tpp" in figures and dense:
        raise BuildError(f"chip `{cid}`: reported_tpp is only for chips without dense TOPS")

    # Aliases: curated ones, then the source rows' own names; drop any that normalise to the
    # chip's name or its name without the vendor (the loader matches those already).
    own = lookup_keys({"name": name, "vendor": vendor, "id": cid, "aliases": []})
    aliases: list[str] = []
    candidates = list(spec.get("aliases", [])) + epoch_names
    if ref_row:
        candidates.append(ref_row["model"])
    for a in candidates:
        n = normalise(a)
        if n in own:
            continue
        own.add(n)
        aliases.append(a)

    chip["aliases"] = aliases
    chip["sources"] = {k: s["text"] for k, s in sources.items()}
    chip["figures"] = figures
    chip["dense_tops"] = dense
    return chip


def check_unique(chips: list[dict]) -> None:
    ids, names, keys = {}, {}, {}
    for c in chips:
        if c["id"] in ids:
            raise BuildError(f"duplicate id `{c['id']}`")
        ids[c["id"]] = c
        if c["name"] in names:
            raise BuildError(f"duplicate name `{c['name']}`")
        names[c["name"]] = c
        for n in lookup_keys(c):
            if n in keys and keys[n] != c["id"]:
                raise BuildError(f"normalised name `{n}` is shared by `{keys[n]}` and `{c['id']}`")
            keys[n] = c["id"]


def render(meta: dict, chips: list[dict]) -> str:
    out = [
        "# ChipWarden bundled chip catalog: one [[chip]] per real accelerator product, with per-precision",
        "# dense TOPS and the physical figures export-control tests need, each figure citing its source.",
        "#",
        "# GENERATED FILE, do not edit by hand. Regenerate from the repository root with:",
        "#   python3 data/catalog/build_catalog.py",
        "# from ../shared/data/chips/{epoch_ml_hardware.csv,accelerators_reference.csv} and",
        "# data/catalog/curation.toml; see data/catalog/PROVENANCE.md for sources and decisions.",
        "#",
        f"# {meta['attribution']}",
        "# Other figures come from the curated reference CSV and the public trackers cited per chip.",
        "",
        "[meta]",
        f"version = {toml_str(meta['version'])}",
        f"attribution = {toml_str(meta['attribution'])}",
        f"conventions = {toml_str(meta['conventions'])}",
    ]
    for c in chips:
        out += ["", "[[chip]]"]
        out.append(f"id = {toml_str(c['id'])}")
        out.append(f"name = {toml_str(c['name'])}")
        out.append(f"vendor = {toml_str(c['vendor'])}")
        out.append("aliases = [" + ", ".join(toml_str(a) for a in c["aliases"]) + "]")
        out.append(f"kind = {toml_str(c['kind'])}")
        if "release_date" in c:
            out.append(f"release_date = {toml_str(c['release_date'])}")
        out.append("sources = { " + ", ".join(f"{k} = {toml_str(v)}" for k, v in c["sources"].items()) + " }")
        for field in FIELDS:
            if field in c["figures"]:
                out.append(f"{field} = {inline_figure(c['figures'][field])}")
        out.append("[chip.dense_tops]")
        for prec in PRECISION_BITS:
            if prec in c["dense_tops"]:
                out.append(f"{prec} = {inline_figure(c['dense_tops'][prec])}")
    return "\n".join(out) + "\n"


def inline_figure(fig: dict) -> str:
    parts = [f"value = {toml_value(fig['value'])}", f"source = {toml_str(fig['source'])}"]
    if "note" in fig:
        parts.append(f"note = {toml_str(fig['note'])}")
    return "{ " + ", ".join(parts) + " }"


def tpp_report(text: str, report: list[str]) -> None:
    doc = tomllib.loads(text)
    for c in doc["chip"]:
        dense = c.get("dense_tops", {})
        if not dense:
            continue
        tpp = max(f["value"] * PRECISION_BITS[p] for p, f in dense.items())
        ref = c.get("reference_tpp", {}).get("value")
        if ref and abs(tpp - ref) / ref > 0.01:
            report.append(f"TPP cross-check: {c['id']}: computed {tpp:g} vs reference_tpp {ref:g} "
                          f"({(tpp - ref) / ref:+.1%})")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("chips_dir", nargs="?", default=str(DEFAULT_CHIPS_DIR),
                    help="directory holding the two CSVs (default: ../shared/data/chips from the repo root)")
    ap.add_argument("--curation", default=str(HERE / "curation.toml"))
    ap.add_argument("--out", default=str(HERE / "chips.toml"))
    ap.add_argument("--check", action="store_true", help="fail if the output file is not up to date")
    ap.add_argument("--report", action="store_true", help="print merge decisions and cross-checks")
    args = ap.parse_args(argv)

    report: list[str] = []
    try:
        text = build(Path(args.chips_dir), Path(args.curation), report)
    except (BuildError, KeyError, OSError) as e:
        print(f"build_catalog: error: {e}", file=sys.stderr)
        return 2
    tomllib.loads(text)  # the output must always parse
    if args.report:
        tpp_report(text, report)
        for line in report:
            print(line, file=sys.stderr)
    out = Path(args.out)
    if args.check:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            print(f"build_catalog: {out} is out of date; run python3 data/catalog/build_catalog.py",
                  file=sys.stderr)
            return 1
        return 0
    out.write_text(text, encoding="utf-8")
    n = text.count("\n[[chip]]\n")
    print(f"build_catalog: wrote {n} chips to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
