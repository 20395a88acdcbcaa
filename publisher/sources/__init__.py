"""Sources: the project's files → typed objects that know their file and line.

``config`` reads ``publication.yaml``; ``content`` the messages, with ``markdown`` for their
text; ``data`` guest lists; ``wordimport`` Word documents into messages. ``yamlsource`` and
``schema`` give YAML with line numbers and validation messages; ``sizes`` the paper sizes.
"""
