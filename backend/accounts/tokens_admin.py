"""The API tokens in the admin: whose they are, when they were made and when they end, and a way
to revoke them; never a key, nor a way to make one (django-rest-knox's own page is replaced)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from backend.accounts.tokens import REVOKED, token_id, token_model, tokens_revoke_all


class TokenAdmin(admin.ModelAdmin):
    list_display = ["short_id", "user", "created", "expiry"]
    list_display_links = None
    list_select_related = ["user"]
    search_fields = ["user__username"]
    ordering = ["-created"]
    fields = ["short_id", "user", "created", "expiry"]
    readonly_fields = fields

    @admin.display(description=_("token"))
    def short_id(self, obj) -> str:
        return token_id(obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        self.delete_queryset(request, type(obj).objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        """Each user's revoked tokens are one ``token.revoked`` event."""
        for user in {token.user for token in queryset.select_related("user")}:
            tokens_revoke_all(
                request=request, user=user, reason=REVOKED, only=queryset, by=request.user
            )


def register(site=admin.site) -> None:
    """Replaces django-rest-knox's admin page, which lists each token's digest and key prefix."""
    model = token_model()
    if site.is_registered(model):
        site.unregister(model)
    site.register(model, TokenAdmin)
