from django.urls import path

from meldpunt import policy_views

app_name = "report_policy"
urlpatterns = [
    path("<slug:slug>/", policy_views.edit, name="edit"),
]
