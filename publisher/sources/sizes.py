"""Paper sizes, in millimetres, portrait: pages (``page.size``) and sheets (``impose``).

Plain data, so the command line can offer them without loading the pipeline."""

# Trim sizes in millimetres, portrait.
PAGE_SIZES = {
    "A3": (297, 420), "A4": (210, 297), "A5": (148, 210), "A6": (105, 148),
    "B5": (176, 250), "DL": (99, 210),
    "LETTER": (215.9, 279.4), "LEGAL": (215.9, 355.6), "TABLOID": (279.4, 431.8),
    "HALF-LETTER": (139.7, 215.9),
}

# Sheet sizes in millimetres, portrait; SRA3 is the press sheet for A4 booklets with bleed.
SHEETS = {"A4": (210, 297), "A3": (297, 420), "SRA3": (320, 450),
          "Letter": (215.9, 279.4), "Tabloid": (279.4, 431.8)}
US_SHEETS = {"Letter", "Tabloid"}
