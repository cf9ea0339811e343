#!/usr/bin/env python3
"""Derive tollgate's phone metadata table from libphonenumber's PhoneNumberMetadata.xml.

Usage: generate.py PATH/TO/PhoneNumberMetadata.xml VERSION > metadata.tsv

See docs/phone.md ("Updating the metadata") for where to get the XML.
Only the standard library is used.
"""

import re
import sys
import xml.etree.ElementTree as ET

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
    """The prefix a national number drops, as a regex, when simple stripping is right.

    Transform rules (AR, MX ...) and capturing patterns rewrite the number rather
    than drop a prefix; there the plain national prefix is used instead.
    """
    npp = squash(t.get("nationalPrefixForParsing"))
    np = t.get("nationalPrefix", "")
    if npp and not t.get("nationalPrefixTransformRule") and not re.search(r"\((?!\?:)", npp):
        return npp
    return re.escape(np) if np else "-"


def main():
    path, version = sys.argv[1], sys.argv[2]
    root = ET.parse(path).getroot()
    print("# tollgate phone metadata: derived by generate.py from Google libphonenumber")
    print(f"# PhoneNumberMetadata.xml, metadata version {version}.")
    print("# Copyright (C) 2009 The Libphonenumber Authors. Licensed under the Apache License,")
    print("# Version 2.0 (see LICENSE-Apache-2.0 beside this file). Modified: reduced to the")
    print("# fields tollgate uses. Do not edit by hand; regenerate (docs/phone.md).")
    print("# region\tid\tcalling_code\tmain\tinternational_prefix\tnational_prefix\tleading_digits")
    print("# type\tname\tpossible_lengths\tnational_number_pattern")
    print(f"version\t{version}")
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
                    squash(t.get("leadingDigits")) or "-",
                ]
            )
        )
        if general:
            print("\t".join(["type", "general", ",".join(map(str, sorted(union))), general]))
        for name, ls, pattern in descs:
            print("\t".join(["type", name, ",".join(map(str, ls)), pattern]))


if __name__ == "__main__":
    main()
