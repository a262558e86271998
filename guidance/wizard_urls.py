from django.urls import path
from django.utils.translation import gettext_lazy as _

from guidance import wizard_views

app_name = "wizard"
urlpatterns = [
    path("", wizard_views.questions, name="questions"),
    path(_("plan/"), wizard_views.plan, name="plan"),
    path(_("plan/pdf/"), wizard_views.plan_pdf, name="plan_pdf"),
]
