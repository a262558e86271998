from django.urls import URLPattern

app_name = "guidance_editor"
urlpatterns: list[URLPattern] = []
