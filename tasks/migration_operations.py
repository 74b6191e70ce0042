"""Migration operations that only some databases can carry out."""

from django.db import migrations


class AddIndexOnPostgreSQL(migrations.AddIndex):
    """An index that SQLite cannot build (e.g. `DESC NULLS LAST`); it only serves PostgreSQL,
    the production database, so elsewhere it exists in the model state alone."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
