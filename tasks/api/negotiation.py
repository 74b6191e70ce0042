"""Choosing the response's format: the `Accept` header, or `?format=` in a browser."""

from __future__ import annotations

from rest_framework.negotiation import DefaultContentNegotiation


class LenientFormatNegotiation(DefaultContentNegotiation):
    """`?format=json` and `?format=api` pick a renderer (DRF's URL_FORMAT_OVERRIDE, handy
    in a browser). Any other value is ignored as any unknown query parameter is, and the
    `Accept` header decides: DRF would answer 404, before even checking credentials, a
    status that no client could make sense of and that no operation documents."""

    def filter_renderers(self, renderers, format):
        return [renderer for renderer in renderers if renderer.format == format] or renderers
