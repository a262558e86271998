"""Staff need an authenticator app: enrolment, verification, replay protection, backup codes, enforcement."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import twofactor
from accounts.models import BackupCode, TOTPDevice, User
from accounts.roles import Role
from audit.models import Event
from tests.conftest import PERSONA_PASSWORD, give_device, login_verified

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]


@pytest.fixture
def staff(make_member: Any) -> User:
    return make_member(Role.CASE_HANDLER, username="bram", password=PERSONA_PASSWORD)


def log_in(client: Any, username: str = "bram") -> Any:
    response = client.post(reverse("accounts:login"), {"username": username, "password": PERSONA_PASSWORD})
    assert response.status_code == 302
    return response


def path_of(response: Any) -> str:
    return urlsplit(response["Location"]).path


def next_of(response: Any) -> str:
    return parse_qs(urlsplit(response["Location"]).query).get("next", [""])[0]


def secret_on(page: str) -> str:
    match = re.search(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<', page)
    assert match is not None, "the secret is shown as text with id totp-secret"
    return match.group(1)


def enrol(client: Any) -> tuple[pyotp.TOTP, list[str]]:
    page = client.get(reverse("accounts:two_factor_setup")).content.decode()
    secret = secret_on(page).replace(" ", "")
    totp = pyotp.TOTP(secret)
    response = client.post(reverse("accounts:two_factor_setup"), {"code": totp.now()})
    assert response.status_code == 200
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", response.content.decode())
    return totp, codes


def test_staff_without_device_is_sent_to_enrolment(client: Any, staff: User) -> None:
    log_in(client)
    response = client.get(reverse("accounts:staff_home"))
    assert response.status_code == 302
    assert path_of(response) == reverse("accounts:two_factor_setup")
    assert next_of(response) == reverse("accounts:staff_home")


def test_staff_with_device_is_sent_to_verification(client: Any, staff: User) -> None:
    give_device(staff)
    log_in(client)
    response = client.get(reverse("accounts:organisation", kwargs={"slug": "test-beroepsvereniging"}))
    assert path_of(response) == reverse("accounts:two_factor_verify")


def test_login_redirect_keeps_the_destination_through_verification(client: Any, staff: User) -> None:
    totp = give_device(staff)
    destination = reverse("accounts:password_change")
    response = client.post(
        reverse("accounts:login"),
        {"username": "bram", "password": PERSONA_PASSWORD, "next": destination},
    )
    assert response["Location"] == destination
    to_verify = client.get(destination)
    assert next_of(to_verify) == destination
    verified = client.post(to_verify["Location"], {"code": totp.now(), "next": destination})
    assert verified["Location"] == destination


def test_login_ignores_a_destination_on_another_site(client: Any, staff: User) -> None:
    response = client.post(
        reverse("accounts:login"),
        {"username": "bram", "password": PERSONA_PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("accounts:staff_home")


def test_enrolment_shows_qr_code_and_grouped_secret(client: Any, staff: User) -> None:
    log_in(client)
    page = client.get(reverse("accounts:two_factor_setup")).content.decode()
    secret = secret_on(page)
    assert all(len(group) == 4 for group in secret.split(" "))
    assert f'src="{reverse("accounts:two_factor_qr")}"' in page
    qr = client.get(reverse("accounts:two_factor_qr"))
    assert qr.status_code == 200
    assert qr["Content-Type"] == "image/svg+xml"
    assert qr.content.startswith(b"<svg")
    assert "no-store" in qr["Cache-Control"]


def test_enrolment_with_right_code_shows_ten_backup_codes_once(client: Any, staff: User) -> None:
    log_in(client)
    _totp, codes = enrol(client)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    stored = set(BackupCode.objects.filter(user=staff).values_list("code_hash", flat=True))
    assert stored == {twofactor.backup_code_hash(staff, code) for code in codes}
    assert not any(code.replace("-", "") in hashed for code in codes for hashed in stored)
    assert TOTPDevice.objects.get(user=staff).confirmed
    # Enrolled and verified in this session: staff pages open; the set-up page does not show codes again.
    assert client.get(reverse("accounts:staff_home")).status_code == 200
    again = client.get(reverse("accounts:two_factor_setup"))
    assert again.status_code == 302
    assert client.get(reverse("accounts:two_factor_qr")).status_code == 404  # nothing pending any more
    assert Event.objects.filter(action="accounts.two_factor_enrolled", object_id=str(staff.pk)).exists()


def test_enrolment_with_wrong_code_is_refused(client: Any, staff: User) -> None:
    log_in(client)
    client.get(reverse("accounts:two_factor_setup"))
    device = TOTPDevice.objects.get(user=staff)
    wrong = f"{(int(pyotp.TOTP(device.secret).now()) + 1) % 1_000_000:06d}"
    response = client.post(reverse("accounts:two_factor_setup"), {"code": wrong})
    assert "not right" in response.content.decode()
    assert 'aria-describedby="id_code_error"' in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(reverse("accounts:staff_home")).status_code == 302


def test_reloading_the_set_up_page_keeps_the_same_secret(client: Any, staff: User) -> None:
    log_in(client)
    client.get(reverse("accounts:two_factor_setup"))
    first = TOTPDevice.objects.get(user=staff).secret
    client.get(reverse("accounts:two_factor_setup"))
    assert TOTPDevice.objects.get(user=staff).secret == first


def test_right_code_verifies_and_cycles_the_session_key(client: Any, staff: User) -> None:
    totp = give_device(staff)
    log_in(client)
    before = client.session.session_key
    response = client.post(reverse("accounts:two_factor_verify"), {"code": totp.now()})
    assert response.status_code == 302
    assert client.session[twofactor.VERIFIED_SESSION_KEY] is True
    assert client.session.session_key != before
    assert client.get(reverse("accounts:staff_home")).status_code == 200
    assert Event.objects.filter(action="accounts.two_factor_verified").count() == 1


def test_wrong_code_is_refused(client: Any, staff: User) -> None:
    totp = give_device(staff)
    log_in(client)
    wrong = f"{(int(totp.now()) + 500_000) % 1_000_000:06d}"
    response = client.post(reverse("accounts:two_factor_verify"), {"code": wrong})
    assert response.status_code == 200
    assert "not right" in response.content.decode()
    assert twofactor.VERIFIED_SESSION_KEY not in client.session


def test_reused_code_is_refused(client: Any, staff: User) -> None:
    totp = give_device(staff)
    code = totp.now()
    log_in(client)
    assert client.post(reverse("accounts:two_factor_verify"), {"code": code}).status_code == 302
    other = type(client)()
    log_in(other)
    response = other.post(reverse("accounts:two_factor_verify"), {"code": code})
    assert "not right or was used already" in response.content.decode()
    assert twofactor.VERIFIED_SESSION_KEY not in other.session


def test_code_of_an_earlier_step_is_refused_after_a_later_one_was_used(staff: User) -> None:
    totp = give_device(staff)
    now = timezone.now()
    assert twofactor.verify_code(staff, totp.at(now), now=now) == twofactor.Method.TOTP
    earlier = now - timedelta(seconds=30)
    assert twofactor.verify_code(staff, totp.at(earlier), now=now) is None


def test_code_from_the_previous_and_next_step_is_accepted(staff: User) -> None:
    totp = give_device(staff)
    now = timezone.now()
    assert twofactor.verify_code(staff, totp.at(now - timedelta(seconds=30)), now=now) is not None
    assert twofactor.verify_code(staff, totp.at(now + timedelta(seconds=30)), now=now) is not None
    assert twofactor.verify_code(staff, totp.at(now + timedelta(seconds=90)), now=now) is None


def test_backup_code_works_once(client: Any, staff: User) -> None:
    log_in(client)
    _totp, codes = enrol(client)
    client.post(reverse("accounts:logout"))
    log_in(client)
    response = client.post(reverse("accounts:two_factor_verify"), {"backup_code": codes[3].upper()})
    assert response.status_code == 302
    assert client.session[twofactor.VERIFIED_SESSION_KEY] is True
    assert Event.objects.filter(action="accounts.backup_code_used").count() == 1
    client.post(reverse("accounts:logout"))
    log_in(client)
    again = client.post(reverse("accounts:two_factor_verify"), {"backup_code": codes[3]})
    assert "was used before" in again.content.decode()
    assert twofactor.VERIFIED_SESSION_KEY not in client.session


def test_backup_code_of_another_user_does_not_work(client: Any, staff: User, make_member: Any) -> None:
    log_in(client)
    _totp, codes = enrol(client)
    other = make_member(Role.VIEWER, username="carla", password=PERSONA_PASSWORD)
    give_device(other)
    other_client = type(client)()
    log_in(other_client, "carla")
    response = other_client.post(reverse("accounts:two_factor_verify"), {"backup_code": codes[0]})
    assert "was used before" in response.content.decode()


def test_too_many_wrong_codes_are_refused_without_checking(client: Any, staff: User, settings: Any) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    totp = give_device(staff)
    log_in(client)
    wrong = f"{(int(totp.now()) + 500_000) % 1_000_000:06d}"
    for _ in range(3):
        client.post(reverse("accounts:two_factor_verify"), {"code": wrong})
    response = client.post(reverse("accounts:two_factor_verify"), {"code": totp.now()})
    assert "Too many failed attempts" in response.content.decode()
    assert twofactor.VERIFIED_SESSION_KEY not in client.session


def test_user_without_staff_role_is_not_forced_to_set_up_two_factor(client: Any, db: None) -> None:
    user = User.objects.create_user("dirk", password=PERSONA_PASSWORD)
    log_in(client, "dirk")
    # Not staff: no second factor asked; the staff page itself is simply not for them.
    assert client.get(reverse("accounts:password_change")).status_code == 200
    assert client.get(reverse("accounts:staff_home")).status_code == 403
    assert not TOTPDevice.objects.filter(user=user).exists()


@pytest.mark.parametrize("url_name", ["home", "care_workers", "conflict_monitor"])
def test_public_pages_are_reachable_while_unverified(client: Any, staff: User, url_name: str) -> None:
    log_in(client)
    assert client.get(reverse(url_name)).status_code == 200


def test_language_switch_and_logout_work_while_unverified(client: Any, staff: User) -> None:
    log_in(client)
    assert client.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_admin_is_blocked_until_verified(client: Any, db: None) -> None:
    User.objects.create_superuser("root", password=PERSONA_PASSWORD)
    log_in(client, "root")
    response = client.get("/admin/")
    assert response.status_code == 302
    assert path_of(response) == reverse("accounts:two_factor_setup")
    assert next_of(response) == "/admin/"


def test_admin_opens_for_verified_superuser(client: Any, db: None) -> None:
    root = User.objects.create_superuser("root", password=PERSONA_PASSWORD)
    login_verified(client, root)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/totpdevice/").status_code == 200


def test_admin_login_page_sends_to_the_throttled_login(client: Any, db: None) -> None:
    response = client.get("/admin/login/?next=/admin/accounts/")
    assert path_of(response) == reverse("accounts:login")
    assert next_of(response) == "/admin/accounts/"


def test_english_two_factor_pages_work(client: Any, staff: User) -> None:
    give_device(staff)
    log_in(client)
    response = client.get("/en/staff/")
    assert response.status_code == 302
    assert path_of(response).startswith("/en/")
    assert client.get(response["Location"]).status_code == 200
