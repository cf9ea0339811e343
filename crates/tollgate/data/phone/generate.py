#!/usr/bin/env python3
"""Derive tollgate's phone metadata tables from libphonenumber's metadata.

Usage: generate.py ASSETS_DIR VERSION

ASSETS_DIR holds PhoneNumberMetadata.xml and ShortNumberMetadata.xml; writes
metadata.tsv and short_numbers.tsv beside this script.

See docs/phone.md ("Updating the metadata") for where to get the XML.
Only the standard library is used.
"""

import os
import re
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))

# Short-number cost categories, in the XML and in the table; `emergency` has
# no length check in libphonenumber (an empty length list here).
SHORT_TYPES = [
    ("premiumRate", "premium_rate"),
    ("standardRate", "standard_rate"),
    ("tollFree", "toll_free"),
    ("emergency", "emergency"),
]

# Element name in the XML -> name in the table (and in tollgate's NumberType).
TYPES = [
    ("fixedLine", "fixed_line"),
    ("mobile", "mobile"),
    ("pager", "pager"),
    ("tollFree", "toll_free"),
    ("premiumRate", "premium_rate"),
    ("sharedCost", "shared_cost"),
    ("personalNumber", "personal_number"),
    ("voip", "voip"),
    ("uan", "uan"),
    ("voicemail", "voicemail"),
]


def squash(pattern):
    """libphonenumber patterns are written free-spaced; the runtime wants them compact."""
    return re.sub(r"\s+", "", pattern or "")


def lengths(spec):
    """'[6-9],11' -> [6, 7, 8, 9, 11]; '-1' -> [] (the type does not exist)."""
    out = []
    for part in (spec or "").split(","):
        part = part.strip()
        if not part or part == "-1":
            continue
        m = re.fullmatch(r"\[(\d+)-(\d+)\]", part)
        if m:
            out.extend(range(int(m.group(1)), int(m.group(2)) + 1))
        else:
            out.append(int(part))
    return sorted(set(out))


def national_prefix_for_parsing(t):
    """The pattern a national number's trunk prefix matches at its start."""
    npp = squash(t.get("nationalPrefixForParsing"))
    np = t.get("nationalPrefix", "")
    if npp:
        return npp
    return re.escape(np) if np else "-"


def header(out, source, version):
    print("# tollgate phone metadata: derived by generate.py from Google libphonenumber", file=out)
    print(f"# {source}, metadata version {version}.", file=out)
    print("# Copyright (C) 2009 The Libphonenumber Authors. Licensed under the Apache License,", file=out)
    print("# Version 2.0 (see LICENSE-Apache-2.0 beside this file). Modified: reduced to the", file=out)
    print("# fields tollgate uses. Do not edit by hand; regenerate (docs/phone.md).", file=out)


def short_numbers(path, version, out):
    header(out, "ShortNumberMetadata.xml", version)
    print("# region\tid", file=out)
    print("# type\tname\tpossible_lengths (empty: any)\tnational_number_pattern", file=out)
    print(f"version\t{version}", file=out)
    for t in ET.parse(path).getroot().iter("territory"):
        print(f"region\t{t.get('id')}", file=out)
        # libphonenumber takes the general lengths from the shortCode element.
        short_code = t.find("shortCode")
        pl = short_code.find("possibleLengths") if short_code is not None else None
        general_lengths = lengths(pl.get("national") if pl is not None else "")
        general = squash(t.findtext("generalDesc/nationalNumberPattern"))
        if general and general_lengths:
            print("\t".join(["type", "general", ",".join(map(str, general_lengths)), general]), file=out)
        for xml_name, name in SHORT_TYPES:
            e = t.find(xml_name)
            if e is None:
                continue
            pattern = squash(e.findtext("nationalNumberPattern"))
            pl = e.find("possibleLengths")
            ls = [] if name == "emergency" else lengths(pl.get("national") if pl is not None else "")
            if pattern and (ls or name == "emergency"):
                print("\t".join(["type", name, ",".join(map(str, ls)), pattern]), file=out)


def numbering_plans(path, version, out):
    root = ET.parse(path).getroot()
    header(out, "PhoneNumberMetadata.xml", version)
    print("# region\tid\tcalling_code\tmain\tinternational_prefix\tnational_prefix\ttransform_rule\tleading_digits", file=out)
    print("# type\tname\tpossible_lengths\tnational_number_pattern", file=out)
    print(f"version\t{version}", file=out)
    for t in root.iter("territory"):
        descs = []
        union = set()
        for xml_name, name in TYPES:
            e = t.find(xml_name)
            if e is None:
                continue
            pl = e.find("possibleLengths")
            ls = lengths(pl.get("national") if pl is not None else "")
            pattern = squash(e.findtext("nationalNumberPattern"))
            if not ls or not pattern:
                continue
            union.update(ls)
            descs.append((name, ls, pattern))
        general = squash(t.findtext("generalDesc/nationalNumberPattern"))
        print(
            "\t".join(
                [
                    "region",
                    t.get("id"),
                    t.get("countryCode"),
                    "1" if t.get("mainCountryForCode") == "true" else "0",
                    squash(t.get("internationalPrefix")) or "-",
                    national_prefix_for_parsing(t),
                    t.get("nationalPrefixTransformRule") or "-",
                    squash(t.get("leadingDigits")) or "-",
                ]
            ), file=out)
        if general:
            print("\t".join(["type", "general", ",".join(map(str, sorted(union))), general]), file=out)
        for name, ls, pattern in descs:
            print("\t".join(["type", name, ",".join(map(str, ls)), pattern]), file=out)


def main():
    assets, version = sys.argv[1], sys.argv[2]
    with open(os.path.join(HERE, "metadata.tsv"), "w", encoding="utf-8") as out:
        numbering_plans(os.path.join(assets, "PhoneNumberMetadata.xml"), version, out)
    with open(os.path.join(HERE, "short_numbers.tsv"), "w", encoding="utf-8") as out:
        short_numbers(os.path.join(assets, "ShortNumberMetadata.xml"), version, out)


if __name__ == "__main__":
    main()
