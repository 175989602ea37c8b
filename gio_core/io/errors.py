"""The one exception every reader and vector check raises: a one-line message naming the file, the problem and the fix."""

from __future__ import annotations

__all__ = ["DataError"]


class DataError(ValueError):
    """A problem with an input file, said in one line: the file, what is wrong, what to do.

    Parameters
    ----------
    message : str
        The message; line breaks are folded into spaces so it stays one line.
    code : str, default='invalid'
        A short machine-readable kind (``'empty'``, ``'header_only'``, ``'not_a_table'``, ``'binary'``,
        ``'truncated'``, ``'unsupported'``, ``'dimension'``, ``'ragged'``, ``'nonfinite'``,
        ``'too_few_target_rows'``, ``'empty_text'``, ``'encoding'``, ``'too_large'``, ``'pickle'``,
        ``'column'``, ``'text_model'``, ``'invalid'``), so a UI can offer the matching fix.
    nonfinite_rows : int, default=0
        For ``code='nonfinite'``: how many rows hold NaN or inf.
    """

    def __init__(self, message: str, *, code: str = "invalid", nonfinite_rows: int = 0):
        message = " ".join(str(message).split())
        super().__init__(message)
        self.code = code
        self.nonfinite_rows = nonfinite_rows
