"""Entry point of the core: the shell wrappers run this file by path, ``python -I .../__main__.py``.

Running the file by path instead of ``python -m awsenv`` skips runpy and the importlib
machinery it loads (about 7 ms, a third of a Python start here). Under ``-I`` the script's
directory is not put on ``sys.path``; without it (installs found only through the user site or
PYTHONPATH) that directory is this package, whose modules must not shadow top-level names, so
it is taken off again before anything else is imported.
"""

from __future__ import annotations

import os
import sys

if (
    sys.path
    and sys.path[0]
    and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__))
):
    del sys.path[0]

from awsenv.cli import main  # only now: sys.path is settled

sys.exit(main())
