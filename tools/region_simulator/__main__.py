"""Entry point for `python3 -m region_simulator` (see tools/region-simulator)."""
import sys

from .cli import main

sys.exit(main())
