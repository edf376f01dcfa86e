"""Entry script of the frozen (PyInstaller) vaeviz app; see packaging/vaeviz.spec."""

from vaeviz.app import main

raise SystemExit(main())
