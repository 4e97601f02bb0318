"""National significant number lengths per country calling code (for "digits used in search").

A phone number typed with its country code (``+298 211234``) has a national
significant number (``211234``) whose length its numbering plan allows; national
spellings of it (``21 12 34``) share only those digits. :func:`national_length`
gives that length, so that the search compares no more digits than national
spellings have (Faroe Islands: 6, not the default 7).

The table is libphonenumber's metadata (phonenumbers 9.0.43), reduced to
the shortest and longest possible national number per calling code; calling
codes are prefix-free, so the longest matching prefix is the country code.
``python -m dpo_workbench.phoneplans`` prints it anew from the installed
phonenumbers package; a test keeps it equal to that package's metadata.
"""

from __future__ import annotations

#: Country calling code -> (shortest, longest) national significant number.
NSN_LENGTHS: dict[int, tuple[int, int]] = {
    1: (7, 10), 7: (10, 14), 20: (8, 10), 27: (5, 10), 30: (10, 12), 31: (5, 11), 32: (8, 9),
    33: (9, 9), 34: (9, 9), 36: (8, 9), 39: (6, 12), 40: (6, 9), 41: (9, 12), 43: (4, 13),
    44: (7, 10), 45: (8, 8), 46: (6, 12), 47: (5, 8), 48: (6, 10), 49: (4, 15), 51: (8, 9),
    52: (10, 10), 53: (6, 10), 54: (10, 11), 55: (8, 11), 56: (9, 11), 57: (8, 11),
    58: (10, 10), 60: (8, 10), 61: (5, 12), 62: (7, 17), 63: (6, 13), 64: (5, 10), 65: (8, 11),
    66: (8, 13), 81: (8, 17), 82: (5, 14), 84: (7, 10), 86: (7, 12), 90: (7, 13), 91: (8, 13),
    92: (8, 12), 93: (9, 9), 94: (9, 9), 95: (6, 10), 98: (4, 10), 211: (9, 9), 212: (9, 9),
    213: (8, 9), 216: (8, 8), 218: (9, 9), 220: (7, 9), 221: (9, 9), 222: (8, 8), 223: (8, 8),
    224: (8, 9), 225: (10, 10), 226: (8, 8), 227: (8, 8), 228: (8, 8), 229: (10, 10),
    230: (7, 10), 231: (7, 9), 232: (8, 8), 233: (8, 9), 234: (10, 14), 235: (8, 8),
    236: (8, 8), 237: (8, 9), 238: (7, 7), 239: (7, 7), 240: (9, 9), 241: (7, 8), 242: (9, 9),
    243: (7, 10), 244: (9, 9), 245: (7, 9), 246: (7, 7), 247: (5, 6), 248: (7, 7), 249: (9, 9),
    250: (8, 9), 251: (9, 9), 252: (6, 9), 253: (8, 8), 254: (7, 10), 255: (9, 9), 256: (9, 9),
    257: (8, 8), 258: (8, 9), 260: (9, 9), 261: (9, 9), 262: (9, 9), 263: (7, 10), 264: (8, 9),
    265: (7, 9), 266: (8, 8), 267: (7, 10), 268: (8, 9), 269: (7, 7), 290: (4, 5), 291: (7, 7),
    297: (7, 7), 298: (6, 6), 299: (6, 6), 350: (8, 8), 351: (9, 9), 352: (4, 11), 353: (7, 10),
    354: (7, 9), 355: (6, 9), 356: (8, 8), 357: (8, 8), 358: (5, 12), 359: (6, 12), 370: (8, 8),
    371: (8, 8), 372: (7, 10), 373: (8, 8), 374: (8, 8), 375: (6, 11), 376: (6, 9), 377: (8, 9),
    378: (8, 10), 380: (9, 10), 381: (6, 12), 382: (8, 9), 383: (8, 12), 385: (7, 9),
    386: (5, 8), 387: (8, 9), 389: (8, 8), 420: (9, 12), 421: (6, 9), 423: (7, 9), 500: (5, 5),
    501: (7, 11), 502: (8, 11), 503: (7, 11), 504: (8, 11), 505: (8, 8), 506: (8, 10),
    507: (7, 11), 508: (6, 9), 509: (8, 8), 590: (9, 9), 591: (8, 9), 592: (7, 7), 593: (8, 11),
    594: (9, 9), 595: (6, 11), 596: (9, 9), 597: (6, 7), 598: (4, 13), 599: (7, 8), 670: (7, 8),
    672: (6, 6), 673: (7, 7), 674: (7, 7), 675: (7, 8), 676: (5, 7), 677: (5, 7), 678: (5, 7),
    679: (7, 11), 680: (7, 7), 681: (6, 9), 682: (5, 5), 683: (4, 7), 685: (5, 10), 686: (5, 8),
    687: (6, 6), 688: (5, 7), 689: (6, 9), 690: (4, 7), 691: (7, 7), 692: (7, 7), 800: (8, 8),
    808: (8, 8), 850: (8, 10), 852: (5, 11), 853: (7, 8), 855: (8, 10), 856: (8, 10),
    870: (9, 12), 878: (12, 12), 880: (6, 10), 881: (9, 10), 882: (7, 12), 883: (8, 12),
    886: (7, 11), 888: (11, 11), 960: (7, 10), 961: (7, 8), 962: (8, 9), 963: (8, 9),
    964: (8, 10), 965: (7, 8), 966: (9, 10), 967: (7, 9), 968: (7, 9), 970: (8, 10),
    971: (5, 12), 972: (7, 12), 973: (8, 8), 974: (7, 11), 975: (7, 8), 976: (8, 10),
    977: (8, 11), 979: (9, 9), 992: (9, 9), 993: (8, 8), 994: (9, 9), 995: (9, 9), 996: (9, 10),
    998: (9, 9),
}


def national_length(international_digits: str) -> int | None:
    """The length of the national number inside digits that start with a country code.

    None when no country code starts them or the rest is not a length the
    country's numbering plan allows.

    >>> national_length("298211234"), national_length("358401234567"), national_length("99")
    (6, 9, None)
    """
    for size in (1, 2, 3):
        code = international_digits[:size]
        if code.isdigit() and int(code) in NSN_LENGTHS and len(code) == size:
            rest = len(international_digits) - size
            low, high = NSN_LENGTHS[int(code)]
            return rest if low <= rest <= high else None
    return None


def _generate() -> str:
    """The table from the installed phonenumbers package (a maintenance tool)."""
    from phonenumbers import PhoneMetadata
    from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

    codes: dict[int, tuple[int, int]] = {}
    for cc, regions in COUNTRY_CODE_TO_REGION_CODE.items():
        lengths: set[int] = set()
        for region in regions:
            md = (PhoneMetadata.metadata_for_nongeo_region(cc) if region == "001"
                  else PhoneMetadata.metadata_for_region(region))
            if md is not None and md.general_desc and md.general_desc.possible_length:
                lengths |= {n for n in md.general_desc.possible_length if n > 0}
        if lengths:
            codes[cc] = (min(lengths), max(lengths))
    return repr(dict(sorted(codes.items())))


if __name__ == "__main__":  # pragma: no cover
    print(_generate())
