"""Starting the app as a person would (``streamlit run app.py``), shared by the browser test and
``benchmarks/app_latency.py``: a free port, a health check, and a server that dies with its parent."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def die_with_parent() -> None:
    """In the server's process (Linux): end it when the process that started it ends, even if that one
    is killed before its clean-up runs (a CI timeout), so no server is left holding a port."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def healthy(url: str) -> bool:
    """Whether Streamlit's health endpoint at ``url`` answers."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def stop_server(server: subprocess.Popen) -> None:
    """End a server started in its own process group (and any child), by that group's id."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=20)
