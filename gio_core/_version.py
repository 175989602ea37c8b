"""The installed package's version (a leaf: every module that records it imports it from here)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gio-studio")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
