"""Probes for the load balancer and the orchestrator."""

from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse

from config import database_probe

UNREACHABLE = {"status": "unavailable", "detail": "Database is unreachable."}
# Once every migration is applied it stays so for the life of the process: checking
# again would put the probe behind the requests' connection pool for nothing.
_migrations_applied = False


def healthz(request):
    """The process is alive and answering."""
    return JsonResponse({"status": "ok"})


def readyz(request):
    """The database answers, every migration is applied and the static files can be
    served: safe to send traffic. Answers within a second: the round trip has a
    connection and a time budget of its own (config.database_probe)."""
    global _migrations_applied
    if not database_probe.database_answers():
        return JsonResponse(UNREACHABLE, status=503)
    if not _migrations_applied:
        try:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError:
            return JsonResponse(UNREACHABLE, status=503)
        if pending:
            return JsonResponse(
                {"status": "unavailable", "detail": f"{len(pending)} migration(s) not applied."}, status=503
            )
        _migrations_applied = True
    if static_manifest_missing():
        return JsonResponse(
            {"status": "unavailable", "detail": "Static files are not collected: run collectstatic."},
            status=503,
        )
    return JsonResponse({"status": "ok"})


def static_manifest_missing() -> bool:
    """In production (the manifest storage), whether this process found no manifest of
    the collected static files: every page that links one (the API docs, the admin's
    and the browsable API's login) would fail. The storage reads the manifest once,
    when the process starts, so a later collectstatic needs a restart too."""
    return isinstance(staticfiles_storage, ManifestFilesMixin) and not staticfiles_storage.hashed_files
