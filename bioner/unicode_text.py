"""The one check every text from outside needs before a pipeline sees it.

JSON may carry a lone half of a UTF-16 surrogate pair ("\\ud800"); Python
decodes it into a `str` that cannot be encoded, and spaCy fails on it
(hashing strings encodes them to UTF-8). Every other code point, NUL,
controls and non-characters included, is text spaCy handles with exact
offsets, so this is the only character refused.
"""
import re
from typing import Optional

LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def not_unicode(text: str) -> Optional[str]:
    """None for text a pipeline can take; else which character is not
    Unicode text, e.g. "character 5 is U+D800, a lone surrogate ..."."""
    bad = LONE_SURROGATE.search(text)
    if bad is None:
        return None
    return (f"character {bad.start()} is U+{ord(bad.group()):04X}, a lone surrogate (half of a UTF-16 pair), "
            f"which is not Unicode text")
