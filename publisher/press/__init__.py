"""Press: laid-out pages → print files.

``finishing`` gives every file its page boxes, crop marks, output intent and PDF/X-4 keys;
``brochure``, ``booklet`` and ``personal`` make the files of a message, of all messages and of
one guest; ``parts`` is what they hand on; ``impose`` and ``proof`` work on finished files.
"""
