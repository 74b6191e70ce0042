"""Probes for the load balancer and the orchestrator.

Under the production server the probes never reach these views: the server answers
them on its event loop (config.probes_on_loop), from `readiness()` run in the probe's
own thread. The views serve every other way of running the app (runserver, a WSGI
server, the tests), with the same answers.
"""

from collections.abc import Callable

from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse

from config import database_probe

OK = {"status": "ok"}
UNREACHABLE = {"status": "unavailable", "detail": "Database is unreachable."}
# Once every migration is applied it stays so for the life of the process: checking
# again would put the probe behind the requests' connection pool for nothing.
_migrations_applied = False


def healthz(request):
    """The process is alive and answering."""
    return JsonResponse(OK)


def readyz(request):
    """The database answers, every migration is applied and the static files can be
    served: safe to send traffic. Answers within a second: the round trip has a
    connection and a time budget of its own (config.database_probe)."""
    status, body = readiness(database_answers=database_probe.database_answers, database=connection)
    return JsonResponse(body, status=status)


def readiness(*, database_answers: Callable[[], bool], database) -> tuple[int, dict]:
    """/readyz's status and body: `database_answers()` says whether the database
    answered, and the migrations are read over `database` (a Django connection), until
    they are found all applied. Runs queries."""
    global _migrations_applied
    if not database_answers():
        return 503, UNREACHABLE
    if not _migrations_applied:
        try:
            executor = MigrationExecutor(database)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError:
            return 503, UNREACHABLE
        if pending:
            return 503, {"status": "unavailable", "detail": f"{len(pending)} migration(s) not applied."}
        _migrations_applied = True
    if static_manifest_missing():
        return 503, {"status": "unavailable", "detail": "Static files are not collected: run collectstatic."}
    return 200, OK


def static_manifest_missing() -> bool:
    """In production (the manifest storage), whether this process found no manifest of
    the collected static files: every page that links one (the API docs, the admin's
    and the browsable API's login) would fail. The storage reads the manifest once,
    when the process starts, so a later collectstatic needs a restart too."""
    return isinstance(staticfiles_storage, ManifestFilesMixin) and not staticfiles_storage.hashed_files
