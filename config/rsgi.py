"""The production server's entry point (the Procfile's `granian --interface rsgi`): the
WSGI application, served so that slow or idle clients never hold its threads
(config.wsgi_over_rsgi), and the health probes answered on its event loop, so that they
answer while every thread is busy (config.probes_on_loop)."""

import contextlib
import os
import resource

from django.conf import settings

from config import probes_on_loop
from config.database_pool import web_threads
from config.wsgi import application as wsgi_application
from config.wsgi_over_rsgi import WsgiOverRsgi

# Each open connection is a file descriptor, and the Procfile lets each worker hold
# thousands (--backpressure): take the whole allowance the platform gives.
_, hard_limit = resource.getrlimit(resource.RLIMIT_NOFILE)
# (An unlimited hard limit cannot be the soft one: that stays as it is.)
with contextlib.suppress(ValueError, OSError):
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard_limit, hard_limit))

application = WsgiOverRsgi(
    wsgi_application,
    # Requests run at once per worker; the database pool has as many connections.
    threads=web_threads(os.environ),
    max_body=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
    body_timeout=float(os.environ.get("BODY_READ_TIMEOUT", "10")),
    on_loop=probes_on_loop.answer,
    on_start=probes_on_loop.start,
)
