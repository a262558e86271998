"""Evidence bundles for investigators: a signed ZIP of files, metadata and custody log, built on demand.

`build_bundle(actor, items, reason)` writes a ZIP holding

    files/<sha256>.<ext>   each item's original bytes, read back from the store and checked on the way
    manifest.json          the bundle (id, time, organisation, who, why), the signer's public key, and for every
                           item its metadata, size and SHA-256; and the size and SHA-256 of the other files
    custody.json           every custody event of those items, this export included, each with its audit
                           event's fields and hash so the chain can be recomputed, and the audit chain's head
    manifest.sig           Ed25519 signature of manifest.json's exact bytes (base64) by the organisation's key
    public_key.pem         that key's public half
    verify_bundle.py       the checker (evidence/verify_bundle.py): standard library and `cryptography`
    README.txt             what all this is and how to check it

Exporting records an "exported" custody event per item. The ZIP is not kept on the server (it holds the
decrypted files): the caller streams it out and removes it, and a second download is a new bundle with its
own custody events. The files are packed first, outside any transaction; the custody events, custody.json, the
manifest and its signature are then written in one short transaction, so a failure records no export.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.chain import record
from audit.models import ChainHead, Event
from evidence import actions, signing, store, verify_bundle
from evidence.filetypes import EXTENSIONS
from evidence.models import Bundle, CustodyEvent, EvidenceItem

SCRIPT_SOURCE = Path(verify_bundle.__file__)
MAX_REASON = 2000


@dataclass(frozen=True)
class BuiltBundle:
    bundle: Bundle
    path: Path  # the ZIP; the caller removes it once sent

    @property
    def filename(self) -> str:
        return f"evidence-bundle-{self.bundle.pk}.zip"


def file_name(item: EvidenceItem) -> str:
    return f"files/{item.sha256}.{EXTENSIONS.get(item.content_type, 'bin')}"


def _time(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment is not None else None


def _audit_time(moment: datetime) -> str:
    # The audit chain hashes this exact form (audit.chain), so the verifier can recompute the hash.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _item_entry(item: EvidenceItem) -> dict[str, Any]:
    target = None
    if item.target_type is not None:
        target = {"type": f"{item.target_type.app_label}.{item.target_type.model}", "id": item.target_id}
    return {
        "id": item.pk,
        "file": file_name(item),
        "sha256": item.sha256,
        "size": item.size,
        "kind": item.kind,
        "content_type": item.content_type,
        "original_filename": item.original_filename,
        "collected_by": item.collected_by,
        "collected_at": _time(item.collected_at),
        "how": item.how,
        "original_url": item.original_url,
        "captured_at": _time(item.captured_at),
        "capturer": item.capturer,
        "tool_or_device": item.tool_or_device,
        "notes": item.notes,
        "documents": target,
        "added_by": item.added_by.get_username() if item.added_by is not None else None,
        "added_at": _time(item.added_at),
    }


def _audit_entry(event: Event) -> dict[str, Any]:
    return {
        "sequence": event.sequence,
        "occurred_at": _audit_time(event.occurred_at),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "organisation_id": event.organisation_id,
        "details": event.details,
        "previous_hash": event.previous_hash,
        "hash": event.hash,
    }


def custody_log(items: Sequence[EvidenceItem]) -> list[dict[str, Any]]:
    events = (
        CustodyEvent.objects.filter(item__in=[item.pk for item in items])
        .select_related("audit_event", "item")
        .order_by("audit_event__sequence")
    )
    return [
        {
            "item_id": event.item_id,
            "item_sha256": event.item.sha256,
            "event": event.kind,
            "occurred_at": _time(event.occurred_at),
            "actor": event.actor_label,
            "reason": event.reason,
            "recipient": event.recipient,
            "bundle_id": str(event.bundle_id) if event.bundle_id else None,
            "audit": _audit_entry(event.audit_event),
        }
        for event in events
    ]


def _readme(bundle_id: uuid.UUID, organisation: str, fingerprint_text: str) -> str:
    return (
        _(
            "ZorgVeilig evidence bundle %(id)s\n"
            "Organisation: %(organisation)s\n"
            "Signing key fingerprint: %(fingerprint)s\n"
            "\n"
            "Contents\n"
            "- files/: the evidence, each file named by the SHA-256 of its bytes as they were received.\n"
            "- manifest.json: for every file its size, SHA-256 and collection metadata (who collected it, when\n"
            "  and how, the original address, the tool or device, notes), and who exported this bundle and why.\n"
            "- custody.json: every custody event of these files (collected, viewed, transferred, exported): who,\n"
            "  when and why, each with its entry in the organisation's hash-chained audit log.\n"
            "- manifest.sig: the Ed25519 signature of manifest.json by the organisation's key (base64).\n"
            "- public_key.pem: the public half of that key.\n"
            "- verify_bundle.py: a program that checks all of this.\n"
            "\n"
            "How to check\n"
            "Install Python 3.10 or newer and the cryptography package (pip install cryptography), then run\n"
            "    python verify_bundle.py BUNDLE.zip\n"
            "or, inside the unpacked folder, python verify_bundle.py. It checks the signature, the size and\n"
            "SHA-256 of every file, reports files that were changed, are missing or were added, and recomputes\n"
            "the audit hashes of the custody events. It ends with INTACT (exit status 0) or NOT INTACT (1).\n"
            "\n"
            "The key in public_key.pem came with the bundle, so on its own it only shows that nothing changed\n"
            "after signing. Compare the fingerprint above with one the organisation gave you another way, or\n"
            "run the check with --public-key KEY.pem using a key you received from the organisation."
        )
        % {"id": bundle_id, "organisation": organisation, "fingerprint": fingerprint_text}
        + "\n"
    )


def _write(archive: zipfile.ZipFile, name: str, data: bytes) -> dict[str, Any]:
    archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _check(actor: Any, items: Sequence[EvidenceItem], reason: str) -> list[EvidenceItem]:
    errors: dict[str, str] = {}
    unique = list({item.pk: item for item in items}.values())
    if not unique:
        errors["items"] = _("Choose at least one item.")
    elif len({item.organisation_id for item in unique}) > 1:
        errors["items"] = _("A bundle is signed by one organisation: choose items of one organisation.")
    if not reason:
        errors["reason"] = _("Say why the evidence is exported and for whom.")
    elif len(reason) > MAX_REASON:
        errors["reason"] = _("Keep the reason under %(limit)s characters.") % {"limit": MAX_REASON}
    if errors:
        raise ValidationError(errors)
    return sorted(unique, key=lambda item: item.pk)


def build_bundle(
    actor: Any, items: Sequence[EvidenceItem], reason: str, *, directory: Path | None = None
) -> BuiltBundle:
    """Export `items` (all of one organisation) with a signed manifest; see the module's text.

    Raises ValidationError for no items, items of several organisations or a missing reason, and
    store.StoreError when a stored file is missing or damaged; then nothing is recorded.
    """
    reason = reason.strip()
    items = _check(actor, items, reason)
    organisation = items[0].organisation
    key = signing.signing_key(organisation)
    bundle_id = uuid.uuid4()
    folder = directory or store.root() / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"bundle-{bundle_id}-{secrets.token_hex(4)}.zip"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle, zipfile.ZipFile(handle, "w") as archive:
            written: set[str] = set()
            for item in items:
                name = file_name(item)
                if name in written:  # two items with the same bytes share one file
                    continue
                with archive.open(name, "w", force_zip64=True) as member:
                    for chunk in store.open_chunks(item.sha256):
                        member.write(chunk)
                written.add(name)
            script = _write(archive, verify_bundle.SCRIPT, SCRIPT_SOURCE.read_bytes())
            readme = _write(
                archive, "README.txt", _readme(bundle_id, organisation.name, key.fingerprint).encode("utf-8")
            )
        with transaction.atomic():
            bundle = Bundle.objects.create(
                id=bundle_id,
                organisation=organisation,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
                created_at=timezone.now(),
                reason=reason,
                signer_fingerprint=key.fingerprint,
            )
            bundle.items.set(items)
            for item in items:
                actions.record_export(actor, item, bundle, reason)
            head = ChainHead.objects.filter(singleton=True).first()
            custody = {
                "format": verify_bundle.FORMAT,
                "bundle_id": str(bundle_id),
                "audit_head": {"sequence": head.sequence, "hash": head.hash} if head else None,
                "events": custody_log(items),
            }
            custody_bytes = json.dumps(custody, indent=2, ensure_ascii=False).encode("utf-8")
            with zipfile.ZipFile(path, "a") as archive:
                custody_entry = _write(archive, verify_bundle.CUSTODY, custody_bytes)
                manifest = {
                    "format": verify_bundle.FORMAT,
                    "bundle_id": str(bundle_id),
                    "created_at": _time(bundle.created_at),
                    "created_by": bundle.created_by.get_username() if bundle.created_by else None,
                    "reason": reason,
                    "organisation": {"slug": organisation.slug, "name": organisation.name},
                    "signer": {
                        "algorithm": "Ed25519",
                        "public_key": base64.b64encode(bytes(key.public_key)).decode("ascii"),
                        "fingerprint": key.fingerprint,
                    },
                    "items": [_item_entry(item) for item in items],
                    "files": [custody_entry, readme, script],
                }
                manifest_bytes = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
                signature = base64.b64encode(signing.sign(key, manifest_bytes)).decode("ascii")
                _write(archive, verify_bundle.MANIFEST, manifest_bytes)
                _write(archive, verify_bundle.SIGNATURE, (signature + "\n").encode("ascii"))
                _write(archive, verify_bundle.PUBLIC_KEY, signing.public_key_pem(key))
            bundle.manifest_sha256 = hashlib.sha256(manifest_bytes).hexdigest()
            bundle.signature = signature
            Bundle.objects.filter(pk=bundle.pk).update(
                manifest_sha256=bundle.manifest_sha256, signature=signature
            )
            record(
                "evidence.bundle_exported",
                actor=actor,
                target=bundle,
                organisation=organisation,
                details={
                    "items": [item.pk for item in items],
                    "manifest_sha256": bundle.manifest_sha256,
                    "signer": key.fingerprint,
                    "reason_sha256": hashlib.sha256(reason.encode("utf-8")).hexdigest(),
                },
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return BuiltBundle(bundle, path)
