"""Small real files for the demo's file stores: recordings, attachments, photos.

Every file is valid for its type, so that the dashboard can play a recording,
show a photo and a browser or PDF viewer can open an attachment. Nothing here
needs more than the standard library and numpy: WAV through :mod:`wave`, PNG
through :mod:`zlib` and :mod:`struct`, PDF written by hand with a correct
cross-reference table.
"""

from __future__ import annotations

import functools
import io
import struct
import wave
import zlib
from pathlib import Path

import numpy as np

SAMPLE_RATE = 8_000

#: (extension, content type) of the attachment kinds the demo writes.
ATTACHMENT_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "txt": "text/plain",
    "csv": "text/csv",
}


def wav_bytes(token: int, seconds: float | None = None) -> bytes:
    """A playable 8 kHz mono 16-bit PCM WAV file, 0.3-1 s of a tone or voice-like noise.

    ``token`` (for example the row id) picks the length, the pitch and whether the
    file sounds like a tone or like speech, so that files differ but are reproducible.

    Examples
    --------
    >>> import io, wave
    >>> with wave.open(io.BytesIO(wav_bytes(7)), "rb") as w:
    ...     (w.getnchannels(), w.getsampwidth(), w.getframerate())
    (1, 2, 8000)
    """
    rng = np.random.default_rng(token)
    seconds = seconds if seconds is not None else 0.3 + 0.7 * rng.random()
    t = np.arange(int(SAMPLE_RATE * seconds)) / SAMPLE_RATE
    if token % 3 == 0:  # a dial-tone-like pair of sines
        signal = 0.4 * np.sin(2 * np.pi * 425 * t) + 0.2 * np.sin(2 * np.pi * 850 * t)
    else:  # noise shaped by a syllable-rate envelope sounds like distant speech
        pitch = 110 + 120 * rng.random()
        envelope = 0.5 * (1 + np.sin(2 * np.pi * (3 + 3 * rng.random()) * t)) ** 2
        voiced = np.sin(2 * np.pi * pitch * t) + 0.5 * np.sin(2 * np.pi * 2 * pitch * t)
        signal = 0.25 * envelope * (voiced + 0.6 * rng.standard_normal(t.size))
    fade = np.minimum(1.0, np.minimum(t, t[-1] - t) * 50)  # no clicks at the ends
    pcm = np.clip(signal * fade * 32767 * 0.8, -32768, 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def png_bytes(rgb: np.ndarray) -> bytes:
    """Encode an ``(height, width, 3)`` uint8 array as a PNG file.

    Examples
    --------
    >>> png_bytes(np.zeros((2, 3, 3), dtype=np.uint8))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    height, width, _ = rgb.shape
    raw = np.zeros((height, 1 + 3 * width), dtype=np.uint8)  # filter byte 0 on every row
    raw[:, 1:] = rgb.reshape(height, 3 * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw.tobytes(), 6)) + _chunk(b"IEND", b""))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# A 5x7 pixel font for the initials on the photos (capital A-Z).
_FONT: dict[str, tuple[str, ...]] = {
    "A": ("01110", "10001", "10001", "11111", "10001", "10001", "10001"),
    "B": ("11110", "10001", "10001", "11110", "10001", "10001", "11110"),
    "C": ("01111", "10000", "10000", "10000", "10000", "10000", "01111"),
    "D": ("11110", "10001", "10001", "10001", "10001", "10001", "11110"),
    "E": ("11111", "10000", "10000", "11110", "10000", "10000", "11111"),
    "F": ("11111", "10000", "10000", "11110", "10000", "10000", "10000"),
    "G": ("01111", "10000", "10000", "10011", "10001", "10001", "01111"),
    "H": ("10001", "10001", "10001", "11111", "10001", "10001", "10001"),
    "I": ("01110", "00100", "00100", "00100", "00100", "00100", "01110"),
    "J": ("00111", "00010", "00010", "00010", "00010", "10010", "01100"),
    "K": ("10001", "10010", "10100", "11000", "10100", "10010", "10001"),
    "L": ("10000", "10000", "10000", "10000", "10000", "10000", "11111"),
    "M": ("10001", "11011", "10101", "10101", "10001", "10001", "10001"),
    "N": ("10001", "11001", "10101", "10011", "10001", "10001", "10001"),
    "O": ("01110", "10001", "10001", "10001", "10001", "10001", "01110"),
    "P": ("11110", "10001", "10001", "11110", "10000", "10000", "10000"),
    "Q": ("01110", "10001", "10001", "10001", "10101", "10010", "01101"),
    "R": ("11110", "10001", "10001", "11110", "10100", "10010", "10001"),
    "S": ("01111", "10000", "10000", "01110", "00001", "00001", "11110"),
    "T": ("11111", "00100", "00100", "00100", "00100", "00100", "00100"),
    "U": ("10001", "10001", "10001", "10001", "10001", "10001", "01110"),
    "V": ("10001", "10001", "10001", "10001", "10001", "01010", "00100"),
    "W": ("10001", "10001", "10001", "10101", "10101", "10101", "01010"),
    "X": ("10001", "10001", "01010", "00100", "01010", "10001", "10001"),
    "Y": ("10001", "10001", "01010", "00100", "00100", "00100", "00100"),
    "Z": ("11111", "00001", "00010", "00100", "01000", "10000", "11111"),
}
_GLYPHS = {k: np.array([[c == "1" for c in row] for row in v]) for k, v in _FONT.items()}
_PALETTE = np.array([(46, 94, 170), (200, 80, 60), (60, 150, 90), (150, 90, 170),
                     (220, 150, 40), (40, 140, 150), (120, 120, 120), (180, 60, 120)],
                    dtype=np.float64)


def photo_png(initials: str, token: int, size: int = 96) -> bytes:
    """A ``size`` x ``size`` avatar: the ``initials`` in white on a coloured disc.

    Examples
    --------
    >>> photo_png("AJ", 1)[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    img = _avatar(token % len(_PALETTE), size).copy()
    letters = [ch for ch in initials.upper() if ch in _GLYPHS][:2]
    if letters:
        scale = max(1, size // 24)
        glyphs = [_glyph(ch, scale) for ch in letters]
        gap = np.zeros((7 * scale, scale), dtype=bool)
        text = np.hstack([part for g in glyphs for part in (g, gap)][:-1])
        top, left = (size - text.shape[0]) // 2, (size - text.shape[1]) // 2
        region = img[top:top + text.shape[0], left:left + text.shape[1]]
        region[text] = 255
    return png_bytes(img)


@functools.cache
def _avatar(colour: int, size: int) -> np.ndarray:
    """The coloured disc of an avatar, without letters (computed once per colour)."""
    yy, xx = np.mgrid[0:size, 0:size]
    shade = 0.85 + 0.15 * (yy / size)  # a soft vertical gradient looks less flat
    img = np.full((size, size, 3), 235.0)
    disc = (yy - size / 2 + 0.5) ** 2 + (xx - size / 2 + 0.5) ** 2 <= (size * 0.46) ** 2
    img[disc] = _PALETTE[colour] * shade[disc][:, None]
    return img.astype(np.uint8)


@functools.cache
def _glyph(letter: str, scale: int) -> np.ndarray:
    return np.kron(_GLYPHS[letter], np.ones((scale, scale), dtype=bool))


def picture_png(token: int, width: int = 64, height: int = 48) -> bytes:
    """A small picture for an e-mail attachment (a colour gradient with stripes).

    Examples
    --------
    >>> picture_png(3)[12:16]
    b'IHDR'
    """
    colour = _PALETTE[token % len(_PALETTE)]
    yy, xx = np.mgrid[0:height, 0:width]
    img = colour[None, None, :] * (0.5 + 0.5 * xx[..., None] / width)
    img[(yy + xx + token) % 16 < 3] = 250.0
    return png_bytes(img.astype(np.uint8))


def pdf_bytes(title: str, lines: list[str]) -> bytes:
    """A one-page PDF 1.4 document with ``title`` and ``lines`` in Helvetica.

    Text is encoded as Latin-1 (WinAnsi), which covers the demo's names; other
    characters become ``?``.

    Examples
    --------
    >>> pdf_bytes("Invoice", ["Total 10 EUR"]).startswith(b"%PDF-1.4")
    True
    """
    text = ["BT", "/F1 16 Tf", "72 760 Td", f"({_pdf_text(title)}) Tj", "/F1 11 Tf"]
    for line in lines:
        text += ["0 -18 Td", f"({_pdf_text(line)}) Tj"]
    stream = "\n".join(text + ["ET"]).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def _pdf_text(value: str) -> str:
    safe = value.encode("latin-1", "replace").decode("latin-1")
    return safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def attachment_bytes(extension: str, token: int, title: str, lines: list[str]) -> bytes:
    """The content of an attachment of type ``extension`` (pdf, png, txt or csv).

    Examples
    --------
    >>> attachment_bytes("txt", 1, "Notes", ["Call back on Monday"]).decode()
    'Notes\\n=====\\nCall back on Monday\\n'
    """
    if extension == "pdf":
        return pdf_bytes(title, lines)
    if extension == "png":
        return picture_png(token)
    if extension == "csv":
        rows = ["item;quantity;price_eur"] + [
            f"{name};{1 + (token + i) % 4};{(token * 7 + i * 13) % 90 + 9.9:.2f}"
            for i, name in enumerate(("Router X2", "Cable 5 m", "Installation", "Adapter"))
        ]
        return ("\n".join([f"# {title}"] + rows) + "\n").encode("utf-8")
    return ("\n".join([title, "=" * len(title), *lines]) + "\n").encode("utf-8")


def write_file(root: Path, relative: str, data: bytes) -> int:
    """Write ``data`` to ``root / relative`` (creating folders); return its size in bytes.

    Examples
    --------
    >>> import tempfile
    >>> write_file(Path(tempfile.mkdtemp()), "2025/03/1.txt", b"hello")
    5
    """
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)
