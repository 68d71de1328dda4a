"""What the offices read and print, a floor above the apps it reads (accounts, assignments,
visits): the reports (``reports``), their charts (``charts``), spreadsheets (``exports``), the
report pages (``forms``, ``views``) and the Party documents (``documents``), with the register
of documents issued (``models``).

``charts`` and ``exports`` import no app: any page may draw a chart or write a spreadsheet.
"""
