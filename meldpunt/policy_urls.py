from django.urls import URLPattern

app_name = "report_policy"
urlpatterns: list[URLPattern] = []
