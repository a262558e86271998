from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


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
    # Rendered without context processors: the failure may lie in the database or a context processor.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render(), status=500)
