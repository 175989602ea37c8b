"""``gio-studio``'s entry point: parse, run the subcommand, and turn every failure into an exit status and one
line on stderr (the engine's messages said with the command's options, never a traceback); SIGTERM and SIGHUP
stop a run as Ctrl-C does, removing what was not finished.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Sequence

from . import select
from .arguments import PROG, STATUS_BAD_INPUT, STATUS_FAILED, UsageError, build_parser
from .words import in_cli_words

__all__ = ["in_cli_words", "main"]


def _app(args) -> int:
    from . import app as app_command

    if [argument for argument in args.streamlit_args if argument != "--"] in (["-h"], ["--help"]):
        print(args.app_help(), end="")
        return 0
    return app_command.run(args.streamlit_args)


class _Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised in the main thread so every ``finally`` (temporary files) runs."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _raise_stopped(signum, frame):
    raise _Stopped(signum)


@contextlib.contextmanager
def _stop_signals_raise():
    """While selecting, SIGTERM and SIGHUP stop the run like Ctrl-C does: cleanly, removing partial output.

    (Their default action kills the process at once, leaving a temporary file behind.)
    """
    if threading.current_thread() is not threading.main_thread():  # signal handlers live in the main thread
        yield
        return
    previous = {number: signal.signal(number, _raise_stopped) for number in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gio-studio`` console script; returns the exit status."""
    from ..io.errors import DataError

    # faiss's OpenMP threads spin while they wait; on a shared machine a spinning thread takes the core
    # another process (or the other faiss thread) needs, which made K-means up to 2x slower here
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    parser, gio_names = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exited:  # --help, --version and argument errors: return the status, do not raise
        return exited.code if isinstance(exited.code, int) else STATUS_BAD_INPUT
    if args.command is None:
        parser.print_help(sys.stderr)
        return STATUS_BAD_INPUT
    try:
        if args.command == "app":
            return _app(args)
        with _stop_signals_raise():
            return select.run(args, gio_names)
    except UsageError as error:
        print(f"{PROG}: error: {' '.join(str(error).split())}", file=sys.stderr)
        return STATUS_BAD_INPUT
    except (DataError, ValueError, TypeError) as error:
        print(f"{PROG}: error: {in_cli_words(' '.join(str(error).split()))}", file=sys.stderr)
        return STATUS_BAD_INPUT
    except PermissionError as error:
        print(
            f"{PROG}: error: cannot write or read {error.filename}: permission denied; choose another path.",
            file=sys.stderr,
        )
        return STATUS_BAD_INPUT
    except MemoryError:
        print(
            f"{PROG}: error: out of memory; quantise (--clusters K), use float32 .npy input, or a smaller pool.",
            file=sys.stderr,
        )
        return STATUS_FAILED
    except KeyboardInterrupt as stop:
        signum = getattr(stop, "signum", signal.SIGINT)
        print(
            f"{PROG}: stopped by {signal.Signals(signum).name}; an output not yet complete was removed and the file "
            "that was there before is untouched",
            file=sys.stderr,
        )
        return 128 + int(signum)
    except Exception as error:
        if os.environ.get("GIO_STUDIO_DEBUG"):
            raise
        print(
            f"{PROG}: internal error: {type(error).__name__}: {' '.join(str(error).split())} (set "
            "GIO_STUDIO_DEBUG=1 for the traceback, and please report it)",
            file=sys.stderr,
        )
        return STATUS_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
