"""The one exception type of the library."""


class BionerError(Exception):
    """An error the user can fix: printed as one line, without a traceback.

    The message names the file (and line) or the setting at fault and says
    what to do, e.g. `assets/x/train.tsv:12: unknown tag 'B_'. ...`.
    """
