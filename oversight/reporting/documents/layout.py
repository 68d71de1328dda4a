"""A Party document as the Central Office's rules lay it out, before it is written to a file.

Hướng dẫn 36-HD/VPTW (2018) and Quy định 399-QĐ/TW (2026) fix the form: the issuing committee
top left (its parent body in capitals, its own name in bold capitals, an asterisk, the number
and symbol), "ĐẢNG CỘNG SẢN VIỆT NAM" top right with a rule under it and the place and date line
in italics, the kind of document and its subject, the body, "Nơi nhận" bottom left and the
signature block bottom right. ``Document`` holds those parts as text; ``word`` and ``pdf``
write the same ``Document`` to DOCX and PDF, so the two files always say the same.
"""

from __future__ import annotations

import datetime
import unicodedata
from dataclasses import dataclass, field

from oversight.models import Level, Unit

PARTY = "ĐẢNG CỘNG SẢN VIỆT NAM"
# The header's two columns on A4 within 36-HD/VPTW's margins (165 mm of text): the issuing
# body's takes 78 mm ("ĐẢNG ỦY PHƯỜNG MINH XUÂN" at 14 pt), the date line the other 87 mm.
HEADER_LEFT = 0.47

# The division types whose name starts a unit's name, longest first ("Thành phố Hà Giang").
_DIVISION_PREFIXES = sorted(
    ["Tỉnh", "Thành phố", "Huyện", "Quận", "Thị xã", "Xã", "Phường", "Thị trấn", "Đặc khu"],
    key=len,
    reverse=True,
)
# A district-level committee's name and its documents' symbol, by the district's division type.
_DISTRICT_COMMITTEES = {
    "huyện": ("Huyện ủy", "HU"),
    "quận": ("Quận ủy", "QU"),
    "thị xã": ("Thị ủy", "TU"),
    "thành phố": ("Thành ủy", "TU"),
}


def nfc(text: str) -> str:
    """Text as the documents print it: NFC, the form names are stored in."""
    return unicodedata.normalize("NFC", text)


def upper(text: str) -> str:
    return nfc(text).upper()


def short_name(unit: Unit) -> str:
    """A unit's name without its division type: "Tuyên Quang" of "Tỉnh Tuyên Quang"."""
    name = nfc(unit.name)
    for prefix in _DIVISION_PREFIXES:
        if name.lower().startswith(prefix.lower() + " "):
            return name[len(prefix) + 1 :].strip()
    return name


@dataclass(frozen=True)
class Issuer:
    """The committee a document comes from: its name and its parent body's as the header prints
    them, the symbol after its documents' numbers (TU, HU, ĐU) and the place of the date line."""

    parent: str
    name: str
    symbol: str
    place: str
    committee: str  # its name in a sentence: "Tỉnh ủy Tuyên Quang"


def committee_name(unit: Unit) -> tuple[str, str]:
    """The committee of ``unit`` as a sentence names it and its documents' symbol: "Tỉnh ủy
    Tuyên Quang" and "TU", "Huyện ủy Lâm Bình" and "HU", "Đảng ủy Xã Minh Xuân" and "ĐU"."""
    if unit.level == Level.PROVINCE:
        central = unit.division_type.lower().startswith("thành phố")
        return ("Thành ủy " if central else "Tỉnh ủy ") + short_name(unit), "TU"
    if unit.level == Level.DISTRICT:
        committee, symbol = _DISTRICT_COMMITTEES.get(unit.division_type.lower(), ("Huyện ủy", "HU"))
        return f"{committee} {short_name(unit)}", symbol
    return f"Đảng ủy {nfc(unit.name)}", "ĐU"


def issuer_of(unit: Unit) -> Issuer:
    """The issuing committee of ``unit`` (a province, a district or a commune) with its parent
    body: a district's is its province's committee; a commune's its district's, or since the
    2025 reform, when it sits right under the province, "ĐẢNG BỘ TỈNH ..."."""
    name, symbol = committee_name(unit)
    parent = unit.parent
    if parent is None or unit.level == Level.PROVINCE:
        parent_name = ""
    elif parent.level == Level.PROVINCE and unit.level == Level.COMMUNE:
        parent_name = f"Đảng bộ {parent.name}"
    else:
        parent_name = committee_name(parent)[0]
    return Issuer(
        parent=upper(parent_name),
        name=upper(name),
        symbol=symbol,
        place=short_name(unit),
        committee=name,
    )


@dataclass(frozen=True)
class Text:
    """A paragraph of the body. ``style``: body (justified, first line indented), heading
    (bold, a part of the report), item (a line of a list), note (italic, smaller)."""

    text: str
    style: str = "body"


@dataclass(frozen=True)
class Table:
    """A table that may run over pages, its header row repeated on each; ``widths`` are shares
    of the text's width, ``numeric`` the columns aligned right."""

    header: list[str]
    rows: list[list[str]]
    widths: list[float]
    numeric: frozenset[int] = frozenset()
    total: list[str] | None = None  # a bold last row


Block = Text | Table


@dataclass(frozen=True)
class Signature:
    """The block bottom right: on whose behalf ("T/M BAN THƯỜNG VỤ"), the title, the name."""

    on_behalf: str
    title: str
    name: str


@dataclass
class Document:
    """One document, as text. ``number`` None is a draft: the number line is left blank for the
    office to see and a "DỰ THẢO" mark stands above the header. ``type_code`` "" is a form with
    no number (a register, a score sheet)."""

    issuer: Issuer
    kind: str  # "BÁO CÁO", "SỔ THEO DÕI", "PHIẾU ĐÁNH GIÁ"
    subject: str
    date: datetime.date
    body: list[Block]
    signature: Signature
    type_code: str = "BC"
    number: int | None = None
    recipients: list[str] = field(default_factory=list)
    title: str = ""  # the file's title (metadata): the kind and subject in one line

    @property
    def party(self) -> str:
        return PARTY

    @property
    def is_draft(self) -> bool:
        return bool(self.type_code) and self.number is None

    @property
    def number_line(self) -> str:
        """The number line under the issuing body; a form (no type code) has none."""
        if not self.type_code:
            return ""
        return reference(self.number, self.type_code, self.issuer.symbol)

    @property
    def date_line(self) -> str:
        return date_line(self.issuer.place, self.date)


def reference(number: int | None, type_code: str, symbol: str) -> str:
    """A document's number and symbol as printed, "Số 05-BC/TU": numbered from 01; a number
    not taken yet (a draft) is left blank."""
    shown = f"{number:02d}" if number is not None else "\u00a0" * 8
    return f"Số {shown}-{type_code}/{symbol}"


def date_line(place: str, day: datetime.date) -> str:
    """ "Tuyên Quang, ngày 05 tháng 01 năm 2027": days below 10 and the months January and
    February take a leading zero (36-HD/VPTW), so that no digit can be added in front."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"
