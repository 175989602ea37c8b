"""The engine's messages in the command line's words: ``name=value`` said as the option that sets it."""

from __future__ import annotations

import re

__all__ = ["in_cli_words"]

#: The engine's messages name Python parameters (``vector_column=``, ``engine='spark'``); on the command line
#: they are said as the options that set them.
_FLAGS = {
    "n_clusters": "--clusters",
    "max_iter": "--max-iter",
    "candidates": "--candidates",
    "engine": "--engine",
    "vector_column": "--vector-column",
    "columns": "--columns",
    "text_column": "--text-column",
    "text_model": "--text-model",
    "drop_nonfinite": "--drop-nonfinite",
    "id_column": "--id-column",
    "max_bytes": "--max-bytes",
    "encoding": "--encoding",
    "out": "--out",
    "pool": "--pool",
    "target": "--target",
}
_PARAMETER = re.compile(
    r"\b("
    + "|".join(sorted(_FLAGS, key=len, reverse=True))
    + r")=(?:'([^']*)'|(True|False)\b|([A-Za-z0-9_.\-\[\]]+(?:\.\.\.)?))?"
)


def in_cli_words(message: str) -> str:
    """An engine message with each ``name=value`` it names said as the option (``--name value``)."""

    def flag(match: re.Match) -> str:
        option = _FLAGS[match.group(1)]
        quoted, boolean, bare = match.group(2), match.group(3), match.group(4)
        if boolean is not None:
            return option if boolean == "True" else f"no {option}"
        value = quoted if quoted is not None else bare
        return option if value is None else f"{option} {value}"

    return _PARAMETER.sub(flag, message)
