"""publisher: print-ready brochures and booklets from YAML + Markdown content."""

__version__ = "0.1.0"
