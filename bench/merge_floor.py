"""The mail-merge floor: every letter in one HTML document, one WeasyPrint write_pdf().

    python bench/merge_floor.py LETTERS.html OUT.pdf"""

import sys

from weasyprint import HTML

HTML(filename=sys.argv[1]).write_pdf(sys.argv[2], pdf_version="1.6")
