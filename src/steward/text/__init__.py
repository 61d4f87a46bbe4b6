"""Text utilities shared by detectors.

:mod:`steward.text.normalize` undoes obfuscation (``Ｆ.u.c.k``, ``fu\\u200bck``, ``sh1t``) and maps
every normalised character back to the original ones, so findings made on the normalised text
are reported at exact offsets in the text the user sent. Import from that module directly
(``from steward.text.normalize import normalize``): the package re-exports nothing, so the
module and its main function never shadow each other.
"""
