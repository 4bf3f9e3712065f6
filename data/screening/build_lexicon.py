#!/usr/bin/env python3
"""Builds data/screening/lexicon.json from the rigour lexicons (MIT) in ../shared.

Usage: python3 data/screening/build_lexicon.py [LEXICON_DIR]
The JSON keeps the raw strings; ChipWarden normalises them with its own pipeline at load time,
so the lexicon and the matcher can never disagree about normalisation.
"""
import json
import os
import sys

import yaml

here = os.path.dirname(os.path.abspath(__file__))
src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "../../../shared/data/screening-labeled/lexicons")

org = yaml.safe_load(open(os.path.join(src, "rigour_org_types.yml"), encoding="utf-8"))
stop = yaml.safe_load(open(os.path.join(src, "rigour_names_stopwords.yml"), encoding="utf-8"))
sym = yaml.safe_load(open(os.path.join(src, "rigour_symbols.yml"), encoding="utf-8"))

legal_forms = []
for t in org["types"]:
    form = (t.get("generic") or t.get("compare") or t.get("display") or "").strip()
    aliases = sorted({a for a in (t.get("aliases") or []) if isinstance(a, str) and a.strip()}
                     | {x for x in (t.get("display"), t.get("compare")) if x})
    if form and aliases:
        legal_forms.append({"form": form, "aliases": aliases})

# Place words: the one-word country names of the world atlas the repository already carries
# (data/geo, Natural Earth via world-atlas 2.0.2), and the continents (UN M49 region names). In an
# organisation's name they mark a branch or a subsidiary ("Faberlic Europe", "PLA China").
atlas = json.load(open(os.path.join(here, "../geo/world-atlas-2.0.2_countries-50m.topo.json"), encoding="utf-8"))
countries = {g["properties"]["name"] for g in atlas["objects"]["countries"]["geometries"]}
CONTINENTS = ["Africa", "America", "Americas", "Asia", "Europe", "Oceania"]
places = sorted({n for n in countries if " " not in n and "." not in n} | set(CONTINENTS))

def groups(section):
    return {str(k): sorted({str(v) for v in vs if str(v).strip()}) for k, vs in sym.get(section, {}).items()}

out = {
    "attribution": "Derived from opensanctions/rigour resources/names/{org_types,stopwords,symbols}.yml "
                   "(MIT licence, Copyright OpenSanctions Datenbanken GmbH), commit noted in PROVENANCE.md. "
                   "person_name_parts (per-person alias lists, e.g. Putin, Gaddafi) is deliberately left out.",
    "legal_forms": legal_forms,
    "org_symbols": groups("org_symbols"),
    "org_domains": groups("org_domains"),
    "person_symbols": groups("person_symbols"),
    "person_nicknames": groups("person_nick"),
    "person_prefixes": sorted(set(stop.get("PERSON_NAME_PREFIXES", []))),
    "org_prefixes": sorted(set(stop.get("ORG_NAME_PREFIXES", []))),
    "generic_person_names": sorted(set(stop.get("GENERIC_PERSON_NAMES", []))),
    "places": places,
}
with open(os.path.join(here, "lexicon.json"), "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=False, indent=1, sort_keys=True)
    f.write("\n")
print(f"legal forms {len(legal_forms)}, org symbols {len(out['org_symbols'])}, domains {len(out['org_domains'])}, "
      f"places {len(places)}")
