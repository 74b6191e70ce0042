"""Migration operations that only some databases can carry out."""

from django.db import migrations


class RunSQLOnPostgreSQL(migrations.RunSQL):
    """SQL for PostgreSQL alone (the production database), e.g. an index SQLite
    cannot build. It touches no model state, so SQLite's table rebuilds never see it."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
