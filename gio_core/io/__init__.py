"""Data in and out: reading tables and arrays, their columns and vectors, Parquet shards, large files, text
embeddings, demo data, the exported selection and the run manifest.

Nothing here knows GIO: every module takes and gives tables, arrays and files. Modules:

================  ===========================================================================
``read``          :func:`read_data`: any supported file (by content and name) into a :class:`LoadedData`
``formats``       format detection, NumPy ``.npy``/``.npz`` (never unpickled) and Parquet
``text_formats``  CSV, TSV, their gzip forms, JSON Lines: delimiters, encodings, headers
``tables``        :class:`LoadedData`, the formats, sizes in words
``errors``        :class:`DataError`, the one-line message every check raises
``columns``       which columns hold numbers, vectors, text, ids
``vectors``       :func:`prepare_vectors`: pool and target vectors in one space
``shards``        a folder or glob of Parquet shards (:class:`ParquetDataset`)
``largefiles``    rows of very large inputs, read in chunks
``embeddings``    text columns as vectors (TF-IDF built in, MiniLM when installed)
``targets``       a target made of pool rows (:func:`split_pool`)
``export``        the selection as CSV or Parquet; ``atomic``: files that appear whole or not at all
``manifest``      the run manifest: what is needed to rerun and check a selection
``datasets``      Fashion-MNIST; ``demos``: the app's bundled demos
================  ===========================================================================
"""

from .atomic import write_atomically
from .columns import numeric_columns, text_columns, vector_list_columns
from .datasets import FASHION_MNIST_CLASSES, fashion_mnist_sample, load_fashion_mnist
from .demos import DEMOS, Demo, DemoInfo, available_demos, load_demo
from .embeddings import TEXT_MODELS, available_text_models, default_text_model, describe_text_model, embed_texts
from .errors import DataError
from .export import (
    EXPORT_COLUMNS,
    selection_csv_bytes,
    selection_frame,
    write_selection,
    write_selection_rows,
    write_selection_table,
)
from .manifest import build_manifest, manifest_vectors_record, read_manifest, write_manifest
from .read import read_data
from .shards import ParquetDataset, is_parquet_dataset, open_parquet_dataset
from .tables import DEFAULT_MAX_BYTES, SUPPORTED_FORMATS, LoadedData, format_bytes, parse_size
from .targets import split_pool
from .vectors import PreparedVectors, extract_vectors, prepare_vectors

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEMOS",
    "EXPORT_COLUMNS",
    "FASHION_MNIST_CLASSES",
    "SUPPORTED_FORMATS",
    "TEXT_MODELS",
    "DataError",
    "Demo",
    "DemoInfo",
    "LoadedData",
    "ParquetDataset",
    "PreparedVectors",
    "available_demos",
    "available_text_models",
    "build_manifest",
    "default_text_model",
    "describe_text_model",
    "embed_texts",
    "extract_vectors",
    "fashion_mnist_sample",
    "format_bytes",
    "is_parquet_dataset",
    "load_demo",
    "load_fashion_mnist",
    "manifest_vectors_record",
    "numeric_columns",
    "open_parquet_dataset",
    "parse_size",
    "prepare_vectors",
    "read_data",
    "read_manifest",
    "selection_csv_bytes",
    "selection_frame",
    "split_pool",
    "text_columns",
    "vector_list_columns",
    "write_atomically",
    "write_manifest",
    "write_selection",
    "write_selection_rows",
    "write_selection_table",
]
