"""Sleeps at import for HARNESS_FAULTY_IMPORT_S seconds (default 0)."""

import os
import time

time.sleep(float(os.environ.get("HARNESS_FAULTY_IMPORT_S", "0")))
