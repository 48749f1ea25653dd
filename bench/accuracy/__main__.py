"""``python -m accuracy``: build the set (cached) and score appaudit on it."""

import sys

from accuracy.score import main

sys.exit(main())
