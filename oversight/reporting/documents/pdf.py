"""A ``Document`` as a PDF: A4, Liberation Serif (Times New Roman's metrics, every Vietnamese
letter) embedded from the project's own fonts, so it prints the same from any machine.

ReportLab's platypus lays it out: its tables split across pages with their header row repeated
(``repeatRows``); the fonts are embedded as subsets, never taken from the operating system.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from django.utils.html import escape
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.fonts import addMapping
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table
from reportlab.platypus.flowables import Flowable, HRFlowable

from oversight.reporting.documents import layout

FONTS = Path(__file__).parent / "fonts"
FAMILY = "LiberationSerif"
FACES = {
    FAMILY: "LiberationSerif-Regular.ttf",
    f"{FAMILY}-Bold": "LiberationSerif-Bold.ttf",
    f"{FAMILY}-Italic": "LiberationSerif-Italic.ttf",
    f"{FAMILY}-BoldItalic": "LiberationSerif-BoldItalic.ttf",
}
# 36-HD/VPTW's margins: top and bottom 20–25 mm, left 30–35 mm, right 15–20 mm.
MARGINS = {"top": 20 * mm, "bottom": 20 * mm, "left": 30 * mm, "right": 15 * mm}
TEXT_WIDTH = A4[0] - MARGINS["left"] - MARGINS["right"]


@cache
def register_fonts() -> None:
    """Registers the four faces once per process, with <b>/<i> mapped onto them."""
    for name, file in FACES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONTS / file)))
    addMapping(FAMILY, 0, 0, FAMILY)
    addMapping(FAMILY, 1, 0, f"{FAMILY}-Bold")
    addMapping(FAMILY, 0, 1, f"{FAMILY}-Italic")
    addMapping(FAMILY, 1, 1, f"{FAMILY}-BoldItalic")


def _style(
    size: float,
    *,
    bold: bool = False,
    italic: bool = False,
    align: int = TA_CENTER,
    indent: float = 0,
    before: float = 0,
    after: float = 0,
) -> ParagraphStyle:
    face = (
        FAMILY
        + {(0, 0): "", (1, 0): "-Bold", (0, 1): "-Italic", (1, 1): "-BoldItalic"}[
            (int(bold), int(italic))
        ]
    )
    return ParagraphStyle(
        name=f"{face}-{size}-{align}-{indent}",
        fontName=face,
        bulletFontName=face,
        fontSize=size,
        leading=size * 1.25,
        alignment=align,
        firstLineIndent=indent,
        spaceBefore=before,
        spaceAfter=after,
    )


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    # Paragraph reads a small XML: what the portal stored is text, never markup.
    return Paragraph(escape(layout.nfc(text)).replace("\n", "<br/>"), style)


BODY = _style(14, align=TA_JUSTIFY, indent=10 * mm, after=4)
HEADING = _style(14, bold=True, align=TA_LEFT, before=6, after=4)
ITEM = _style(14, align=TA_JUSTIFY, indent=10 * mm, after=2)
NOTE = _style(12, italic=True, align=TA_JUSTIFY, after=4)
CELL = _style(12, align=TA_LEFT)
# A table sets its cells' font even around paragraphs; its default is Helvetica, not embedded.
CELL_FONT = [("FONTNAME", (0, 0), (-1, -1), FAMILY)]
# The header's and the footer's columns: no lines, each part centred in its column.
PLAIN = [
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("ALIGN", (0, 0), (-1, -1), "CENTER"),
    ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
]
CELL_RIGHT = _style(12, align=TA_RIGHT)
CELL_HEAD = _style(12, bold=True)
CELL_TOTAL = _style(12, bold=True, align=TA_LEFT)
CELL_TOTAL_RIGHT = _style(12, bold=True, align=TA_RIGHT)


def _header(document: layout.Document) -> list[Flowable]:
    issuer = document.issuer
    left: list[Flowable] = []
    if issuer.parent:
        left.append(_p(issuer.parent, _style(14)))
    left += [_p(issuer.name, _style(14, bold=True)), _p("*", _style(14))]
    if document.number_line:
        left.append(_p(document.number_line, _style(14)))
    right: list[Flowable] = [
        _p(layout.PARTY, _style(15, bold=True)),
        HRFlowable(
            width="62%",
            thickness=0.6,
            color=colors.black,
            spaceBefore=1,
            spaceAfter=6,
            hAlign="CENTER",
        ),
        _p(document.date_line, _style(14, italic=True)),
    ]
    widths = [TEXT_WIDTH * layout.HEADER_LEFT, TEXT_WIDTH * (1 - layout.HEADER_LEFT)]
    table = Table([[left, right]], colWidths=widths)
    table.setStyle([*CELL_FONT, *PLAIN])
    flowables: list[Flowable] = []
    if document.is_draft:
        flowables.append(_p("DỰ THẢO", _style(12, bold=True, align=TA_RIGHT)))
    flowables += [table, Spacer(1, 8 * mm)]
    flowables += [_p(document.kind, _style(16, bold=True))]
    flowables += [_p(document.subject, _style(14, bold=True)), _p("-----", _style(14, after=8))]
    return flowables


def _table(block: layout.Table) -> Table:
    def row(values: list[str], *, total: bool = False) -> list[Paragraph]:
        cells = []
        for index, value in enumerate(values):
            right = index in block.numeric
            if total:
                style = CELL_TOTAL_RIGHT if right else CELL_TOTAL
            else:
                style = CELL_RIGHT if right else CELL
            cells.append(_p(value, style))
        return cells

    data = [[_p(h, CELL_HEAD) for h in block.header]]
    data += [row(values) for values in block.rows]
    if block.total is not None:
        data.append(row(block.total, total=True))
    table = Table(
        data,
        colWidths=[TEXT_WIDTH * share for share in block.widths],
        repeatRows=1,
        splitByRow=True,
    )
    table.setStyle(
        [
            *CELL_FONT,
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
    )
    return table


def _footer(document: layout.Document) -> Flowable:
    recipients: list[Flowable] = [
        _p("Nơi nhận:", _style(12, bold=True, italic=True, align=TA_LEFT))
    ]
    recipients += [_p(f"- {line}", _style(11, align=TA_LEFT)) for line in document.recipients]
    signature = document.signature
    block: list[Flowable] = []
    if signature.on_behalf:
        block.append(_p(signature.on_behalf, _style(14, bold=True)))
    block += [_p(signature.title, _style(14, bold=True)), Spacer(1, 22 * mm)]
    block.append(_p(signature.name, _style(14, bold=True)))
    widths = [TEXT_WIDTH * 0.5, TEXT_WIDTH * 0.5]
    table = Table([[recipients, block]], colWidths=widths)
    table.setStyle([*CELL_FONT, *PLAIN])
    return KeepTogether([Spacer(1, 6 * mm), table])


def _page_number(canvas: Canvas, template: SimpleDocTemplate) -> None:
    """From the second page on, its number centred in the top margin (36-HD/VPTW)."""
    canvas.saveState()
    canvas.setFont(FAMILY, 13)
    canvas.drawCentredString(A4[0] / 2, A4[1] - 12 * mm, str(canvas.getPageNumber()))
    canvas.restoreState()


def render(document: layout.Document) -> bytes:
    """The PDF's bytes; the same document gives the same bytes (no time stamp inside)."""
    register_fonts()
    story = _header(document)
    for block in document.body:
        if isinstance(block, layout.Table):
            story += [_table(block), Spacer(1, 4)]
        else:
            style = {"heading": HEADING, "item": ITEM, "note": NOTE}.get(block.style, BODY)
            story.append(_p(block.text, style))
    story.append(_footer(document))
    out = io.BytesIO()
    template = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGINS["left"],
        rightMargin=MARGINS["right"],
        topMargin=MARGINS["top"],
        bottomMargin=MARGINS["bottom"],
        title=layout.nfc(document.title or f"{document.kind} {document.subject}"),
        author=layout.nfc(document.issuer.name),
        creator="Cổng theo dõi",
        lang="vi",
        invariant=True,
        # The canvas would start in Helvetica: not embedded, and without Vietnamese.
        initialFontName=FAMILY,
        initialFontSize=14,
    )
    template.build(story, onLaterPages=_page_number)
    return out.getvalue()
