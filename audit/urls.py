from django.urls import path
from django.utils.translation import gettext_lazy as _

from audit import views

app_name = "audit"
urlpatterns = [
    path("", views.event_list, name="list"),
    path(_("verify/"), views.start_verification, name="verify"),
]
