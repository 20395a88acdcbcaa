"""Compose: the project → laid-out pages.

``layout`` turns theme tokens and Jinja2 templates into the HTML of each printed document;
``render`` lays it out with WeasyPrint, loading only the project's own files; ``pictures``
prepares pictures for press (CMYK, transparency, SVG and PDF logos).
"""
