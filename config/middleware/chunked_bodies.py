"""Request bodies sent with `Transfer-Encoding: chunked`, for Django under WSGI.

Django reads as many body bytes as `CONTENT_LENGTH` says, and a chunked request has
none, so its body reads as empty: a create would fail with "title: This field is
required." although the client sent one. The earlier ASGI backend accepted such
bodies. Servers that de-chunk the body mark `wsgi.input` as ending where the body
ends (`wsgi.input_terminated`, granian and gunicorn do); for those, this reads the
body up to one byte past the size limit and hands Django its length, so a body over
the limit still gets the API's 413.
"""

from __future__ import annotations

import io

from django.conf import settings


class ChunkedBodies:
    def __init__(self, application) -> None:
        self.application = application

    def __call__(self, environ, start_response):
        if (
            not environ.get("CONTENT_LENGTH")
            and environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked"
            and environ.get("wsgi.input_terminated")
        ):
            body = environ["wsgi.input"].read(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.application(environ, start_response)
