import gc
import os

from django.core.wsgi import get_wsgi_application

from config.middleware.chunked_bodies import ChunkedBodies

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = ChunkedBodies(get_wsgi_application())

# What is loaded by now (Django, the apps, the URLconf and the views: ~180,000 objects)
# lives as long as the process. Left to the garbage collector, each full collection
# walked all of it: a pause of ~90 ms, every few hundred requests, for every thread of
# the worker (most of the list's p99). Frozen, they are out of its way; a full
# collection then walks only what requests left behind.
gc.freeze()
