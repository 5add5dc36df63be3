"""``python -m model`` runs the ``headwater`` command line."""

import sys

from model.cli import main

sys.exit(main())
