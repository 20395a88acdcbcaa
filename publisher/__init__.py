"""publisher: print-ready brochures and booklets from YAML + Markdown content."""

__version__ = "0.1.0"

# The folders of a project that its outputs are made from: all a render may read, all a build
# hashes, all a cluster worker is sent.
SOURCE_FOLDERS = ("content", "layouts", "fonts")
