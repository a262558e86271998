from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "zorgveilig/home.html")


def care_workers(request: HttpRequest) -> HttpResponse:
    return render(request, "zorgveilig/care_workers.html")


def conflict_monitor(request: HttpRequest) -> HttpResponse:
    return render(request, "zorgveilig/conflict_monitor.html")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without the request and without context processors: the failure may lie in the database,
    # the session or a context processor, and this page must still come out.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
