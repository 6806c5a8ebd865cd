"""Entry point for ``python -m awsenv``, which is how the shell wrappers call the core."""

from __future__ import annotations

import sys

from awsenv.cli import main

sys.exit(main())
