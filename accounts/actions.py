"""Changes to organisations' members. Views, the API and the CLI call these; each change is audited in the
same transaction, and the permission check is the caller's (accounts.permissions.organisation_for)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Organisation
from accounts.roles import Role
from audit.chain import record


def _admin_count(organisation: Organisation) -> int:
    # Locks the organisation's memberships, so two admins demoting each other at once cannot both succeed.
    return len(
        list(
            Membership.objects.select_for_update()
            .filter(organisation=organisation, role=Role.ADMIN)
            .values_list("pk", flat=True)
        )
    )


def _check_role(role: str) -> Role:
    if role not in Role.values:
        raise ValidationError(_("Choose one of the roles in the list."), code="unknown_role")
    return Role(role)


def add_member(actor: Any, organisation: Organisation, username: str, role: str) -> Membership:
    """Give an existing account a role in `organisation`."""
    role = _check_role(role)
    user_model = get_user_model()
    user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username.strip()}).first()
    if user is None:
        raise ValidationError(_("There is no account with this user name."), code="unknown_user")
    with transaction.atomic():
        if Membership.objects.filter(organisation=organisation, user=user).exists():
            raise ValidationError(
                _("This account is already a member of this organisation."), code="already_member"
            )
        membership = Membership.objects.create(organisation=organisation, user=user, role=role)
        record(
            "accounts.member_added",
            actor=actor,
            target=membership,
            organisation=organisation,
            details={"user_id": user.pk, "role": role.value},
        )
    return membership


def change_role(actor: Any, membership: Membership, role: str) -> Membership:
    """Change a member's role; the last administrator of an organisation cannot be demoted."""
    new_role = _check_role(role)
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        old_role = membership.role
        if old_role == new_role:
            return membership
        if old_role == Role.ADMIN and _admin_count(membership.organisation) <= 1:
            raise ValidationError(
                _("An organisation needs at least one administrator: make someone else administrator first."),
                code="last_admin",
            )
        membership.role = new_role
        membership.save(update_fields=["role"])
        record(
            "accounts.membership_changed",
            actor=actor,
            target=membership,
            organisation=membership.organisation,
            details={"user_id": membership.user_id, "old_role": old_role, "new_role": new_role.value},
        )
    return membership


def remove_member(actor: Any, membership: Membership) -> None:
    """End a membership; the last administrator of an organisation cannot be removed."""
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.role == Role.ADMIN and _admin_count(membership.organisation) <= 1:
            raise ValidationError(
                _("An organisation needs at least one administrator: make someone else administrator first."),
                code="last_admin",
            )
        record(
            "accounts.member_removed",
            actor=actor,
            target=membership,
            organisation=membership.organisation,
            details={"user_id": membership.user_id, "role": membership.role},
        )
        membership.delete()
