"""``python -m vaeviz``: same as the ``vaeviz`` command."""

from vaeviz.app import main

raise SystemExit(main())
