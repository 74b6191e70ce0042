"""Staff see every user's webhook subscriptions, their deliveries and recent events."""

from __future__ import annotations

from django.contrib import admin

from events.models import Event, WebhookDelivery, WebhookSubscription


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["url", "user_id", "active", "created_at", "last_success_at"]
    list_filter = ["active"]
    search_fields = ["url", "user_id"]
    readonly_fields = ["secret", "created_at", "last_success_at", "disabled_reason"]
    actions = ["enable"]

    @admin.action(description="Enable again (after the receiver is fixed)")
    def enable(self, request, queryset):
        queryset.update(active=True, disabled_reason="")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event_id", "subscription", "status", "attempt_count", "next_attempt_at", "delivered_at"]
    list_filter = ["status"]
    search_fields = ["subscription__url", "subscription__user_id"]
    list_select_related = ["subscription"]
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The outbox, read-only: events are written by the database with each task change."""

    list_display = ["id", "type", "user_id", "aggregateid", "occurred_at", "relayed"]
    list_filter = ["type", "relayed"]
    search_fields = ["user_id", "aggregateid"]
    readonly_fields = [field.name for field in Event._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
