from django.urls import path
from django.utils.translation import gettext_lazy as _

from accounts import token_views, views

app_name = "accounts"
urlpatterns = [
    path("", views.staff_home, name="staff_home"),
    path(_("login/"), views.login, name="login"),
    path(_("logout/"), views.logout, name="logout"),
    path(_("password/"), views.password_change, name="password_change"),
    path(_("two-factor/set-up/"), views.two_factor_setup, name="two_factor_setup"),
    path(_("two-factor/set-up/qr-code.svg"), views.two_factor_qr, name="two_factor_qr"),
    path(_("two-factor/verify/"), views.two_factor_verify, name="two_factor_verify"),
    path(_("organisations/<slug:slug>/"), views.organisation, name="organisation"),
    path(_("organisations/<slug:slug>/members/add/"), views.member_add, name="member_add"),
    path(
        _("organisations/<slug:slug>/members/<int:membership_id>/role/"),
        views.member_change_role,
        name="member_change_role",
    ),
    path(
        _("organisations/<slug:slug>/members/<int:membership_id>/remove/"),
        views.member_remove,
        name="member_remove",
    ),
    path(_("api-tokens/"), token_views.api_tokens_page, name="api_tokens"),
    path(_("api-tokens/new/"), token_views.api_token_create, name="api_token_create"),
    path(_("api-tokens/<int:token_id>/revoke/"), token_views.api_token_revoke, name="api_token_revoke"),
]
