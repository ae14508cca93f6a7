"""`python -m tfstyle` = the `tfstyle` command."""

import sys

from tfstyle.cli import main

sys.exit(main())
