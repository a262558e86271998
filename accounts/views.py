from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def staff_home(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/staff_home.html")
