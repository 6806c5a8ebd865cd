"""Entry point of the core: the shell wrappers run it by path, ``python -I -S .../__main__.py``.

Running the file by path instead of ``python -m awsenv`` skips runpy and the importlib
machinery it loads (about 7 ms, a third of a Python start here). Under ``-I`` the script's
directory is not put on ``sys.path``; without it (installs found only through the user site or
PYTHONPATH) that directory is this package, whose modules must not shadow top-level names, so
it is taken off again before anything else is imported.

``-S`` skips ``site`` at start-up: reading every ``.pth`` file of the environment costs about a
sixth of a Python start, and the hot paths (``use`` with cached credentials, completion, the
prompt's commands) import nothing outside the standard library and this package. The package's
own parent directory goes at the end of ``sys.path``, and the first import that nothing can find
(boto3 when a login is needed, platformdirs on macOS and Windows) runs ``site.main()`` and is
retried, so a cold path works exactly as under a normal start.
"""

from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))

if sys.path and sys.path[0] and os.path.abspath(sys.path[0]) == _HERE:
    del sys.path[0]


class _SiteOnDemand:
    """Last on ``sys.meta_path`` under ``-S``: loads ``site`` once, when an import needs it."""

    @classmethod
    def find_spec(cls, name: str, path: object = None, target: object = None) -> object:
        """Run ``site.main()`` (once), then ask every finder again for ``name``."""
        sys.meta_path.remove(cls)  # type: ignore[arg-type]
        import site

        site.main()
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if find is not None:
                spec = find(name, path, target)
                if spec is not None:
                    return spec
        return None


if sys.flags.no_site:
    sys.path.append(os.path.dirname(_HERE))  # after the standard library: it shadows nothing
    sys.meta_path.append(_SiteOnDemand)  # type: ignore[arg-type]

from awsenv.cli import main  # noqa: E402 - only now: sys.path is settled

sys.exit(main())
