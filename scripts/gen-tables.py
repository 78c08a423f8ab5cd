#!/usr/bin/env python3
"""Regenerates the embedded lookup tables in src/fields/data/ (run from the repository root).

Inputs are files a Debian/Ubuntu machine already has, all public domain or plain facts:
  /usr/share/zoneinfo/tzdata.zi   (tzdata, public domain): `L TARGET LINK` lines -> tz_renames.txt
  /usr/share/zoneinfo/zone.tab    (tzdata, public domain): country -> zones     -> zones_by_country.txt
  /usr/share/zoneinfo/iso3166.tab (tzdata, public domain): alpha-2 and usual English names
  /usr/share/iso-codes/json/iso_3166-1.json (Debian iso-codes): alpha-3 codes and ISO names
The Windows table (windows_zones.txt) is transcribed from CLDR, see its header.
"""
import json

ZI = "/usr/share/zoneinfo/tzdata.zi"
ZONE_TAB = "/usr/share/zoneinfo/zone.tab"
ISO_TAB = "/usr/share/zoneinfo/iso3166.tab"
ISO_JSON = "/usr/share/iso-codes/json/iso_3166-1.json"
OUT = "src/fields/data/"


def tzdata_version():
    with open(ZI) as f:
        return f.readline().split()[-1]


def zone_tab():
    by_country = {}
    for line in open(ZONE_TAB):
        if line.startswith("#") or not line.strip():
            continue
        country, _coords, zone = line.rstrip("\n").split("\t")[:3]
        by_country.setdefault(country, []).append(zone)
    return by_country


# Links whose tzdata target is a different place (a merge for data reasons, not a rename):
# what people mean by the old name today.
BETTER_TARGET = {
    "Africa/Asmera": "Africa/Asmara",
    "Africa/Timbuktu": "Africa/Bamako",
    "America/Coral_Harbour": "America/Atikokan",
    "America/Virgin": "America/St_Thomas",
    "Antarctica/South_Pole": "Antarctica/McMurdo",
    "Atlantic/Jan_Mayen": "Arctic/Longyearbyen",
    "Iceland": "Atlantic/Reykjavik",
    "Pacific/Ponape": "Pacific/Pohnpei",
    "Pacific/Truk": "Pacific/Chuuk",
    "Pacific/Yap": "Pacific/Chuuk",
}


def renames(current):
    out = []
    for line in open(ZI):
        if not line.startswith("L "):
            continue
        _, target, link = line.split()
        # A name zone.tab still lists is today's name for its country, never an alias.
        if link in current:
            continue
        out.append((link, BETTER_TARGET.get(link, target)))
    return sorted(out)


# Names exports use that ISO does not (stale, informal, or local spellings).
EXTRA_NAMES = {
    "GB": ["UK", "Great Britain", "Britain", "England", "Scotland", "Wales", "Northern Ireland"],
    "US": ["USA", "U.S.", "U.S.A.", "United States of America", "America"],
    "CZ": ["Czech Republic"],
    "SZ": ["Swaziland"],
    "TR": ["Turkey", "Turkiye"],
    "CI": ["Ivory Coast", "Cote d'Ivoire"],
    "KR": ["Korea", "Republic of Korea"],
    "KP": ["North Korea"],
    "RU": ["Russia"],
    "MK": ["Macedonia"],
    "MM": ["Burma"],
    "CV": ["Cape Verde"],
    "TL": ["East Timor"],
    "VA": ["Vatican", "Vatican City", "Holy See"],
    "PS": ["Palestine"],
    "FM": ["Micronesia"],
    "NL": ["Holland", "The Netherlands"],
    "AE": ["UAE"],
    "CD": ["DR Congo", "DRC", "Congo-Kinshasa"],
    "CG": ["Congo-Brazzaville", "Republic of the Congo"],
    "SY": ["Syria"],
    "BN": ["Brunei"],
    "HK": ["Hong Kong SAR"],
    "MO": ["Macao SAR", "Macau"],
}


def countries():
    iso = {c["alpha_2"]: c for c in json.load(open(ISO_JSON))["3166-1"]}
    tz_names = {}
    for line in open(ISO_TAB):
        if line.startswith("#") or not line.strip():
            continue
        code, name = line.rstrip("\n").split("\t")
        tz_names[code] = name
    rows = []
    for code in sorted(iso):
        c = iso[code]
        names = []
        for n in [c.get("common_name"), c["name"], c.get("official_name"), tz_names.get(code)]:
            if n and n not in names:
                names.append(n)
        for n in EXTRA_NAMES.get(code, []):
            if n not in names:
                names.append(n)
        rows.append((code, c["alpha_3"], names))
    return rows


def main():
    version = tzdata_version()
    by_country = zone_tab()
    current = {z for zones in by_country.values() for z in zones}
    with open(OUT + "tz_renames.txt", "w") as f:
        f.write(f"# Old time zone names and the name used today, from tzdata {version} (public\n")
        f.write("# domain) `Link` lines; names zone.tab still lists are left out. scripts/gen-tables.py\n")
        for old, new in renames(current):
            f.write(f"{old} {new}\n")
    with open(OUT + "zones_by_country.txt", "w") as f:
        f.write(f"# ISO country -> its time zones, from tzdata {version} zone.tab (public domain),\n")
        f.write("# in zone.tab order (geographic, not by size). scripts/gen-tables.py\n")
        for country in sorted(by_country):
            f.write(f"{country} {' '.join(by_country[country])}\n")
    with open(OUT + "countries.txt", "w") as f:
        f.write("# ISO 3166-1: alpha-2 | alpha-3 | names (ISO short, official and common names from\n")
        f.write("# Debian iso-codes, the usual English names of tzdata iso3166.tab, then stale and\n")
        f.write("# informal names seen in exports). scripts/gen-tables.py\n")
        for code, alpha3, names in countries():
            f.write(f"{code} | {alpha3} | {' ; '.join(names)}\n")


main()
