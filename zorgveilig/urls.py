from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from zorgveilig import views

handler403 = "zorgveilig.views.permission_denied"
handler404 = "zorgveilig.views.page_not_found"
handler500 = "zorgveilig.views.server_error"

# Dutch pages live at the root, English under /en/, each with its own translated path. The language switch
# is inside the patterns too, so it runs in the language of the page it was sent from and can translate that
# page's address (with its arguments) into the other language.
urlpatterns: list[URLPattern | URLResolver] = i18n_patterns(
    path("i18n/setlang/", set_language, name="set_language"),
    path("", views.home, name="home"),
    path(_("zorgveilig/"), views.care_workers, name="care_workers"),
    path(_("health-care-under-fire/"), views.conflict_monitor, name="conflict_monitor"),
    path(_("help/"), views.help_page, name="help"),
    path(_("about/"), views.about, name="about"),
    path(_("privacy/"), views.privacy, name="privacy"),
    path(_("figures/"), views.figures, name="figures"),
    path(_("figures/"), include("insights.urls")),
    path(_("figures/accountability/"), include("accountability.public_urls")),
    path(_("action-framework/questions/"), include("guidance.wizard_urls")),
    path(_("action-framework/"), include("guidance.urls")),
    path(_("report/"), include("meldpunt.urls")),
    path(_("staff/cases/"), include("meldpunt.case_urls")),
    path(_("staff/report-policy/"), include("meldpunt.policy_urls")),
    path(_("staff/guidance/"), include("guidance.editor_urls")),
    path(_("staff/data/"), include("sources.urls")),
    path(_("staff/linkage/"), include("linkage.urls")),
    path(_("staff/incidents/"), include("registry.urls")),
    path(_("staff/field-reports/"), include("registry.field_report_urls")),
    path(_("staff/evidence/"), include("evidence.urls")),
    path(_("staff/facilities/"), include("facilities.urls")),
    path(_("staff/accountability/"), include("accountability.urls")),
    path(_("staff/"), include("accounts.urls")),
    path(_("staff/audit/"), include("audit.urls")),
    path(_("staff/tasks/"), include("jobs.urls")),
    path(_("staff/insights/"), include("insights.staff_urls")),
    path("admin/", admin.site.urls),
    prefix_default_language=False,
)
# Machines need fixed addresses: the API is not translated and has no language prefix.
urlpatterns += [path("api/", include("api.urls"))]
