from django.urls import path

from jobs import views

app_name = "jobs"
urlpatterns = [
    path("", views.task_list, name="list"),
    path("<uuid:result_id>/", views.task_detail, name="detail"),
]
