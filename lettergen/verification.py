"""Letters that can be verified: a short code per letter, a public check page, a QR code.

Each register entry is given a random verification code when its number is
reserved (:func:`lettergen.register.rows.new_verify_code`); it is stored with
the entry, so a letter regenerated from the same data, number and template
prints the same code and stays byte-identical.  With ``[service]
public_url`` set, ``{public_url}/v/{number}?c={code}`` is the letter's check
page, which :func:`check` answers: issuer, date and status, nothing else.
"""
from __future__ import annotations

import hmac
import io
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from .config import Config
from .errors import UnknownNumber
from .register import STATUS_LABELS, Entry, Register


@dataclass(frozen=True)
class Verified:
    """What the public page may say about a genuine letter."""

    number: str
    issuer: str
    letter_date: date
    status: str

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


#: Where a letter's context keeps ``[service] public_url`` (set when the letter is
#: prepared), so a reissue prints the same QR code whatever the settings say later.
VERIFY_KEY = "layout_public_url"


def public_base(config: Config) -> str:
    """``[service] public_url`` without a trailing slash ('' when not set)."""
    return str(config.service("public_url") or "").strip().rstrip("/")


def check_page_url(base: str, number: str, code: str) -> str:
    """``{base}/v/{number}?c={code}``, the number percent-encoded."""
    return f"{base}/v/{quote(number, safe='')}?c={code}"


def verification_url(config: Config, entry: Entry) -> str | None:
    """The letter's public check page, or None when ``[service] public_url`` is not set."""
    base = public_base(config)
    if not base or not entry.verify_code:
        return None
    return check_page_url(base, entry.number, entry.verify_code)


def qr_png(url: str, *, scale: int = 4) -> bytes:
    """A QR code (PNG) of ``url``, error correction M, for printing on the letter."""
    import segno  # only when a QR code is made

    out = io.BytesIO()
    segno.make_qr(url, error="m").save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


def check(number: str, code: str, *, config: Config, register: Register) -> Verified | None:
    """The letter ``number`` if ``code`` is its code; None for an unknown number or a wrong code alike.

    Reserved numbers (not yet issued) are not genuine letters either.
    """
    try:
        entry = register.get(number)
    except UnknownNumber:
        entry = None
    expected = (entry.verify_code if entry else None) or "-"
    matches = hmac.compare_digest(expected.encode(), (code or "").strip().upper().encode())
    if entry is None or not matches or entry.status == "reserved":
        return None
    issuer = str(config.section("organisation").get("name") or entry.issued_by)
    return Verified(entry.number, issuer, entry.letter_date, entry.status)
