"""The WSGI entry point (config.wsgi), which the production server loads in each worker."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Loads the application in a process of its own (freezing is for the whole process), then
# reports how many objects the collector was left to walk, and whether a request's garbage
# is still collected.
PROBE = """
import gc
import config.wsgi
frozen, left = gc.get_freeze_count(), len(gc.get_objects())
cycle = []
cycle.append(cycle)
del cycle
collected = gc.collect()
print(frozen, left, collected)
"""


def test_loading_the_application_freezes_what_it_loaded_out_of_the_collectors_way():
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "x" * 50}
    environ.setdefault("DEBUG", "1")
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, env=environ, capture_output=True, text=True, check=True
    ).stdout

    frozen, left, collected = map(int, out.split())
    assert frozen > 50_000  # Django, the apps, the URLconf and the views
    assert left < frozen / 10
    assert collected >= 1  # what is made after the freeze is still collected
