from django.urls import path
from django.utils.translation import gettext_lazy as _

from meldpunt import case_changes, case_views

app_name = "cases"
urlpatterns = [
    path("", case_views.queue, name="queue"),
    path(_("phone-intake/"), case_views.phone_intake, name="phone_intake"),
    # meldpunt.notifications links to "detail" with the case number as the only argument.
    path("<int:pk>/", case_views.detail, name="detail"),
    path(_("<int:pk>/status/"), case_changes.change_status, name="change_status"),
    path(_("<int:pk>/close/"), case_changes.close, name="close"),
    path(_("<int:pk>/reopen/"), case_changes.reopen, name="reopen"),
    path(_("<int:pk>/assign/"), case_changes.assign, name="assign"),
    path(_("<int:pk>/reply/"), case_changes.reply, name="reply"),
    path(_("<int:pk>/note/"), case_changes.add_note, name="add_note"),
    path(_("<int:pk>/referrals/"), case_changes.add_referral, name="add_referral"),
    path(
        _("<int:pk>/referrals/<int:referral_id>/status/"),
        case_changes.referral_status,
        name="referral_status",
    ),
    path(_("<int:pk>/share/"), case_changes.share, name="share"),
    path(_("<int:pk>/erase/"), case_changes.erase, name="erase"),
    path(_("<int:pk>/files/<int:attachment_id>/"), case_views.attachment, name="attachment"),
    path(_("<int:pk>/files/<int:attachment_id>/preview/"), case_views.preview, name="preview"),
]
