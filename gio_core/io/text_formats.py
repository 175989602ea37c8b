"""The text formats: CSV, TSV, their gzip-compressed forms (with a decompression limit) and JSON Lines; delimiters, encodings, headers and the messages for what goes wrong."""

from __future__ import annotations

import codecs
import gzip
import io
import json
import logging
import re
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from .columns import _NA_TOKENS, _cell_kind, _is_number, _looks_like_prose, _names, _short
from .errors import DataError
from .tables import _FLOAT32_MIN_COLUMNS, _MAGIC, _SNIFF_BYTES, _SUPPORTED_TEXT, _looks_like_text, format_bytes

logger = logging.getLogger(__name__)

_SAMPLE_ROWS = 2000


class _LimitedReader(io.RawIOBase):
    """A decompressing stream that refuses to produce more than ``limit`` bytes (gzip bombs)."""

    def __init__(self, stream, limit: int | None, name: str):
        self._stream, self._limit, self._name, self._count = stream, limit, name, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(len(buffer))
        self._count += len(data)
        if self._limit is not None and self._count > self._limit:
            raise DataError(
                f"{self._name} decompresses to more than {format_bytes(self._limit)}, over the size "
                "limit; raise the limit (max_bytes=) or use a smaller file.",
                code="too_large",
            )
        buffer[: len(data)] = data
        return len(data)


class _TextFormats:
    """The text formats of :class:`_Reader` (CSV, TSV, gzip-compressed ones, JSON Lines): reading, encodings, errors."""

    # set by _Reader.__init__: the file is at path, or its bytes are raw
    name: str
    path: Path | None
    raw: bytes | None
    head: bytes
    max_bytes: int | None
    encoding: str | None
    extension: str
    headerless: bool

    # -- gzip -------------------------------------------------------------------------------------

    def _gzip_stream(self):
        stream = open(self.path, "rb") if self.path is not None else io.BytesIO(self.raw)
        return _LimitedReader(gzip.GzipFile(fileobj=stream, mode="rb"), self.max_bytes, self.name)

    def _read_gzip(self):
        try:
            with self._gzip_stream() as stream:
                inner = stream.read(_SNIFF_BYTES)
        except (OSError, EOFError, zlib.error) as error:
            raise DataError(
                f"{self.name} is a damaged or truncated gzip file ({_short(error)}); compress it again.",
                code="truncated",
            ) from error
        if not inner.strip():
            raise DataError(
                f"{self.name} is empty once decompressed; choose the file that holds your data.", code="empty"
            )
        for magic, what in (
            *_MAGIC,
            (b"\x93NUMPY", "a NumPy array"),
            (b"PAR1", "a Parquet file"),
            (b"PK\x03\x04", "a zip archive"),
            (b"\x1f\x8b", "another gzip file"),
        ):
            if inner.startswith(magic):
                raise DataError(
                    f"{self.name} holds {what} inside gzip; only CSV, TSV and JSON Lines are read "
                    "compressed. Decompress it first.",
                    code="unsupported",
                )
        self.head = inner
        return self._read_text_file(lambda: self._gzip_stream(), compressed=True)

    # -- text: CSV, TSV, JSON Lines -----------------------------------------------------------------

    def _text_opener(self) -> Callable[[], BinaryIO]:
        path, raw = self.path, self.raw
        if path is not None:
            return lambda: open(path, "rb")
        assert raw is not None, "a source is a path or bytes"
        return lambda: io.BytesIO(raw)

    def _resolve_encoding(self) -> str:
        if self.encoding:
            try:
                codecs.lookup(self.encoding)
            except LookupError as error:
                raise ValueError(
                    f"encoding={self.encoding!r} is not a known text encoding; use e.g. 'utf-8', 'utf-16' or 'cp1252'."
                ) from error
            return self.encoding
        if self.head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        if self.head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        return "utf-8"

    def _decode_head(self, encoding: str) -> str:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            return decoder.decode(self.head, final=False)
        except UnicodeDecodeError as error:
            raise self._encoding_error(error, encoding) from error

    def _encoding_error(self, error: UnicodeDecodeError, encoding: str) -> DataError:
        if not _looks_like_text(self.head):
            return self._binary_error()
        guess = ""
        try:
            self.head.decode("cp1252")
            guess = " It looks like Windows-1252/Latin-1 text: pass encoding='cp1252' or"
        except UnicodeDecodeError:
            guess = " Pass its encoding (encoding=) or"
        byte = error.object[error.start : error.start + 1].hex() if isinstance(error.object, bytes) else "?"
        return DataError(
            f"{self.name} is not {encoding.upper().replace('-SIG', '')} text (byte 0x{byte} at offset "
            f"{error.start} cannot be decoded).{guess} save it as UTF-8 (e.g. Excel: Save As > CSV UTF-8).",
            code="encoding",
        )

    def _binary_error(self) -> DataError:
        return DataError(
            f"{self.name} is a binary file, not one of the supported formats ({_SUPPORTED_TEXT}); "
            "choose or export a table in one of them.",
            code="binary",
        )

    def _read_text_file(self, opener, *, compressed: bool):
        if (
            not compressed
            and not _looks_like_text(self.head)
            and not self.head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        ):
            raise self._binary_error()
        encoding = self._resolve_encoding()
        text = self._decode_head(encoding)
        stripped = text.lstrip("\ufeff \t\r\n")
        if not stripped:
            raise DataError(f"{self.name} holds only blank lines; choose the file that holds your data.", code="empty")
        suffix = ".gz" if compressed else ""
        if stripped[0] == "{":
            # gzip-compressed JSON Lines is read too; it is reported as jsonl
            return "jsonl", self._read_jsonl(opener, encoding), None
        if stripped[0] == "[" and self.extension.startswith((".json", ".jsonl", ".ndjson")):
            raise DataError(
                f"{self.name} is a JSON array, not JSON Lines; write one object per line "
                "(pandas: frame.to_json(path, orient='records', lines=True)).",
                code="not_a_table",
            )
        if stripped[0] == "<":
            raise DataError(
                f"{self.name} is an HTML/XML document, not a table; save your data as {_SUPPORTED_TEXT}.",
                code="not_a_table",
            )
        sep = self._delimiter(stripped)
        first_line = next((line for line in stripped.splitlines() if line.strip()), "")
        if any(_looks_like_prose(cell) for cell in first_line.split(sep)):
            raise DataError(
                f"{self.name} does not look like a table: its first line is a sentence, not column names. "
                "Add a header line (e.g. `text`) and save it as CSV, quoting cells that contain commas.",
                code="not_a_table",
            )
        kind = ("tsv" if sep == "\t" else "csv") + suffix
        frame = self._read_delimited(opener, sep, encoding, compressed)
        return kind, frame, None

    def _delimiter(self, text: str) -> str:
        first_line = next((line for line in text.splitlines() if line.strip()), "")
        if self.extension.startswith((".tsv", ".tab")):
            return "\t"
        if self.extension.startswith(".csv"):
            # the content wins over the name: tabs (or, as in European exports, semicolons) and no commas
            if "," not in first_line and "\t" in first_line:
                return "\t"
            if "," not in first_line and ";" in first_line:
                return ";"
            return ","
        tabs, commas, semicolons = first_line.count("\t"), first_line.count(","), first_line.count(";")
        if tabs and tabs >= commas:
            return "\t"
        if semicolons > commas:
            return ";"
        return ","

    def _read_delimited(self, opener, sep: str, encoding: str, compressed: bool) -> pd.DataFrame:
        common = dict(sep=sep, encoding=encoding, engine="c", skip_blank_lines=True)
        sample = self._pandas(
            lambda: pd.read_csv(opener(), nrows=_SAMPLE_ROWS, dtype=str, keep_default_na=False, header=None, **common),
            encoding,
        )
        if sample.shape[0] == 0 or sample.shape[1] == 0:
            raise DataError(f"{self.name} holds no table; choose the file that holds your data.", code="empty")
        first_row = [str(cell) for cell in sample.iloc[0].tolist()]
        headerless = all(_is_number(cell) for cell in first_row)
        self.headerless = headerless
        if headerless:
            names = [str(i) for i in range(sample.shape[1])]
            body = sample
        else:
            names = first_row
            body = sample.iloc[1:]
        if not headerless and sample.shape[0] == 1:
            raise DataError(
                f"{self.name} has a header ({_names(names)}) but no rows; add rows below the header.",
                code="header_only",
            )
        dtypes, na_values = self._column_types(names, body)

        def read(types):
            return pd.read_csv(
                opener(),
                header=None if headerless else 0,
                names=names if headerless else None,
                dtype=types,
                keep_default_na=False,
                na_values=na_values,
                **common,
            )

        # a column that looked numeric in the first rows may hold text further down: then read it again,
        # letting pandas infer the numeric columns
        text_only = {column: kind for column, kind in dtypes.items() if kind is str}
        frame = self._pandas(lambda: read(dtypes), encoding, fallback=lambda: read(text_only))
        frame.columns = [str(column) for column in frame.columns]
        if len(frame) == 0:
            raise DataError(
                f"{self.name} has a header ({_names(frame.columns)}) but no rows; add rows below the header.",
                code="header_only",
            )
        return frame

    def _column_types(self, names, body: pd.DataFrame):
        kinds = []
        for position in range(len(names)):
            values = body.iloc[:, position] if position < body.shape[1] else pd.Series([], dtype=str)
            kinds.append(_cell_kind(values))
        floats = sum(kind == "float" for kind in kinds)
        float_type = np.float32 if floats >= _FLOAT32_MIN_COLUMNS else np.float64
        dtypes, na_values = {}, {}
        for column, kind in zip(names, kinds):
            if kind == "float":
                dtypes[column] = float_type
                na_values[column] = _NA_TOKENS
            elif kind == "int":
                na_values[column] = _NA_TOKENS  # inferred: int64, or float64 when a cell is missing
            else:
                dtypes[column] = str
        return dtypes, na_values

    def _pandas(self, call, encoding, fallback=None):
        """Run a pandas reader, turning its errors into one-line messages."""
        try:
            return call()
        except DataError:
            raise
        except UnicodeDecodeError as error:
            raise self._encoding_error(error, encoding) from error
        except pd.errors.EmptyDataError as error:
            raise DataError(
                f"{self.name} holds no table (only blank lines); choose the file that holds your data.", code="empty"
            ) from error
        except pd.errors.ParserError as error:
            raise self._parser_error(error) from error
        except (EOFError, zlib.error, gzip.BadGzipFile) as error:
            raise DataError(
                f"{self.name} is a damaged or truncated gzip file ({_short(error)}); compress it again.",
                code="truncated",
            ) from error
        except (ValueError, TypeError, OverflowError) as error:
            if fallback is not None:
                logger.debug("%s: reading again with inferred column types (%s)", self.name, error)
                return self._pandas(fallback, encoding)
            raise DataError(
                f"{self.name} could not be read as a table ({_short(error)}); check that it is {_SUPPORTED_TEXT}.",
                code="not_a_table",
            ) from error
        except OSError as error:
            raise DataError(
                f"{self.name} could not be read ({_short(error)}); the file is damaged or truncated.", code="truncated"
            ) from error

    def _parser_error(self, error: Exception) -> DataError:
        text = " ".join(str(error).split())
        match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
        if match:
            expected, line, saw = match.groups()
            return DataError(
                f"{self.name} has ragged rows: line {line} has {saw} fields but the header has "
                f"{expected}; fix that row (quote text that contains the delimiter).",
                code="ragged",
            )
        match = re.search(r"EOF inside string starting at row (\d+)", text)
        if match:
            return DataError(
                f"{self.name} ends inside a quoted cell that starts on data row {match.group(1)}; the "
                "file is truncated or a quote is not closed. Fix or re-export it.",
                code="truncated",
            )
        return DataError(
            f"{self.name} could not be parsed as a table ({_short(error)}); check the delimiter and quotes.",
            code="not_a_table",
        )

    def _read_jsonl(self, opener, encoding: str) -> pd.DataFrame:
        import warnings

        def call():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with opener() as stream:
                    wrapper = io.TextIOWrapper(stream, encoding=encoding)
                    return pd.read_json(wrapper, lines=True, dtype=False, convert_dates=False)

        try:
            frame = call()
        except DataError:
            raise
        except UnicodeDecodeError as error:
            raise self._encoding_error(error, encoding) from error
        except (EOFError, zlib.error, gzip.BadGzipFile) as error:
            raise DataError(
                f"{self.name} is a damaged or truncated gzip file ({_short(error)}); compress it again.",
                code="truncated",
            ) from error
        except (
            ValueError,
            TypeError,
            KeyError,
            AttributeError,
            IndexError,
            OverflowError,
            RecursionError,
            OSError,
        ) as error:
            raise self._jsonl_error(opener, encoding, error) from error
        if frame.shape[1] == 0:
            raise DataError(
                f"{self.name} holds only empty JSON objects; write one object with fields per line.", code="empty"
            )
        if len(frame) == 0:
            raise DataError(f"{self.name} holds no rows; write one JSON object per line.", code="header_only")
        frame.columns = [str(column) for column in frame.columns]
        return frame

    def _jsonl_error(self, opener, encoding, error) -> DataError:
        try:
            with opener() as stream:
                for number, line in enumerate(io.TextIOWrapper(stream, encoding=encoding), start=1):
                    if not line.strip():
                        continue
                    try:
                        value = json.loads(line)
                    except (ValueError, RecursionError):
                        return DataError(
                            f"{self.name} is not valid JSON Lines: line {number} is not valid JSON "
                            "(truncated or broken); fix that line.",
                            code="not_a_table",
                        )
                    if not isinstance(value, dict):
                        return DataError(
                            f"{self.name} is not a table: line {number} holds a JSON "
                            f"{type(value).__name__}, not an object; write one object per line.",
                            code="not_a_table",
                        )
        except DataError:
            raise
        except (UnicodeDecodeError, OSError, EOFError, zlib.error, ValueError):
            pass
        return DataError(
            f"{self.name} could not be read as JSON Lines ({_short(error)}); write one JSON object per line.",
            code="not_a_table",
        )
