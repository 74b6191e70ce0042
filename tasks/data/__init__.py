"""The data layer: one owner's tasks (store.py), the list, the hand-written SQL, sync.

Nothing here knows HTTP, DRF, django-filter or who is calling (pyproject.toml's
import contracts); the API, the MCP tools and the admin come here for every task.
"""
