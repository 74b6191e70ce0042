"""What every request passes through, whatever the view (settings.MIDDLEWARE, wsgi.py)."""
