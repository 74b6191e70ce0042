"""Probes for the load balancer and the orchestrator."""

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse


def healthz(request):
    """The process is alive and answering."""
    return JsonResponse({"status": "ok"})


def readyz(request):
    """The database answers and every migration is applied: safe to send traffic."""
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "detail": "Database is unreachable."}, status=503)
    if pending:
        return JsonResponse(
            {"status": "unavailable", "detail": f"{len(pending)} migration(s) not applied."}, status=503
        )
    return JsonResponse({"status": "ok"})
