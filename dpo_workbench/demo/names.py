"""Invented names, places, numbering plans and phrases of the demo installation.

Everything here is made up: the names are common given names and surnames of each
country combined at random, the e-mail domains are ``example.*`` domains, and the
companies and streets are ordinary words. The phone formats reproduce the ways a
contact centre sees one number spelled (national and international, with and
without separators), which is what makes finding one person's rows hard.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class NumberPlan:
    """One kind of number of a country: a fixed area/operator code and a subscriber part.

    ``groups`` splits the subscriber part into blocks for the spaced formats; in a
    country without a trunk prefix (DK, EE) it splits the whole national number.
    """

    area: str
    rest_len: int
    groups: tuple[int, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class Country:
    """What the demo knows about a country: people's names, numbers and places."""

    code: str
    calling_code: str
    trunk: str  # "0" where national numbers start with a trunk prefix, "" where they do not
    language: str
    weight: float
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    mobile: tuple[NumberPlan, ...]
    landline: tuple[NumberPlan, ...]
    domains: tuple[str, ...]
    cities: tuple[tuple[str, str], ...]  # (city, postal code)
    streets: tuple[str, ...]
    number_first: bool  # house number before the street name (GB, FR)
    companies: tuple[str, ...]
    greeting: str


COUNTRIES: tuple[Country, ...] = (
    Country(
        "FI", "358", "0", "fi", 0.40,
        ("Aino", "Eetu", "Elina", "Juha", "Kaisa", "Lauri", "Mikko", "Päivi", "Sanna", "Tuomas",
         "Veera", "Ville", "Anneli", "Sirpa", "Heikki", "Jyrki", "Minna", "Outi", "Pekka",
         "Riikka", "Ilmari", "Kerttu", "Väinö", "Sävele", "Jouni", "Helmi"),
        ("Järvinen", "Mäkinen", "Hämäläinen", "Virtanen", "Korhonen", "Nieminen", "Mäkelä",
         "Heikkinen", "Koskinen", "Lehtonen", "Laaksonen", "Kärkkäinen", "Räsänen", "Törmälä",
         "Salminen", "Väisänen", "Lindroos", "Öhman", "Pöllänen", "Kivelä"),
        (NumberPlan("40", 7, (3, 4), 3), NumberPlan("41", 7, (3, 4)), NumberPlan("44", 7, (3, 4)),
         NumberPlan("45", 7, (3, 4)), NumberPlan("50", 7, (3, 4), 2)),
        (NumberPlan("9", 7, (3, 4), 2), NumberPlan("2", 7, (3, 4)), NumberPlan("3", 7, (3, 4))),
        ("example.fi", "mail.example.fi", "example.com", "example.net"),
        (("Helsinki", "00100"), ("Helsinki", "00530"), ("Espoo", "02100"), ("Tampere", "33100"),
         ("Turku", "20100"), ("Oulu", "90100"), ("Jyväskylä", "40100"), ("Vantaa", "01300")),
        ("Mannerheimintie", "Hämeenkatu", "Aleksanterinkatu", "Kauppakatu", "Koulukatu",
         "Rantatie", "Pohjoisesplanadi", "Yliopistonkatu", "Väinämöisenkatu"),
        False,
        ("Esimerkki Oy", "Pohjolan Kauppa Oy", "Järvi-Suomen Energia Oy", "Kotipalvelu Ky"),
        "Hei",
    ),
    Country(
        "SE", "46", "0", "sv", 0.15,
        ("Åsa", "Björn", "Linnéa", "Göran", "Karin", "Lars", "Märta", "Sören", "Ingrid", "Erik",
         "Maja", "Oskar", "Agnes", "Håkan", "Ebba", "Nils"),
        ("Åström", "Lindqvist", "Söderberg", "Bergström", "Öberg", "Ekström", "Nyström",
         "Sjöberg", "Johansson", "Andersson", "Hedlund", "Wikström", "Lövgren", "Strömberg"),
        (NumberPlan("70", 7, (3, 2, 2), 2), NumberPlan("72", 7, (3, 2, 2)),
         NumberPlan("73", 7, (3, 2, 2)), NumberPlan("76", 7, (3, 2, 2))),
        (NumberPlan("8", 7, (3, 2, 2)),),
        ("example.se", "post.example.se", "example.com"),
        (("Stockholm", "111 22"), ("Göteborg", "411 03"), ("Malmö", "211 20"),
         ("Uppsala", "753 10"), ("Västerås", "722 11")),
        ("Storgatan", "Drottninggatan", "Kungsgatan", "Götgatan", "Sveavägen", "Åsögatan"),
        False,
        ("Exempel AB", "Norrländsk Handel AB", "Sjöfart & Co AB"),
        "Hej",
    ),
    Country(
        "DK", "45", "", "da", 0.10,
        ("Søren", "Mette", "Jørgen", "Ane", "Rasmus", "Freja", "Bjørn", "Line", "Mads", "Signe",
         "Niels", "Kirsten", "Sørine", "Anders"),
        ("Østergård", "Jørgensen", "Sørensen", "Nielsen", "Kjær", "Mølgaard", "Hansen",
         "Pedersen", "Bækgaard", "Dalsgård", "Lund", "Holm", "Brøndum"),
        (NumberPlan("2", 7, (2, 2, 2, 2), 2), NumberPlan("3", 7, (2, 2, 2, 2)),
         NumberPlan("4", 7, (2, 2, 2, 2)), NumberPlan("5", 7, (2, 2, 2, 2))),
        (NumberPlan("3", 7, (2, 2, 2, 2)), NumberPlan("8", 7, (2, 2, 2, 2)),
         NumberPlan("9", 7, (2, 2, 2, 2))),
        ("example.dk", "post.example.dk", "example.com"),
        (("København K", "1050"), ("Aarhus C", "8000"), ("Odense C", "5000"),
         ("Aalborg", "9000"), ("Køge", "4600")),
        ("Østergade", "Nørrebrogade", "Vesterbrogade", "Søndergade", "Algade", "Åboulevarden"),
        False,
        ("Eksempel A/S", "Nordisk Købmand ApS", "Ærø Energi A/S"),
        "Hej",
    ),
    Country(
        "DE", "49", "0", "de", 0.12,
        ("Jürgen", "Jörg", "Käthe", "Lena", "Lukas", "Mia", "Günther", "Sophie", "Felix", "Anja",
         "Björn", "Uwe", "Zoë", "Hannelore", "Maximilian"),
        ("Müller", "Schäfer", "Köhler", "Weiß", "Groß", "Krüger", "Schröder", "Fuchs",
         "Hoffmann", "Becker", "Wagner", "Böhm", "Jäger", "Schüßler"),
        (NumberPlan("151", 8, (4, 4), 2), NumberPlan("160", 7, (3, 4)),
         NumberPlan("170", 7, (3, 4)), NumberPlan("176", 8, (4, 4))),
        (NumberPlan("30", 8, (4, 4), 2), NumberPlan("89", 8, (4, 4)), NumberPlan("40", 8, (4, 4))),
        ("example.de", "mail.example.de", "example.com"),
        (("Berlin", "10115"), ("München", "80331"), ("Hamburg", "20095"), ("Köln", "50667"),
         ("Düsseldorf", "40213")),
        ("Hauptstraße", "Bahnhofstraße", "Schloßallee", "Gartenstraße", "Lindenstraße",
         "Am Mühlbach"),
        False,
        ("Beispiel GmbH", "Müller & Söhne KG", "Nordlicht Versand GmbH"),
        "Guten Tag",
    ),
    Country(
        "GB", "44", "0", "en", 0.10,
        ("Oliver", "Amelia", "Harry", "Siobhan", "George", "Olivia", "Niamh", "Jack", "Emily",
         "Rhys", "Seán", "Isla", "Dafydd"),
        ("Smith", "O'Brien", "Taylor", "Davies", "Evans", "Wilson", "Thompson", "MacDonald",
         "Hughes", "Walker", "Clarke", "Ó Súilleabháin", "Price"),
        (NumberPlan("7700", 6, (6,), 1), NumberPlan("7911", 6, (6,)),
         NumberPlan("7452", 6, (6,))),
        (NumberPlan("20", 8, (4, 4), 2), NumberPlan("161", 7, (3, 4)),
         NumberPlan("117", 7, (3, 4))),
        ("example.co.uk", "example.org", "example.com"),
        (("London", "EC1A 1BB"), ("Manchester", "M1 1AE"), ("Leeds", "LS1 4DY"),
         ("Bristol", "BS1 4DJ"), ("Cardiff", "CF10 1EP")),
        ("High Street", "Station Road", "Church Lane", "Victoria Road", "Mill Lane"),
        True,
        ("Example Ltd", "Albion Trading plc", "Northern Lights Ltd"),
        "Hello",
    ),
    Country(
        "FR", "33", "0", "fr", 0.08,
        ("Amélie", "Élodie", "François", "Hélène", "Léa", "Noël", "Chloé", "Jérôme", "Mathéo",
         "Inès", "Gaëlle", "Raphaël", "Anaïs", "Benoît"),
        ("Lefèvre", "Moreau", "Dubois", "Lefebvre", "Girard", "Bérenger", "Lambert", "Rousseau",
         "Fournier", "Mercier", "Gauthier", "Chevalier", "Périer", "Noël"),
        (NumberPlan("6", 8, (2, 2, 2, 2), 2), NumberPlan("7", 8, (2, 2, 2, 2))),
        (NumberPlan("1", 8, (2, 2, 2, 2)), NumberPlan("4", 8, (2, 2, 2, 2))),
        ("example.fr", "courriel.example.fr", "example.com"),
        (("Paris", "75001"), ("Lyon", "69001"), ("Marseille", "13001"), ("Lille", "59000"),
         ("Besançon", "25000")),
        ("rue de la République", "avenue Victor-Hugo", "rue Pasteur", "boulevard Saint-Michel",
         "rue de l'Église"),
        True,
        ("Exemple SARL", "Société Générale des Essais", "Boulangerie Lefèvre"),
        "Bonjour",
    ),
    Country(
        "EE", "372", "", "et", 0.05,
        ("Mari", "Kätlin", "Jüri", "Tõnu", "Liis", "Märt", "Kadri", "Rasmus", "Triin", "Priit",
         "Ülle", "Siim"),
        ("Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves", "Pärn", "Kõiv",
         "Lepik", "Õunapuu"),
        (NumberPlan("5", 7, (4, 4), 3), NumberPlan("8", 7, (4, 4))),
        (NumberPlan("6", 7, (4, 4)),),
        ("example.ee", "post.example.ee", "example.com"),
        (("Tallinn", "10111"), ("Tartu", "51003"), ("Pärnu", "80010"), ("Narva", "20308")),
        ("Narva mnt", "Pärnu mnt", "Tartu mnt", "Rüütli", "Vabaduse pst"),
        False,
        ("Näidis OÜ", "Põhjala Kaubandus AS"),
        "Tere",
    ),
)

COUNTRY_CODES: tuple[str, ...] = tuple(c.code for c in COUNTRIES)

# --------------------------------------------------------------------------------------
# Spelling of names and e-mail addresses

_FOLD = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "'": "", " ": ""})


@functools.lru_cache(maxsize=4096)  # a few hundred names, folded millions of times
def ascii_fold(text: str) -> str:
    """``text`` without diacritics, as people type it into an e-mail address.

    Examples
    --------
    >>> ascii_fold("Østergård"), ascii_fold("Schüßler"), ascii_fold("O'Brien")
    ('Ostergard', 'Schussler', 'OBrien')
    """
    text = text.translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isascii())


def email_local(first: str, last: str, pattern: int, number: int, keep_unicode: bool) -> str:
    """The local part of a person's e-mail address in one of six common patterns.

    Examples
    --------
    >>> email_local("Zoë", "Müller", 0, 7, False), email_local("Zoë", "Müller", 3, 7, True)
    ('zoe.muller', 'zoë.müller7')
    """
    f, g = (first, last) if keep_unicode else (ascii_fold(first), ascii_fold(last))
    f, g = f.lower().replace(" ", ""), g.lower().replace(" ", "").replace("'", "")
    if pattern == 0:
        return f"{f}.{g}"
    if pattern == 1:
        return f"{f}{g}"
    if pattern == 2:
        return f"{f[0]}.{g}"
    if pattern == 3:
        return f"{f}.{g}{number}"
    if pattern == 4:
        return f"{f}_{g}"
    return f"{g}.{f}"


EMAIL_PATTERNS = 6


def email_case(address: str, variant: int) -> str:
    """``address`` in the letter case a person or a system happened to type it.

    Examples
    --------
    >>> email_case("aino.jarvinen@example.fi", 1), email_case("a.b@example.fi", 2)
    ('Aino.Jarvinen@Example.FI', 'A.B@EXAMPLE.FI')
    """
    if variant == 1:  # Aino.Jarvinen@Example.FI
        local, _, domain = address.partition("@")
        parts = domain.split(".")
        domain = ".".join([p.capitalize() for p in parts[:-1]] + [parts[-1].upper()])
        return ".".join(p.capitalize() for p in local.split(".")) + "@" + domain
    if variant == 2:
        return address.upper()
    if variant == 3:
        return address[:1].upper() + address[1:]
    return address


# --------------------------------------------------------------------------------------
# Spelling of phone numbers: every function gets (calling code, trunk prefix, area,
# subscriber part, groups) and returns one spelling of the same number.

PhoneFormat = Callable[[str, str, str, str, tuple[int, ...]], str]


def group_digits(digits: str, groups: tuple[int, ...], sep: str = " ") -> str:
    """``digits`` split into blocks of ``groups`` sizes (the last block takes the rest).

    Examples
    --------
    >>> group_digits("1234567", (3, 4)), group_digits("20123456", (2, 2, 2, 2), "-")
    ('123 4567', '20-12-34-56')
    """
    out, pos = [], 0
    for size in groups[:-1]:
        out.append(digits[pos:pos + size])
        pos += size
    out.append(digits[pos:])
    return sep.join(p for p in out if p)


def _nsn(trunk: str, area: str, rest: str, groups: tuple[int, ...], sep: str = " ") -> str:
    # Without a trunk prefix (DK, EE) people group the whole national number.
    return group_digits(area + rest, groups, sep)


def _intl(cc: str, trunk: str, area: str, rest: str, groups: tuple[int, ...]) -> str:
    if not trunk:
        return f"+{cc} {_nsn(trunk, area, rest, groups)}"
    return f"+{cc} {area} {group_digits(rest, groups)}"


def _intl_compact(cc: str, trunk: str, area: str, rest: str, groups: tuple[int, ...]) -> str:
    return f"+{cc}{area}{rest}"


def _intl_00(cc: str, trunk: str, area: str, rest: str, groups: tuple[int, ...]) -> str:
    return f"00{cc}{area}{rest}"


def _intl_00_spaced(cc: str, trunk: str, area: str, rest: str, groups: tuple[int, ...]) -> str:
    return f"00{cc} {area}{rest}" if not trunk else f"00{cc} {area} {group_digits(rest, groups)}"


def _intl_trunk(cc: str, trunk: str, area: str, rest: str, groups: tuple[int, ...]) -> str:
    # "+358 (0)40 1234567": wrong by the book, common on business cards.
    if not trunk:
        return f"+{cc}-{_nsn(trunk, area, rest, (4, 4), '-')}"
    return f"+{cc} ({trunk}){area} {rest}"


def _intl_dash(cc: str, trunk: str, area: str, rest: str, groups: tuple[int, ...]) -> str:
    return f"+{cc}-{area}-{rest}" if trunk else f"+{cc}-{_nsn(trunk, area, rest, (4, 4), '-')}"


def _nat_dash(cc: str, trunk: str, area: str, rest: str, groups: tuple[int, ...]) -> str:
    if not trunk:
        return _nsn(trunk, area, rest, (4, 4), "-")
    return f"{trunk}{area}-{group_digits(rest, groups)}"


def _nat_paren(cc: str, trunk: str, area: str, rest: str, groups: tuple[int, ...]) -> str:
    return f"({trunk}{area}) {rest}" if trunk else f"{area}{rest}"


def _nat_compact(cc: str, trunk: str, area: str, rest: str, groups: tuple[int, ...]) -> str:
    return f"{trunk}{area}{rest}"


def _nat_spaced(cc: str, trunk: str, area: str, rest: str, groups: tuple[int, ...]) -> str:
    if not trunk:
        return _nsn(trunk, area, rest, groups)
    return f"{trunk}{area} {group_digits(rest, groups)}"


def _nat_dots(cc: str, trunk: str, area: str, rest: str, groups: tuple[int, ...]) -> str:
    if not trunk:
        return _nsn(trunk, area, rest, groups, ".")
    if groups == (2, 2, 2, 2):  # French style 06.12.34.56.78
        return f"{trunk}{area}." + group_digits(rest, groups, ".")
    return f"{trunk}{area}.{rest[:3]}.{rest[3:]}"


def _pairs(digits: str) -> tuple[int, ...]:
    head = 3 if len(digits) % 2 else 2
    return (head,) + (2,) * ((len(digits) - head) // 2)


def _nat_pairs(cc: str, trunk: str, area: str, rest: str, groups: tuple[int, ...]) -> str:
    if not trunk:
        return group_digits(area + rest, _pairs(area + rest))
    return f"{trunk}{area} {group_digits(rest, _pairs(rest))}"


#: Every spelling, most common first; a row picks one by index.
PHONE_FORMATS: tuple[PhoneFormat, ...] = (
    _intl, _nat_spaced, _nat_compact, _nat_dash, _intl_compact, _intl_00, _nat_paren,
    _intl_trunk, _nat_dots, _nat_pairs, _intl_00_spaced, _intl_dash,
)
#: How often each spelling is used (same order as PHONE_FORMATS).
PHONE_FORMAT_WEIGHTS: tuple[float, ...] = (18, 16, 14, 10, 10, 6, 6, 4, 4, 5, 4, 3)

#: What switches and forms store when there is no usable number.
JUNK_NUMBERS: tuple[str | None, ...] = ("unknown", "-", "", None, "anonymous", "n/a")

# --------------------------------------------------------------------------------------
# The contact centre itself

CHANNELS: tuple[str, ...] = ("call", "voicemail", "email", "chat", "sms", "messenger")
CHANNEL_WEIGHTS: tuple[float, ...] = (0.45, 0.07, 0.18, 0.15, 0.10, 0.05)
DIRECTIONS: tuple[str, ...] = ("in", "out", "internal")

#: (name, channel, service number). Service numbers are the centre's own.
QUEUES: tuple[tuple[str, str, str | None], ...] = (
    ("Customer service FI", "call", "+358 20 555 0100"),
    ("Kundtjänst SE", "call", "+46 8 555 010 00"),
    ("Kundeservice DK", "call", "+45 70 55 50 10"),
    ("Kundenservice DE", "call", "+49 30 5550 1000"),
    ("Customer service UK", "call", "+44 20 7946 0100"),
    ("Service client FR", "call", "+33 1 55 50 10 00"),
    ("Klienditeenindus EE", "call", "+372 655 5010"),
    ("Billing", "call", "+358 20 555 0200"),
    ("Technical support", "call", "+358 20 555 0300"),
    ("Sales outbound", "call", "+358 20 555 0500"),
    ("Voicemail", "voicemail", "+358 20 555 0101"),
    ("E-mail service", "email", None),
    ("E-mail billing", "email", None),
    ("Web chat", "chat", None),
    ("SMS service", "sms", "+358 20 555 0400"),
    ("Messenger", "messenger", None),
)

OUTCOMES: dict[str, tuple[tuple[str, float], ...]] = {
    "call": (("answered", 0.68), ("transferred", 0.10), ("abandoned", 0.12),
             ("no_answer", 0.07), ("busy", 0.03)),
    "voicemail": (("voicemail_left", 1.0),),
    "email": (("replied", 0.7), ("closed", 0.2), ("forwarded", 0.1)),
    "chat": (("completed", 0.85), ("abandoned", 0.15)),
    "sms": (("delivered", 0.5), ("replied", 0.5)),
    "messenger": (("completed", 0.8), ("no_reply", 0.2)),
}
#: Outcomes in which no agent took part.
UNHANDLED: frozenset[str] = frozenset({"abandoned", "voicemail_left", "no_reply"})

#: (name, status, created) of the outbound campaigns.
CAMPAIGNS: tuple[tuple[str, str, str], ...] = (
    ("Spring renewal 2024", "closed", "2024-02-05"),
    ("Broadband upgrade FI", "closed", "2024-05-13"),
    ("Winter offer SE/DK", "closed", "2024-10-28"),
    ("Customer satisfaction survey 2025", "paused", "2025-01-20"),
    ("Loyalty programme DE", "active", "2025-06-02"),
    ("Win-back UK/FR", "paused", "2025-09-15"),
    ("Energy contract renewal 2026", "active", "2026-01-12"),
    ("Welcome calls 2026", "active", "2026-04-06"),
)
CUSTOMER_STATUSES: tuple[str, ...] = ("new", "called", "callback", "completed", "do_not_call")
CALL_RESULTS: tuple[str, ...] = ("answered", "no_answer", "busy", "voicemail", "wrong_number")

TITLES: tuple[str, ...] = (
    "Purchasing Manager", "Office Manager", "Sales Director", "Accountant", "Project Manager",
    "Service Technician", "HR Specialist", "Chief Executive Officer", "Logistics Coordinator",
    "Customer Success Manager", "Receptionist", "IT Administrator",
)
DEPARTMENTS: tuple[str, ...] = (
    "Purchasing", "Administration", "Sales", "Finance", "Projects", "Service", "Human Resources",
    "Management", "Logistics", "Customer Success", "IT",
)

# --------------------------------------------------------------------------------------
# Phrases. Placeholders: {first} {last} {agent} {order} {invoice} {amount} {phone}
# {email} {street} {city} {date}

TOPICS: tuple[str, ...] = ("invoice", "delivery", "address", "cancel", "complaint",
                           "appointment", "login", "product")

SUBJECTS: dict[str, tuple[str, ...]] = {
    "invoice": ("Question about invoice {invoice}", "Invoice {invoice} paid twice?",
                "Payment reminder"),
    "delivery": ("Where is my order {order}?", "Delivery delayed", "Order {order} not received"),
    "address": ("New address", "Change of address", "Moving on {date}"),
    "cancel": ("Cancel my contract", "Cancellation of order {order}", "Termination"),
    "complaint": ("Complaint", "Broken product in order {order}", "Very disappointed"),
    "appointment": ("Booking a technician visit", "Change my appointment", "Appointment {date}"),
    "login": ("Cannot log in", "Password reset does not work", "Account locked"),
    "product": ("Question about the fibre offer", "Which plan suits me?", "Product information"),
}

SENTENCES: dict[str, tuple[str, ...]] = {
    "invoice": (
        "I received invoice {invoice} of {amount} EUR, but I think I already paid it.",
        "Could you check why the amount is higher than last month?",
        "Please send the invoice to {email} from now on.",
        "The due date is {date}; can I pay in two parts?",
    ),
    "delivery": (
        "My order {order} should have arrived last week, but nothing has come.",
        "The tracking page has said 'in transit' for five days.",
        "Please deliver it to {street}, {city} instead.",
        "If the courier calls, my number is {phone}.",
    ),
    "address": (
        "I am moving to {street}, {city} on {date}.",
        "Please update my address for letters and invoices.",
        "My phone number stays the same: {phone}.",
        "Could you also change the e-mail address to {email}?",
    ),
    "cancel": (
        "I would like to cancel my contract from the end of the month.",
        "Please confirm the cancellation of order {order} by e-mail.",
        "The reason is that I am moving abroad.",
        "You can call me at {phone} if you need anything else.",
    ),
    "complaint": (
        "The product in order {order} arrived broken.",
        "This is the second time this happens and I am not happy.",
        "I have attached photos of the damage.",
        "I expect a refund of {amount} EUR.",
    ),
    "appointment": (
        "I would like to book a technician visit for {date}.",
        "Mornings suit me best; please call {phone} before coming.",
        "The address is {street}, {city}.",
        "Can we move the visit to next week?",
    ),
    "login": (
        "I cannot log in to my account although I reset the password.",
        "The reset link goes to {email}, but nothing arrives.",
        "My customer number is on invoice {invoice}.",
        "Please call me back at {phone}.",
    ),
    "product": (
        "I am interested in your fibre offer for {street}, {city}.",
        "What is the price after the first twelve months?",
        "Do you also offer a family plan?",
        "Send the details to {email}, thanks.",
    ),
}

AGENT_REPLIES: tuple[str, ...] = (
    "Thank you for your message. I have checked the matter and corrected it in our system.",
    "Thank you for contacting us. Your case has been forwarded to the right team.",
    "We apologise for the inconvenience. A refund of {amount} EUR has been approved.",
    "Your order {order} has now been dispatched and should arrive within two working days.",
    "I have updated your details as you asked.",
)

SIGN_OFFS: tuple[str, ...] = ("Best regards", "Kind regards", "Thanks", "BR", "Regards")

CHAT_OPENERS: tuple[str, ...] = (
    "Hi, I have a question about my invoice {invoice}.",
    "Hello! Where is my order {order}?",
    "Hi, it's {first} {last} here. I want to change my address.",
    "hello, my internet has been down since yesterday",
    "Hi! Can I still cancel order {order}?",
)

CHAT_CUSTOMER: tuple[str, ...] = (
    "My number is {phone}, can you call me?",
    "You can reach me at {email}.",
    "I want to change my address to {street}, {city}.",
    "ok thanks",
    "Yes, that's right.",
    "The order number is {order}.",
    "Could you send the confirmation to {email}?",
    "It's {first} {last} here.",
    "Great, thank you for your help!",
    "No, that was all.",
)

CHAT_AGENT: tuple[str, ...] = (
    "Hello {first}, my name is {agent}. How can I help you?",
    "Let me check that for you, one moment please.",
    "Could you give me your order number?",
    "I can see the order {order} in our system.",
    "Thank you, I have updated your details.",
    "Is there anything else I can help you with?",
    "I have sent a confirmation to your e-mail.",
    "Can I call you back at {phone}?",
)

SYSTEM_MESSAGES: tuple[str, ...] = ("Chat started", "Visitor joined from the web page",
                                    "Conversation transferred to {agent}")

NOTES: tuple[str, ...] = (
    "Customer asked about invoice {invoice}; explained the price change.",
    "Call back on {date}, customer prefers mornings.",
    "Customer was upset about the delay of order {order}. Offered a discount.",
    "Address changed to {street}, {city}.",
    "Customer asked to be contacted at {phone} only.",
    "Sent the terms to {email}.",
    "Technician visit booked for {date}.",
    "Customer mentioned a hearing impairment; prefers e-mail.",
    "Forwarded to billing.",
)

SCRIPT_QUESTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Reason for contact", ("Invoice question", "Wants to change the delivery address to "
                            "{street}", "Moving on {date}", "Order {order} missing",
                            "Asked about the fibre offer")),
    ("Was the customer satisfied?", ("Yes, thanked for the quick help", "Partly",
                                     "No, wants a call from a supervisor")),
    ("Best time to call back", ("Mornings", "After 16:00 at {phone}", "Weekends only")),
    ("Additional information", ("Lives with an elderly parent; speak slowly",
                                "Works night shifts", "Prefers {email} for all letters")),
)

CALL_DATA_KEYS: tuple[str, ...] = ("customer_number", "order_id", "caller_email",
                                   "callback_number", "language", "ivr_path", "crm_case")

FIELD_NAMES: tuple[str, ...] = ("contract_id", "customer_number", "preferred_time", "alt_phone",
                                "alt_email", "address", "birth_year", "product", "comment")

PREFERRED_TIMES: tuple[str, ...] = ("mornings", "after 16:00", "weekends", "lunch time")
PRODUCTS: tuple[str, ...] = ("Fibre 100M", "Fibre 1G", "Mobile 5G Unlimited", "Energy Fixed 24",
                             "Home Insurance Plus", "TV Basic")
COMMENTS: tuple[str, ...] = ("Interested in the family plan", "Asked for a written offer",
                             "Do not call before 10:00", "Prefers to speak {language_name}",
                             "Call the mobile {phone}")
LANGUAGE_NAMES: dict[str, str] = {"fi": "Finnish", "sv": "Swedish", "da": "Danish",
                                  "de": "German", "en": "English", "fr": "French",
                                  "et": "Estonian"}

DIRECTORY_NOTES: tuple[str, ...] = (
    "Assistant: {first} handles invoices on Fridays.",
    "Prefers e-mail to {email}.",
    "Works part time (Mon-Wed).",
    "Contact person for the framework agreement.",
    "Private number only in emergencies: {phone}.",
)
