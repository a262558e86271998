"""Everything that changes a profession overlay: creating it, editing its draft, publishing, rolling back.

Views, tests and the demo loader call these; each write is one transaction with its audit event. The
content of a change is described in guidance/overlay_content.py. A draft change is checked when it is saved
(against the generic rules and the rest of the draft), and the whole draft again when it is published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from accounts.permissions import organisations_with
from accounts.roles import Permission
from audit.chain import record
from guidance.engine import Answers, Plan, default_rules, plan
from guidance.models import DraftChange, Overlay, OverlayVersion
from guidance.overlay_content import (
    Change,
    CheckedOverlay,
    Difference,
    OverlayProblem,
    apply_overlay,
    check_changes,
    compare,
)
from guidance.published import rules_for
from guidance.ruleset import RuleSet
from meldpunt.vocabulary import Profession


class OverlayRefused(Exception):
    """The action was not done; `message` says why, for the editor, and `problems` lists what is wrong."""

    def __init__(self, message: str, problems: Sequence[OverlayProblem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = list(problems)


def editable_overlays(user: Any) -> list[Overlay]:
    """The overlays of the organisations in which `user` may edit guidance."""
    organisations = organisations_with(user, Permission.EDIT_GUIDANCE)
    return list(Overlay.objects.filter(organisation__in=organisations).select_related("organisation"))


def professions_without_overlay() -> list[tuple[str, str]]:
    taken = set(Overlay.objects.values_list("profession", flat=True))
    return [(code, str(label)) for code, label in Profession.choices if code not in taken]


def _kind_and_step(content: Change) -> tuple[str, str]:
    kind = next(iter(content), "")
    body = content.get(kind)
    if not isinstance(body, dict):
        return str(kind), ""
    step = body.get("id") if kind == "add" else body.get("step")
    return str(kind), str(step or "")


# ---------------------------------------------------------------------------------------------------------
# Creating and reading


def create_overlay(actor: Any, organisation: Organisation, profession: str) -> Overlay:
    """A new overlay of `profession`, maintained by `organisation`, with an empty draft."""
    if profession not in Profession.values:
        raise OverlayRefused(_("Choose a profession from the list."))
    try:
        with transaction.atomic():
            overlay = Overlay.objects.create(profession=profession, organisation=organisation)
            record(
                "guidance.overlay_created",
                actor=actor,
                target=overlay,
                organisation=organisation,
                details={"profession": profession},
            )
    except IntegrityError:
        raise OverlayRefused(
            _("%(profession)s already has an overlay.") % {"profession": Profession(profession).label}
        ) from None
    return overlay


def draft_changes(overlay: Overlay) -> list[DraftChange]:
    return list(overlay.draft_changes.all())


def draft_content(overlay: Overlay) -> list[Change]:
    return [change.content for change in overlay.draft_changes.all()]


def current_version(overlay: Overlay) -> OverlayVersion | None:
    return overlay.versions.order_by("-number").first()


def check_draft(overlay: Overlay) -> CheckedOverlay:
    return check_changes(draft_content(overlay), overlay.profession, default_rules())


def draft_is_published(overlay: Overlay) -> bool:
    """Whether the draft holds exactly the current version's changes (no version: an empty draft)."""
    current = current_version(overlay)
    return draft_content(overlay) == (current.content if current is not None else [])


# ---------------------------------------------------------------------------------------------------------
# The draft


def save_change(
    actor: Any, overlay: Overlay, content: Change, change: DraftChange | None = None
) -> DraftChange:
    """Add `content` to the draft, or put it in place of `change`; OverlayRefused with its problems when it
    does not fit the generic rules or the rest of the draft (the draft is then left as it was)."""
    with transaction.atomic():
        changes = draft_changes(Overlay.objects.select_for_update().get(pk=overlay.pk))
        contents = [content if existing == change else existing.content for existing in changes]
        number = next((index + 1 for index, existing in enumerate(changes) if existing == change), 0)
        if change is None:
            contents.append(content)
            number = len(contents)
        problems = check_changes(contents, overlay.profession, default_rules()).problems_of(number)
        if problems:
            raise OverlayRefused(_("This change cannot be saved:"), problems)
        if change is None:
            position = max((existing.position for existing in changes), default=0) + 1
            change = DraftChange.objects.create(overlay=overlay, position=position, content=content)
            operation = "added"
        else:
            change.content = content
            change.changed_at = timezone.now()
            change.save(update_fields=["content", "changed_at"])
            operation = "edited"
        kind, step = _kind_and_step(content)
        record(
            "guidance.overlay_draft_changed",
            actor=actor,
            target=overlay,
            organisation=overlay.organisation,
            details={"profession": overlay.profession, "operation": operation, "kind": kind, "step": step},
        )
    return change


def remove_change(actor: Any, change: DraftChange) -> None:
    overlay = change.overlay
    kind, step = _kind_and_step(change.content)
    with transaction.atomic():
        change.delete()
        record(
            "guidance.overlay_draft_changed",
            actor=actor,
            target=overlay,
            organisation=overlay.organisation,
            details={"profession": overlay.profession, "operation": "removed", "kind": kind, "step": step},
        )


def _replace_draft(overlay: Overlay, content: Sequence[Change]) -> None:
    overlay.draft_changes.all().delete()
    DraftChange.objects.bulk_create(
        DraftChange(overlay=overlay, position=index + 1, content=change)
        for index, change in enumerate(content)
    )


# ---------------------------------------------------------------------------------------------------------
# Publishing and rolling back


def _new_version(
    actor: Any, overlay: Overlay, content: list[Change], note: str, rollback_of: int | None
) -> OverlayVersion:
    """The next version of `overlay` (locked by the caller) with `content`."""
    current = current_version(overlay)
    if current is not None and current.content == content:
        if rollback_of is not None:
            raise OverlayRefused(
                _("Version %(number)s already has the same changes as the current version %(current)s.")
                % {"number": rollback_of, "current": current.number}
            )
        raise OverlayRefused(
            _(
                "The draft has the same changes as the current version %(number)s: there is nothing to publish."
            )
            % {"number": current.number}
        )
    return OverlayVersion.objects.create(
        overlay=overlay,
        number=(current.number if current is not None else 0) + 1,
        content=content,
        rules_version=default_rules().version,
        published_by=actor if getattr(actor, "is_authenticated", False) else None,
        published_by_name=actor.get_username() if getattr(actor, "is_authenticated", False) else "",
        note=note.strip(),
        rollback_of=rollback_of,
    )


def publish(actor: Any, overlay: Overlay, note: str) -> OverlayVersion:
    """Publish the draft as the next version; OverlayRefused with the problems when it does not validate.

    The overlay row is locked first, so two editors publishing at once get consecutive numbers (and the
    unique constraint on (overlay, number) would stop a duplicate in any case).
    """
    with transaction.atomic():
        locked = Overlay.objects.select_for_update().select_related("organisation").get(pk=overlay.pk)
        content = draft_content(locked)
        problems = check_changes(content, locked.profession, default_rules()).problems
        if problems:
            raise OverlayRefused(_("The draft was not published: first fix these problems."), problems)
        version = _new_version(actor, locked, content, note, None)
        record(
            "guidance.overlay_published",
            actor=actor,
            target=version,
            organisation=locked.organisation,
            details={
                "profession": locked.profession,
                "version": version.number,
                "changes": len(content),
                "rules_version": version.rules_version,
            },
        )
    return version


def rollback(actor: Any, overlay: Overlay, number: int, note: str = "") -> OverlayVersion:
    """Publish version `number`'s changes again as the next version, and make them the draft.

    Nothing is deleted: the versions after `number` stay in the history, and the new version says which
    version it rolls back to.
    """
    with transaction.atomic():
        locked = Overlay.objects.select_for_update().select_related("organisation").get(pk=overlay.pk)
        target = locked.versions.filter(number=number).first()
        if target is None:
            raise OverlayRefused(_("There is no version %(number)s.") % {"number": number})
        version = _new_version(actor, locked, list(target.content), note, number)
        _replace_draft(locked, target.content)
        record(
            "guidance.overlay_rolled_back",
            actor=actor,
            target=version,
            organisation=locked.organisation,
            details={"profession": locked.profession, "version": version.number, "rollback_of": number},
        )
    return version


# ---------------------------------------------------------------------------------------------------------
# Previewing and comparing


@dataclass(frozen=True)
class Preview:
    """The plan for a sample incident under the draft, and under the current published version."""

    draft: Plan
    published: Plan
    published_version: OverlayVersion | None
    draft_problems: tuple[OverlayProblem, ...]


def draft_rules(overlay: Overlay) -> RuleSet:
    """The generic rules with the draft applied (changes with problems left out)."""
    label = _("%(profession)s, draft") % {"profession": overlay.profession}
    return apply_overlay(default_rules(), overlay.profession, draft_content(overlay), label)


def preview(overlay: Overlay, answers: Answers) -> Preview:
    """The plans for `answers` (the wizard's facts; the overlay's profession is filled in)."""
    sample = {**answers, "profession": overlay.profession}
    content = draft_content(overlay)
    return Preview(
        draft=plan(sample, draft_rules(overlay)),
        published=plan(sample, rules_for(overlay.profession)),
        published_version=current_version(overlay),
        draft_problems=check_changes(content, overlay.profession, default_rules()).problems,
    )


def compare_versions(older: Sequence[Change], newer: Sequence[Change]) -> list[Difference]:
    return compare(older, newer, default_rules())
