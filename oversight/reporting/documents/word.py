"""A ``Document`` as DOCX (python-docx): A4, Times New Roman as 36-HD/VPTW asks, editable in
Word and LibreOffice (which shows it in Liberation Serif, of the same metrics).

What python-docx has no call for is set in the XML it exposes: the rule under "ĐẢNG CỘNG SẢN
VIỆT NAM" (a paragraph border), the table header repeated on each page (``w:tblHeader``), the
page number from the second page (a PAGE field in the header, the first page's left empty).
"""

from __future__ import annotations

import io

import docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from oversight.reporting.documents import layout

FONT = "Times New Roman"
BODY_SIZE = 14
TEXT_WIDTH_MM = 210 - 30 - 15

_ALIGN = {
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
}


def _line(
    container: docx.document.Document | _Cell,
    text: str,
    size: float = 14,
    *,
    bold: bool = False,
    italic: bool = False,
    align: str = "center",
    indent_mm: float = 0,
    after: float = 0,
    paragraph: Paragraph | None = None,
) -> Paragraph:
    if paragraph is None:
        paragraph = container.add_paragraph()
    paragraph.alignment = _ALIGN[align]
    # Only what differs from the Normal style is written: each property is an XML element,
    # and a long table has thousands of runs.
    if after:
        paragraph.paragraph_format.space_after = Pt(after)
    if indent_mm:
        paragraph.paragraph_format.first_line_indent = Mm(indent_mm)
    run = paragraph.add_run(layout.nfc(text))
    if size != BODY_SIZE:
        run.font.size = Pt(size)
    if bold:
        run.bold = True
    if italic:
        run.italic = True
    return paragraph


def _rule_under(paragraph: Paragraph, indent_mm: float) -> None:
    """A rule under the paragraph, shorter than the column by ``indent_mm`` on each side."""
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in {"val": "single", "sz": "6", "space": "1", "color": "000000"}.items():
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    # pBdr comes before spacing, indentation and alignment in w:pPr's sequence.
    properties = paragraph._p.get_or_add_pPr()
    properties.insert(0, borders)
    paragraph.paragraph_format.left_indent = Mm(indent_mm)
    paragraph.paragraph_format.right_indent = Mm(indent_mm)


def _mark_row(row: docx.table._Row, flag: str) -> None:
    """``w:tblHeader`` repeats the row on every page; ``w:cantSplit`` keeps it on one."""
    marker = OxmlElement(f"w:{flag}")
    marker.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(marker)


def _fresh_document() -> docx.document.Document:
    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(BODY_SIZE)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(0)
    section.different_first_page_header_footer = True
    number = section.header.paragraphs[0]
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    number._p.append(field)
    return document


def _header(out: docx.document.Document, document: layout.Document) -> None:
    if document.is_draft:
        _line(out, "DỰ THẢO", 12, bold=True, align="right")
    table = out.add_table(rows=1, cols=2)
    table.autofit = False
    left, right = table.rows[0].cells
    left.width = Mm(TEXT_WIDTH_MM * layout.HEADER_LEFT)
    right.width = Mm(TEXT_WIDTH_MM * (1 - layout.HEADER_LEFT))
    issuer, first = document.issuer, left.paragraphs[0]
    if issuer.parent:
        _line(left, issuer.parent, paragraph=first)
        first = None
    _line(left, issuer.name, bold=True, paragraph=first)
    _line(left, "*")
    if document.number_line:
        _line(left, document.number_line)
    party = _line(right, layout.PARTY, 15, bold=True, paragraph=right.paragraphs[0], after=6)
    _rule_under(party, indent_mm=8)
    _line(right, document.date_line, italic=True)
    _line(out, "")
    _line(out, document.kind, 16, bold=True)
    _line(out, document.subject, bold=True)
    _line(out, "-----", after=8)


def _table(out: docx.document.Document, block: layout.Table) -> None:
    rows = [*block.rows, *([block.total] if block.total is not None else [])]
    table = out.add_table(rows=1, cols=len(block.header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = [Mm(TEXT_WIDTH_MM * share) for share in block.widths]
    header = table.rows[0]
    _mark_row(header, "tblHeader")
    for cell, text, width in zip(header.cells, block.header, widths, strict=True):
        cell.width = width
        _line(cell, text, 12, bold=True, paragraph=cell.paragraphs[0])
    # Each row's cells read once: python-docx walks the whole table for every cell lookup.
    for row_index, values in enumerate(rows, start=1):
        bold = block.total is not None and row_index == len(rows)
        cells = table.add_row().cells
        for column, (cell, text) in enumerate(zip(cells, values, strict=True)):
            cell.width = widths[column]
            align = "right" if column in block.numeric else "left"
            _line(cell, text, 12, bold=bold, align=align, paragraph=cell.paragraphs[0])
    _line(out, "", 6)


def _footer(out: docx.document.Document, document: layout.Document) -> None:
    _line(out, "")
    table = out.add_table(rows=1, cols=2)
    _mark_row(table.rows[0], "cantSplit")  # the signature never parts from "Nơi nhận"
    left, right = table.rows[0].cells
    _line(left, "Nơi nhận:", 12, bold=True, italic=True, align="left", paragraph=left.paragraphs[0])
    for recipient in document.recipients:
        _line(left, f"- {recipient}", 11, align="left")
    signature, first = document.signature, right.paragraphs[0]
    if signature.on_behalf:
        _line(right, signature.on_behalf, bold=True, paragraph=first)
        first = None
    _line(right, signature.title, bold=True, paragraph=first)
    for _ in range(4):
        _line(right, "")
    _line(right, signature.name, bold=True)


def render(document: layout.Document) -> bytes:
    """The DOCX's bytes."""
    out = _fresh_document()
    properties = out.core_properties
    properties.title = layout.nfc(document.title or f"{document.kind} {document.subject}")
    properties.author = layout.nfc(document.issuer.name)
    properties.language = "vi-VN"
    _header(out, document)
    for block in document.body:
        if isinstance(block, layout.Table):
            _table(out, block)
        elif block.style == "heading":
            _line(out, block.text, bold=True, align="left", after=4)
        elif block.style == "note":
            _line(out, block.text, 12, italic=True, align="justify", after=4)
        else:
            _line(out, block.text, align="justify", indent_mm=10, after=4 if block.style else 2)
    _footer(out, document)
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()
