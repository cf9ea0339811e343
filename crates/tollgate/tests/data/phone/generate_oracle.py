#!/usr/bin/env python3
"""Numbers around libphonenumber's example numbers, judged by libphonenumber.

`generate_oracle.py types > oracle.tsv`: e164, region_for_number (- for
none), number_type name.
For every region and type with an example number, the example is mutated
(digits changed, one added or removed) so that valid, invalid and
neighbouring-range numbers all appear. Deterministic (fixed seed).

`generate_oracle.py national > national.tsv`: every example number, and
every valid mutated number of `types`, as libphonenumber formats it
nationally (`020 7946 0000`) and internationally (`+44 20 7946 0000`), its
region, and the E.164 libphonenumber parses that back to.

Needs `pip install phonenumbers==9.0.33` (the metadata version tollgate's
table is generated from).
"""

import random
import sys

import phonenumbers
from phonenumbers import PhoneNumberType

NAMES = {v: k for k, v in vars(PhoneNumberType).items() if k.isupper() and isinstance(v, int)}
TYPES = [
    PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST, PhoneNumberType.VOIP,
    PhoneNumberType.PERSONAL_NUMBER, PhoneNumberType.PAGER, PhoneNumberType.UAN,
    PhoneNumberType.VOICEMAIL,
]


def mutations(rng, national):
    for _ in range(6):
        digits = list(national)
        for _ in range(rng.randint(1, 2)):
            digits[rng.randrange(len(digits))] = str(rng.randrange(10))
        yield "".join(digits)
    yield national + str(rng.randrange(10))
    if len(national) > 2:
        yield national[:-1]
    yield national[: max(1, len(national) // 2)] + "".join(
        str(rng.randrange(10)) for _ in range(len(national) - len(national) // 2)
    )


def national():
    print("# typed\tregion\te164 (phonenumbers %s)" % phonenumbers.__version__)
    numbers = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for t in TYPES:
            ex = phonenumbers.example_number_for_type(region, t)
            if ex is not None:
                numbers.append((ex, region))
    for e164, _, _ in mutated():
        n = phonenumbers.parse(e164)
        region = phonenumbers.region_code_for_number(n)
        if region and region != "001" and phonenumbers.is_valid_number(n):
            numbers.append((n, region))
    for n, region in numbers:
        for fmt in (phonenumbers.PhoneNumberFormat.NATIONAL, phonenumbers.PhoneNumberFormat.INTERNATIONAL):
            typed = phonenumbers.format_number(n, fmt)
            back = phonenumbers.parse(typed, region)
            print("%s\t%s\t%s" % (typed, region, phonenumbers.format_number(back, phonenumbers.PhoneNumberFormat.E164)))


def mutated():
    """(e164, region_for_number, type name) for the mutated examples."""
    rng = random.Random(9033)
    seen = set()
    examples = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for t in TYPES:
            ex = phonenumbers.example_number_for_type(region, t)
            if ex is not None:
                examples.append(ex)
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        for t in TYPES:
            ex = phonenumbers.example_number_for_non_geo_entity(code)
            if ex is not None:
                examples.append(ex)
    for ex in examples:
        national = phonenumbers.national_significant_number(ex)
        for candidate in mutations(rng, national):
            e164 = "+%d%s" % (ex.country_code, candidate)
            digits = len(e164) - 1
            if e164 in seen or candidate.startswith("0") and ex.country_code != 39 or not 6 <= digits <= 15:
                continue
            seen.add(e164)
            n = phonenumbers.parse(e164)
            # Parsing may rewrite a number (a national prefix stripped after
            # the calling code, NF's transform rule): judge only numbers that
            # stay themselves, as tollgate classifies an E.164 as it is.
            if phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164) != e164:
                continue
            region = phonenumbers.region_code_for_number(n) or "-"
            yield e164, region, NAMES[phonenumbers.number_type(n)]


def types():
    print("# e164\tregion_for_number\tnumber_type (phonenumbers %s)" % phonenumbers.__version__)
    for row in mutated():
        print("\t".join(row))


if __name__ == "__main__":
    {"types": types, "national": national}[sys.argv[1]]()
