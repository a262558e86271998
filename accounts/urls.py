from django.contrib.auth import views as auth_views
from django.urls import path
from django.utils.translation import gettext_lazy as _

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.staff_home, name="staff_home"),
    path(_("login/"), auth_views.LoginView.as_view(), name="login"),
    path(_("logout/"), auth_views.LogoutView.as_view(), name="logout"),
]
