"""OpenAPI: the bearer-token scheme, filter parameters, and the schema-wide rules that
hold for every operation (each operation's own description is in tasks.api.api_docs)."""

from __future__ import annotations

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from config.middleware.request_id import REQUEST_ID_HEADER
from tasks.api.api_docs import OPTIONAL_RESPONSE_FIELDS


class DocumentedFilterExtension(DjangoFilterExtension):
    """django-filter parameters whose schema is overridden (`extend_schema_field`) keep
    their `help_text` as the description, which drf-spectacular would otherwise drop.
    An empty value (`?priority=`) means no filter, as django-filter reads it, so the
    parameters say `allowEmptyValue`.

    `resolve_filter_field` is drf-spectacular's own method, not a documented hook (kept:
    the alternative is every filter declared twice, here and in api_docs);
    tests/test_private_apis.py fails if it stops being called."""

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        help_text = filter_field.extra.get("help_text")
        for parameter in parameters:
            if help_text and not parameter.get("description"):
                parameter["description"] = str(help_text)
            parameter["allowEmptyValue"] = True
        return parameters


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "tasks.identity.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": (
                "A JWT from `POST /api/auth/token`, or one from the configured identity "
                "provider (HS256 with a shared secret, or RS256/ES256/EdDSA from a JWKS URL)."
            ),
        }


def document_paths_without_trailing_slash(result, generator, request, public):
    """The routes accept `/tasks` and `/tasks/`; the documented form is the one the
    earlier clients use, without the slash."""
    result["paths"] = {
        (path.rstrip("/") if path != "/" else path): item for path, item in result["paths"].items()
    }
    return result


def require_fields_always_present(result, generator, request, public):
    """A serializer writes every readable field, so each field of a response component is
    always there: say so (`required`), or strict clients type them all as optional. The
    request components (`...Request`, with COMPONENT_SPLIT_REQUEST) keep their own rules."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") or "properties" not in component:
            continue
        optional = OPTIONAL_RESPONSE_FIELDS.get(name, set())
        component["required"] = [field for field in component["properties"] if field not in optional]
    return result


def declare_request_id_header(result, generator, request, public):
    """config.middleware.request_id's middleware puts `X-Request-ID` on every response, whatever the view."""
    header = {
        "schema": {"type": "string"},
        "description": "The request's id (yours, if you sent a plain one); quote it in a bug report.",
    }
    for item in result["paths"].values():
        for operation in item.values():
            for response in operation.get("responses", {}).values():
                response.setdefault("headers", {})[REQUEST_ID_HEADER] = header
    return result
