"""``python -m gio_core.cli``: the ``gio-studio`` command."""

import sys

from .main import main

sys.exit(main())
