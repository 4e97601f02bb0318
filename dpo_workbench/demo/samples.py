"""The sample data subjects of the demo installation.

They are written into every demo installation whatever its size and seed, so that
a newcomer (and the test suite) can search at once. Each one appears in several
databases and result groups, with phone numbers and e-mail addresses spelled in
different formats and letter cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SampleSubject:
    """A person whose data the demo installation holds on purpose.

    ``spellings`` are the forms in which the phone number is stored in the demo,
    ``email_spellings`` the forms of the e-mail address. ``phone`` is the form the
    README gives for searching.
    """

    key: str
    first_name: str
    last_name: str
    country: str
    phone: str
    email: str
    spellings: tuple[str, ...]
    email_spellings: tuple[str, ...]
    contact_events: int = 12
    monitoring_only_events: int = 1
    campaign_customers: int = 2
    consents: int = 3
    directory_entry: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)


AINO = SampleSubject(
    key="aino",
    first_name="Aino",
    last_name="Järvinen",
    country="FI",
    phone="+358 40 123 4567",
    email="aino.jarvinen@example.fi",
    spellings=("+358 40 123 4567", "040-123 4567", "(040) 1234567", "00358401234567",
               "+358401234567", "040 123 45 67"),
    email_spellings=("aino.jarvinen@example.fi", "Aino.Jarvinen@Example.FI",
                     "AINO.JARVINEN@EXAMPLE.FI"),
    notes=("One of her e-mails carries HTML and script in its body; the dashboard must show it "
           "as text.",),
)

SOREN = SampleSubject(
    key="soren",
    first_name="Søren",
    last_name="Østergård",
    country="DK",
    phone="+45 20 12 34 56",
    email="soren.ostergard@example.dk",
    spellings=("+45 20 12 34 56", "20123456", "0045 20123456", "+45-2012-3456", "20 12 34 56"),
    email_spellings=("soren.ostergard@example.dk", "Soren.Ostergard@example.DK"),
    notes=("A Danish number: eight digits without a trunk prefix.",),
)

ZOE = SampleSubject(
    key="zoe",
    first_name="Zoë",
    last_name="Müller",
    country="DE",
    phone="+49 151 2345 6789",
    email="zoë.müller@example.de",
    spellings=("+49 151 2345 6789", "0151 23456789", "(0151) 2345-6789", "0049 15123456789",
               "+49 (0)151 23456789"),
    email_spellings=("zoë.müller@example.de", "ZOË.MÜLLER@EXAMPLE.DE", "Zoë.Müller@Example.de"),
    notes=("Her e-mail address has non-ASCII letters in upper and lower case: a search must "
           "match them on every engine.",),
)

#: Shares first and last name with Aino but nothing else: a name search finds both,
#: and the DPO unticks the namesake.
AINO_NAMESAKE = SampleSubject(
    key="aino_namesake",
    first_name="Aino",
    last_name="Järvinen",
    country="FI",
    phone="+358 50 765 4321",
    email="aino.j@example.net",
    spellings=("+358 50 765 4321", "050 7654321"),
    email_spellings=("aino.j@example.net",),
    contact_events=2,
    monitoring_only_events=0,
    campaign_customers=1,
    consents=1,
    notes=("Shares Aino's first and last name: a name search finds both; untick this one.",),
)

#: Shares the last 5 digits of Aino's number: found with 5 digits used in search,
#: not with 7 or more.
NEIGHBOUR = SampleSubject(
    key="neighbour",
    first_name="Mikko",
    last_name="Nieminen",
    country="FI",
    phone="+358 44 993 4567",
    email="mikko.nieminen@example.fi",
    spellings=("+358 44 993 4567", "044-993 4567"),
    email_spellings=("mikko.nieminen@example.fi",),
    contact_events=3,
    monitoring_only_events=0,
    campaign_customers=0,
    consents=1,
    directory_entry=False,
    notes=("Shares Aino's last 5 digits: found with 5 digits used in search, not with 7.",),
)

#: A switchboard number that called very often: a search for it finds more than
#: 1000 items, and the workbench suggests narrowing the criteria.
SWITCHBOARD = SampleSubject(
    key="switchboard",
    first_name="Ilmari",
    last_name="Korhonen",
    country="FI",
    phone="+358 9 876 5432",
    email="vaihde@example.org",
    spellings=("+358 9 876 5432", "09 876 5432", "(09) 8765432"),
    email_spellings=("vaihde@example.org",),
    contact_events=1100,
    monitoring_only_events=0,
    campaign_customers=0,
    consents=0,
    directory_entry=False,
    notes=("A switchboard with 1,100 contacts: more than 1000 items, so the workbench "
           "suggests narrowing the criteria.",),
)

SAMPLES: tuple[SampleSubject, ...] = (AINO, SOREN, ZOE, AINO_NAMESAKE, NEIGHBOUR, SWITCHBOARD)

def reserved_suffixes(length: int = 7) -> frozenset[str]:
    """Return the last ``length`` digits of every sample subject's phone number.

    Random demo people's numbers must not end with these, so that a 7-digit search
    for a sample subject finds only that subject's rows.
    """
    out = set()
    for s in SAMPLES:
        digits = "".join(ch for ch in s.phone if ch.isdigit())
        out.add(digits[-length:])
    return frozenset(out)
