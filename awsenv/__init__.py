"""awsenv: switch the current shell between AWS profiles."""

from __future__ import annotations

__version__ = "0.1.0"
