"""The rules a datamap draft guesses by: column names, and the shapes of sampled values.

Pure functions, no database: :func:`tokens` splits a column name into words,
:func:`value_shape` says what one sampled value looks like, :class:`Tally` counts
the shapes of a column's sample (counts only: the values themselves are never
kept), and :func:`column_verdict` weighs a column's type, name and tally into one
:class:`Verdict` with the words of its review note.

The rule that keeps numeric ids from being taken for phone numbers: a phone
column holds text; its values have 6 to 20 digits and separators, a leading
``+`` or a leading ``0``; bare digit strings without a leading 0 (``100234``)
are ids, unless the column is named like a phone and the numbers are long enough
to be one (``46701234567`` in ``msisdn``); a column named like a reference
(``caller_id``, ``account_no``) needs its values to say "phone".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..erasure.strategies import ANONYMIZED
from ..normalize import strip_separators

#: Non-null values sampled per column, and the share of them that must have one
#: shape for the column to be taken for it.
SAMPLE_SIZE = 200
SHARE = 0.6

AUDIO = frozenset({"wav", "mp3", "ogg", "opus", "gsm", "m4a", "flac", "aac", "amr", "wma"})
IMAGE = frozenset({"png", "jpg", "jpeg", "gif", "webp", "bmp", "tif", "tiff", "heic"})
DOCUMENT = frozenset({"pdf", "doc", "docx", "xls", "xlsx", "odt", "ods", "txt", "csv", "rtf",
                      "zip", "eml", "msg", "html", "xml", "json", "mp4", "avi", "mov"})
EXTENSIONS = AUDIO | IMAGE | DOCUMENT

_PHONE_CHARS = re.compile(r"^\+?[\d\s\u00a0\u202f\u2009\-\u2010\u2011\u2013./()]+$")
_DATE = re.compile(r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}\b|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_DECIMAL = re.compile(r"^[-+]?\d+[.,]\d+$")
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s.<>()\[\],;:\"]{2,}$")
_FILE = re.compile(r"^[^\s<>|\"*?@][^<>|\"*?]*\.([A-Za-z0-9]{2,5})$")
_PERSON = re.compile(r"^[^\W\d_]+(?:[ '’\-.,]{1,2}[^\W\d_]+){0,3}\.?$")
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_FLAGS = frozenset({"0", "1", "y", "n", "yes", "no", "true", "false", "t", "f", "j", "ja",
                    "nein", "ok", "on", "off"})

PHONE_WORDS = frozenset({"phone", "telephone", "tel", "mobile", "cell", "cellphone", "msisdn",
                         "fax", "gsm", "landline", "ani", "cli", "sms", "mob", "telefon",
                         "puhelin", "handy"})
#: Words that hint at a phone only with values that look like phone numbers.
WEAK_PHONE_WORDS = frozenset({"number", "caller", "callee", "dialled", "dialed", "called",
                              "calling", "dial", "callback", "nr", "num", "contact"})
EMAIL_WORDS = frozenset({"email", "mail", "emailaddress", "smtp"})
FIRST_WORDS = frozenset({"firstname", "forename", "fname", "givenname", "vorname", "prenom",
                         "etunimi", "fornamn"})
LAST_WORDS = frozenset({"lastname", "surname", "lname", "familyname", "nachname", "sukunimi",
                        "efternamn"})
DISPLAY_WORDS = frozenset({"display", "full", "remote", "sender", "contact", "customer",
                           "caller", "nick", "person", "visitor", "client", "real", "author",
                           "subscriber", "recipient", "party", "owner", "user", "holder"})
TEXT_WORDS = frozenset({"note", "notes", "comment", "comments", "remark", "remarks", "message",
                        "body", "subject", "answer", "memo", "street", "address", "value",
                        "transcript", "summary", "freetext", "nickname", "alias", "username",
                        "birthday", "birthdate", "dob", "ssn", "iban", "passport"})
NOT_PERSONAL = frozenset({"file", "filename", "path", "table", "field", "queue", "campaign",
                          "company", "department", "product", "host", "server", "key", "type",
                          "module", "event", "group", "skill", "status", "code", "content",
                          "mime", "list", "team", "site", "domain", "template"})
REFERENCE_ENDS = ("id", "key", "ref", "uuid", "guid", "code", "pk", "fk")
START_WORDS = frozenset({"start", "started", "begin", "begun", "began", "opened", "open",
                         "received", "sent", "given", "signed", "arrived", "at", "when",
                         "time", "timestamp", "date", "occurred", "called", "recorded"})
CREATED_WORDS = frozenset({"created", "inserted", "imported", "registered", "loaded", "added",
                           "logged", "made", "on"})
LATE_WORDS = frozenset({"end", "ended", "closed", "updated", "modified", "changed", "last",
                        "deleted", "expires", "expired", "valid", "until", "birth", "due",
                        "next", "planned", "scheduled"})


def tokens(name: str) -> tuple[str, ...]:
    """The words of a column or table name, lower case.

    >>> tokens("remoteNumber"), tokens("phone1"), tokens("E_MAIL_addr")
    (('remote', 'number'), ('phone', '1'), ('e', 'mail', 'addr'))
    """
    return tuple(w.lower() for w in _WORD.findall(name))


def joined(words: Iterable[str]) -> str:
    return "".join(words)


def is_reference_name(name: str) -> bool:
    """Whether a column is named like an id or a reference (``caller_id``, ``account_no``).

    ``no``, ``nr`` and ``num`` after a phone word mean "number": ``mobile_no`` is no id
    (nor is ``yes_no``).

    >>> [is_reference_name(n) for n in ("caller_id", "account_no", "mobile_no", "yes_no", "ani")]
    [True, True, False, False, False]
    """
    words = tokens(name)
    if len(words) == 1:
        return len(words[0]) > 3 and words[0].endswith("id")
    if words[-1] in ("no", "nr", "num"):
        return not set(words) & (PHONE_WORDS | {"yes"})
    return words[-1] in REFERENCE_ENDS


def phone_hint(name: str) -> str:
    """``strong``, ``weak`` or ``""``: how much a column's name says "phone number".

    >>> phone_hint("mobile_no"), phone_hint("remote_number"), phone_hint("account_no")
    ('strong', 'weak', '')
    """
    words = set(tokens(name))
    if words & PHONE_WORDS or "phonenumber" in joined(tokens(name)):
        return "strong"
    return "weak" if words & WEAK_PHONE_WORDS else ""


def email_hint(name: str) -> bool:
    """Whether a column is named like an e-mail address.

    >>> email_hint("mail_addr"), email_hint("e_mail"), email_hint("mailbox_size")
    (True, True, False)
    """
    words = tokens(name)
    return bool(set(words) & EMAIL_WORDS) and not {"size", "count", "box", "mailbox"} & set(words) \
        or "email" in joined(words)


def name_part(name: str) -> str:
    """``first``, ``last`` or ``""``: which part of a person's name a column is named for.

    >>> name_part("given_name"), name_part("Surname"), name_part("family"), name_part("last_login")
    ('first', 'last', 'last', '')
    """
    words = tokens(name)
    flat = joined(words)
    pairs = {(a, b) for a, b in zip(words, words[1:], strict=False)}
    if flat in FIRST_WORDS | {"first", "given"} or set(words) & FIRST_WORDS or any(
            (a in ("first", "given", "fore", "christian") and b == "name") for a, b in pairs):
        return "first"
    if flat in LAST_WORDS | {"last", "family", "sur"} or set(words) & LAST_WORDS or any(
            (a in ("last", "family", "sur") and b == "name") for a, b in pairs):
        return "last"
    return ""


def display_name_hint(name: str) -> str:
    """``strong``, ``weak`` or ``""``: how much a column's name says "a person's name".

    Weak (``cli_name``, ``name``) needs values that look like names.

    >>> [display_name_hint(n) for n in ("sender_name", "cli_name", "file_name", "displayName")]
    ['strong', 'weak', '', 'strong']
    """
    words = tokens(name)
    if set(words) & NOT_PERSONAL:
        return ""
    if "name" in words and set(words) & DISPLAY_WORDS or \
            joined(words) in ("displayname", "fullname", "nickname", "contactname"):
        return "strong"
    return "weak" if "name" in words or joined(words).endswith("name") else ""


def free_text_hint(name: str) -> bool:
    """Whether a text column is named like free text or an address about the person.

    >>> free_text_hint("note_text"), free_text_hint("data_value"), free_text_hint("content_type")
    (True, True, False)
    """
    words = tokens(name)
    return bool(set(words) & TEXT_WORDS) and words[-1] not in NOT_PERSONAL


def time_rank(name: str) -> int:
    """How much a date column's name says "when it happened": 3 (start) to 0 (end, update).

    >>> time_rank("started_at"), time_rank("imported_at"), time_rank("modified")
    (3, 2, 0)
    """
    words = set(tokens(name))
    if words & LATE_WORDS:
        return 0
    if words & CREATED_WORDS:
        return 2
    return 3 if words & START_WORDS else 1


def value_shape(value: object) -> str:
    """What one sampled value looks like: phone, digits, email, file, person, flag or other.

    >>> [value_shape(v) for v in ("+358 40 123 4567", "0701112234", "(09) 8765432")]
    ['phone', 'phone', 'phone']
    >>> [value_shape(v) for v in ("100234", 4711, "2024-05-01", "10.0.0.1", "00100", "12.50")]
    ['digits', 'digits', 'other', 'other', 'digits', 'other']
    >>> [value_shape(v) for v in ("0046701112233", "0012345678", "000123456")]
    ['phone', 'digits', 'digits']
    >>> [value_shape(v) for v in ("Aino@Example.FI", "2024/01/1.wav", "Lund, Bjørn", "Y", 1)]
    ['email', 'file', 'person', 'flag', 'flag']
    """
    if isinstance(value, bool):
        return "flag"
    text = str(value).strip()
    if not text or text == ANONYMIZED:
        return "empty"
    if text.lower() in _FLAGS:
        return "flag"
    if _PHONE_CHARS.match(text) and not (_DATE.match(text) or _IPV4.match(text)
                                         or _DECIMAL.match(text)):
        digits = strip_separators(text)
        if digits.isdigit() and 6 <= len(digits) <= 20:
            if text != digits or _bare_phone(digits):
                return "phone"
            return "digits"
        if digits.isdigit() and text == digits:
            return "digits"
        return "other"
    if _EMAIL.match(text):
        return "email"
    m = _FILE.match(text)
    if m and m.group(1).lower() in EXTENSIONS and not text.endswith("."):
        return "file"
    if _PERSON.match(text) and len(text) <= 60:
        return "person"
    return "other"


def _bare_phone(digits: str) -> bool:
    """Whether digits without separators are a phone number: a national one (one leading 0,
    8 to 13 digits) or an international one (00, a country code and 7+ digits). Other
    digit strings, zero-padded ones (``000123``, ``0012345678``) too, are ids.
    """
    if digits.startswith("00"):
        return not digits.startswith("000") and 11 <= len(digits) <= 17
    return digits.startswith("0") and 8 <= len(digits) <= 13


def file_kind(value: str) -> str:
    """The datamap's file kind for a path: audio, image or attachment.

    >>> file_kind("x/1.WAV"), file_kind("p.jpeg"), file_kind("a.pdf")
    ('audio', 'image', 'attachment')
    """
    ext = PurePosixPath(value).suffix.lower().lstrip(".")
    return "audio" if ext in AUDIO else "image" if ext in IMAGE else "attachment"


@dataclass
class Tally:
    """The shapes of one column's sampled values: counts only, never the values.

    ``stores`` counts, per configured file store, the sampled paths that name a
    file inside it; ``kinds`` the file kinds of file-shaped values.
    """

    n: int = 0
    shapes: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    stores: Counter[str] = field(default_factory=Counter)
    long_digits: int = 0  # bare digit strings of 9 to 15 digits (a phone without separators?)

    def add(self, value: object, stores: Mapping[str, Path] | None = None) -> None:
        shape = value_shape(value)
        if shape == "empty":
            return
        self.n += 1
        self.shapes[shape] += 1
        if shape == "digits" and 9 <= len(str(value).strip()) <= 15:
            self.long_digits += 1
        if shape == "file":
            text = str(value).strip()
            self.kinds[file_kind(text)] += 1
            for store, folder in (stores or {}).items():
                if _in_store(folder, text):
                    self.stores[store] += 1

    def share(self, *shapes: str) -> float:
        return sum(self.shapes[s] for s in shapes) / self.n if self.n else 0.0

    def of(self, *shapes: str) -> str:
        """``"150 of 200 sampled values"``: the words of a review note."""
        return f"{sum(self.shapes[s] for s in shapes)} of {self.n} sampled values"


def _in_store(folder: Path, relative: str) -> bool:
    """Whether ``relative`` names a regular file inside ``folder`` (never outside it)."""
    rel = PurePosixPath(relative)
    if rel.is_absolute() or ".." in rel.parts or "\0" in relative:
        return False
    try:
        return (folder / rel).is_file()
    except OSError:
        return False


@dataclass(frozen=True)
class Verdict:
    """What a column is guessed to be (``kind``), and why (a review note's words)."""

    kind: str  # phone email first last display text file flag none
    why: str


NONE = Verdict("none", "")


def column_verdict(name: str, *, text: bool, integer: bool, tally: Tally | None) -> Verdict:
    """Weigh a column's type, name and sampled values into one guess.

    >>> t = Tally(); [t.add(v) for v in ("+46 70 111 22 33", "070-999 88 77")] and None
    >>> column_verdict("ani", text=True, integer=False, tally=t).kind
    'phone'
    >>> ids = Tally(); [ids.add(v) for v in ("100234", "100235", "2004511")] and None
    >>> column_verdict("phone_ref", text=True, integer=False, tally=ids).kind
    'none'
    >>> column_verdict("mobile", text=False, integer=True, tally=None).why[:40]
    'named like a phone number but of a numbe'
    """
    t = tally or Tally()
    sampled = t.n > 0
    phone, ref = phone_hint(name), is_reference_name(name)
    if not text:
        if integer and phone == "strong" and not ref:
            return Verdict("text", "named like a phone number but of a number type, so the "
                                   "search (which compares text) cannot match it; listed so "
                                   "that erasure covers it")
        if sampled and t.share("flag") == 1.0 and t.shapes["flag"]:
            return Verdict("flag", f"{t.of('flag')} are 0/1 or yes/no")
        return NONE
    by_name = "by its name only: it had no values to sample"
    if sampled and t.share("flag") == 1.0:
        return Verdict("flag", f"{t.of('flag')} are 0/1 or yes/no")
    if sampled and t.share("phone") >= SHARE:
        named = {"strong": "named like a phone number; ",
                 "weak": "its name hints at a phone number; "}
        return Verdict("phone", f"{named.get(phone, '')}{t.of('phone')} are phone numbers")
    if sampled and phone == "strong" and not ref and \
            (t.shapes["phone"] + t.long_digits) / t.n >= SHARE:
        return Verdict("phone", f"named like a phone number and {t.shapes['phone'] + t.long_digits}"
                                f" of {t.n} sampled values are phone numbers or long digit strings")
    if sampled and t.share("email") >= SHARE:
        return Verdict("email", f"{t.of('email')} are e-mail addresses")
    if sampled and t.share("file") >= SHARE:
        return Verdict("file", f"{t.of('file')} are file paths")
    part = name_part(name)
    if part and (not sampled or t.share("person") >= SHARE):
        return Verdict(part, f"named like a {part} name" + (
            f"; {t.of('person')} look like names" if sampled else f", {by_name}"))
    if not sampled and phone == "strong" and not ref:
        return Verdict("phone", f"named like a phone number, {by_name}")
    if not sampled and email_hint(name):
        return Verdict("email", f"named like an e-mail address, {by_name}")
    display = display_name_hint(name)
    if display == "strong" and (not sampled or t.share("person") >= SHARE) or \
            display == "weak" and sampled and t.share("person") >= SHARE:
        return Verdict("display", "named like a person's name" + (
            f"; {t.of('person')} look like names" if sampled else ""))
    if free_text_hint(name) and not (sampled and t.share("flag", "digits") >= SHARE):
        return Verdict("text", "named like free text or an address about the person")
    if (phone or email_hint(name)) and sampled and t.share("phone", "email") > 0:
        return Verdict("text", f"named like a contact column and {t.of('phone', 'email')} "
                               "look like phone numbers or e-mail addresses (too few to match by)")
    return NONE
