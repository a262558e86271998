"""Mapping profiles: the actions that store them (sources.models.MappingProfile), each writing one audit
event; what a profile says and how it is checked is sources.profile_definition (docs/mapping-profiles.md).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from audit.chain import record as audit_record
from sources.models import ImportRequest, MappingProfile
from sources.profile_definition import (
    ProfileDefinition,
    ProfileRefused,
    definition_from_yaml,
    definition_to_yaml,
    stored_document,
)


def _details(profile: MappingProfile, **extra: Any) -> dict[str, Any]:
    return {"slug": profile.slug, "version": profile.version, "source": profile.source_slug, **extra}


def _state(profile: MappingProfile) -> tuple[Any, ...]:
    return (profile.name, profile.description, profile.source_slug, profile.kind, profile.definition)


def _apply(profile: MappingProfile, definition: ProfileDefinition) -> None:
    profile.name, profile.description = definition.name, definition.description
    profile.source_slug, profile.kind = definition.source.slug, definition.kind
    profile.definition = definition.stored()


def create_profile(definition: ProfileDefinition, *, actor: Any) -> MappingProfile:
    with transaction.atomic():
        if MappingProfile.objects.filter(slug=definition.slug).exists():
            message = _("A mapping profile with the code %(slug)s already exists.")
            raise ProfileRefused(message % {"slug": definition.slug})
        profile = MappingProfile(slug=definition.slug)
        profile.created_by = actor if getattr(actor, "is_authenticated", False) else None
        _apply(profile, definition)
        profile.save()
        audit_record("sources.profile_created", actor=actor, target=profile, details=_details(profile))
    return profile


def update_profile(
    profile: MappingProfile, definition: ProfileDefinition, *, actor: Any, expected_version: int | None = None
) -> MappingProfile:
    """Save `definition` as the next version of `profile` (whose slug stays); nothing happens when nothing
    changed. With `expected_version`, refused when someone saved another version in the meantime."""
    if definition.slug != profile.slug:
        raise ProfileRefused(_("The code of a mapping profile cannot be changed."))
    with transaction.atomic():
        current = MappingProfile.objects.select_for_update().get(pk=profile.pk)
        if expected_version is not None and current.version != expected_version:
            message = _(
                "Someone saved version %(version)s of this profile while you were editing it. "
                "Open it again and make your changes there."
            )
            raise ProfileRefused(message % {"version": current.version})
        before = _state(current)
        _apply(current, definition)
        if _state(current) != before:
            current.version += 1
            current.save()
            audit_record("sources.profile_updated", actor=actor, target=current, details=_details(current))
    return current


def delete_profile(profile: MappingProfile, *, actor: Any) -> None:
    """Refused while releases record that they were read with it, or an import waits for it."""
    with transaction.atomic():
        if profile.releases.exists():
            raise ProfileRefused(
                _("Releases were imported with this profile; it stays so that they can be traced to it.")
            )
        waiting = (ImportRequest.Status.QUEUED, ImportRequest.Status.RUNNING)
        if ImportRequest.objects.filter(profile=profile, status__in=waiting).exists():
            raise ProfileRefused(_("An import with this profile is waiting or running."))
        audit_record("sources.profile_deleted", actor=actor, target=profile, details=_details(profile))
        profile.delete()


def profile_from_yaml(
    text: str, *, actor: Any, replace: bool = False, file_name: str = "profile.yaml"
) -> tuple[MappingProfile, bool]:
    """Create the profile in YAML `text` or, with `replace`, save it as the next version of the profile with
    its slug. Returns (profile, created); raises ProfileError or ProfileRefused."""
    definition = definition_from_yaml(text, file_name)
    with transaction.atomic():
        existing = MappingProfile.objects.filter(slug=definition.slug).first()
        if existing is None:
            profile, created = create_profile(definition, actor=actor), True
        elif replace:
            profile, created = update_profile(existing, definition, actor=actor), False
        else:
            message = _(
                "A mapping profile with the code %(slug)s already exists. "
                "Choose to replace it to save this file as its next version."
            )
            raise ProfileRefused(message % {"slug": definition.slug})
        details = _details(profile, created=created)
        audit_record("sources.profile_loaded", actor=actor, target=profile, details=details)
    return profile, created


def profile_to_yaml(profile: MappingProfile, *, actor: Any) -> str:
    """The profile as YAML, as stored (also when it no longer validates, so that it can be fixed)."""
    text = definition_to_yaml(stored_document(profile))
    audit_record("sources.profile_exported", actor=actor, target=profile, details=_details(profile))
    return text
