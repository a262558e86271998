from django.urls import URLPattern

app_name = "wizard"
urlpatterns: list[URLPattern] = []
