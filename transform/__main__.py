"""`python -m transform`: the same as the `cricket-transform` console script."""

import sys

from transform.cli import main

sys.exit(main())
