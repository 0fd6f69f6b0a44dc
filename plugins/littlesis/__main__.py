"""`python -m littlesis ...` (with plugins/ on sys.path) is the same as bin/littlesis."""

import sys

from littlesis.cli import main

sys.exit(main())
