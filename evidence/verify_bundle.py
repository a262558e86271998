#!/usr/bin/env python3
"""Check a ZorgVeilig evidence bundle: its signature, and every file against the signed manifest.

Usage:
    python verify_bundle.py [BUNDLE.zip | FOLDER] [--public-key KEY.pem]

Without a path, the folder this script is in is checked (run it inside the unpacked bundle). Needs Python
3.10 or newer and the `cryptography` package (`pip install cryptography`); nothing else, and no network.

What is checked:
1. manifest.sig is a valid Ed25519 signature of manifest.json's exact bytes. The key is the one given with
   --public-key, or else public_key.pem from the bundle; a key from the bundle itself only shows that the
   bundle is as its signer made it: compare its fingerprint with one the organisation gave you another way.
2. Every file the manifest lists is there, with the size and SHA-256 the manifest gives: otherwise it is
   reported MISSING or ALTERED. Any file the manifest does not list is reported ADDED.
3. custody.json: each custody event's audit-log hash is recomputed from its fields, the events follow each
   other in the chain where they are consecutive, and each event names the SHA-256 of its item.

Exit status: 0 when everything checks out, 1 when a problem was found, 2 when the bundle could not be read.

This file is also the code behind `zorgveilig verify-bundle`, so both report the same.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

FORMAT = "zorgveilig-evidence-bundle/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public_key.pem"
CUSTODY = "custody.json"
SCRIPT = "verify_bundle.py"

OK, PROBLEMS, UNREADABLE = 0, 1, 2


def fingerprint(raw_public_key: bytes) -> str:
    """SHA-256 of the raw 32-byte Ed25519 public key, first 128 bits in groups of four hex digits."""
    digest = hashlib.sha256(raw_public_key).hexdigest()[:32]
    return " ".join(digest[index : index + 4] for index in range(0, 32, 4))


def audit_hash(event: dict[str, Any]) -> str:
    """The audit log's hash of one event (as audit.chain.compute_hash), from the fields custody.json gives."""
    payload = {
        name: event.get(name)
        for name in (
            "sequence",
            "occurred_at",
            "actor_id",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "organisation_id",
            "details",
            "previous_hash",
        )
    }
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(encoded).hexdigest()


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Unreadable(Exception):
    """The bundle cannot be checked at all: no such file, not a ZIP or folder."""


@dataclass(frozen=True)
class Problem:
    kind: str  # bad_signature, missing, altered, added, malformed, custody, key_mismatch
    name: str  # the file (or option) concerned
    code: str  # which message of _messages() says what is wrong
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Result:
    path: str
    problems: list[Problem] = field(default_factory=list)
    signature_valid: bool = False
    key_source: str = ""  # "given" or "bundle"
    signer_fingerprint: str = ""
    bundle_id: str = ""
    organisation: str = ""
    created_at: str = ""
    items: int = 0
    files_checked: int = 0
    custody_events: int = 0

    @property
    def intact(self) -> bool:
        return not self.problems

    def add(self, kind: str, name: str, code: str, **values: Any) -> None:
        self.problems.append(Problem(kind, name, code, values))


# Reading a ZIP or a folder the same way ---------------------------------------------------------------------


class _Zip:
    def __init__(self, path: Path) -> None:
        try:
            self._archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as error:
            raise Unreadable(f"{path}: not a ZIP file ({error})") from None
        self.names = [info.filename for info in self._archive.infolist() if not info.is_dir()]

    def open(self, name: str) -> IO[bytes]:
        return self._archive.open(name)

    def close(self) -> None:
        self._archive.close()


class _Folder:
    def __init__(self, path: Path) -> None:
        self._root = path
        self.names = sorted(
            PurePosixPath(*found.relative_to(path).parts).as_posix()
            for found in path.rglob("*")
            if found.is_file() and "__pycache__" not in found.relative_to(path).parts
        )

    def open(self, name: str) -> IO[bytes]:
        return (self._root / name).open("rb")

    def close(self) -> None:
        pass


def _open_bundle(path: Path) -> _Zip | _Folder:
    if path.is_dir():
        return _Folder(path)
    if path.is_file():
        return _Zip(path)
    raise Unreadable(f"{path}: no such file or folder")


def _digest(bundle: _Zip | _Folder, name: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with bundle.open(name) as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _read(bundle: _Zip | _Folder, name: str) -> bytes:
    with bundle.open(name) as handle:
        return handle.read()


# The checks -------------------------------------------------------------------------------------------------


def _load_key(pem: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError):
        return None
    return key if isinstance(key, Ed25519PublicKey) else None


def _raw(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return bytes(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def _check_signature(
    bundle: _Zip | _Folder, names: set[str], manifest_bytes: bytes, manifest: dict[str, Any], given: bytes | None,
    result: Result,
) -> None:  # fmt: skip
    from cryptography.exceptions import InvalidSignature

    embedded = _load_key(_read(bundle, PUBLIC_KEY)) if PUBLIC_KEY in names else None
    if PUBLIC_KEY in names and embedded is None:
        result.add("malformed", PUBLIC_KEY, "bad_key_file")
    if given is not None:
        key = _load_key(given)
        if key is None:
            raise Unreadable("the key given with --public-key is not an Ed25519 public key in PEM form")
        result.key_source = "given"
    else:
        key = embedded
        result.key_source = "bundle"
    if key is None:
        result.add("bad_signature", SIGNATURE, "no_key")
        return
    result.signer_fingerprint = fingerprint(_raw(key))
    listed_signer = manifest.get("signer")
    signer: dict[str, Any] = listed_signer if isinstance(listed_signer, dict) else {}
    try:
        listed = base64.b64decode(str(signer.get("public_key", "")), validate=True)
    except (binascii.Error, ValueError):
        listed = b""
    if embedded is not None and listed and _raw(embedded) != listed:
        result.add("key_mismatch", PUBLIC_KEY, "key_mismatch")
    if given is not None and listed and _raw(key) != listed:
        result.add("key_mismatch", "--public-key", "key_mismatch")
    if SIGNATURE not in names:
        result.add("missing", SIGNATURE, "no_signature")
        return
    try:
        signature = base64.b64decode(_read(bundle, SIGNATURE).strip(), validate=True)
    except (binascii.Error, ValueError):
        signature = b""
    if len(signature) != 64:
        result.add("bad_signature", SIGNATURE, "malformed_signature")
        return
    try:
        key.verify(signature, manifest_bytes)
    except InvalidSignature:
        result.add("bad_signature", MANIFEST, "signature_mismatch")
        return
    result.signature_valid = True


def _expected_files(manifest: dict[str, Any], result: Result) -> dict[str, tuple[str, int]]:
    expected: dict[str, tuple[str, int]] = {}
    entries = []
    items = manifest.get("items")
    if isinstance(items, list):
        result.items = len(items)
        entries += [
            (item.get("file"), item.get("sha256"), item.get("size"))
            for item in items
            if isinstance(item, dict)
        ]
    files = manifest.get("files")
    if isinstance(files, list):
        entries += [
            (entry.get("name"), entry.get("sha256"), entry.get("size"))
            for entry in files
            if isinstance(entry, dict)
        ]
    for name, sha256, size in entries:
        if not isinstance(name, str) or not isinstance(sha256, str) or not isinstance(size, int):
            result.add("malformed", MANIFEST, "bad_entry", entry=repr(name))
            continue
        expected[name] = (sha256, size)
    return expected


def _check_custody(bundle: _Zip | _Folder, manifest: dict[str, Any], result: Result) -> None:
    try:
        custody = json.loads(_read(bundle, CUSTODY))
        events = custody["events"]
        assert isinstance(events, list)
    except (ValueError, KeyError, TypeError, AssertionError):
        result.add("malformed", CUSTODY, "custody_format")
        return
    item_hashes = {
        str(item.get("id")): item.get("sha256")
        for item in manifest.get("items", [])
        if isinstance(item, dict)
    }
    result.custody_events = len(events)
    previous: dict[str, Any] | None = None
    for number, event in enumerate(events, start=1):
        audit = event.get("audit") if isinstance(event, dict) else None
        if not isinstance(audit, dict):
            result.add("custody", CUSTODY, "no_audit", number=number)
            continue
        where = {"number": number, "sequence": audit.get("sequence")}
        if audit_hash(audit) != audit.get("hash"):
            result.add("custody", CUSTODY, "audit_hash", **where)
        listed_details = audit.get("details")
        details: dict[str, Any] = listed_details if isinstance(listed_details, dict) else {}
        if details.get("sha256") != item_hashes.get(str(event.get("item_id"))):
            result.add("custody", CUSTODY, "item_hash", **where)
        reason = event.get("reason") or ""
        if (text_sha256(reason) if reason else None) != details.get("reason_sha256"):
            result.add("custody", CUSTODY, "reason", **where)
        if (
            previous is not None
            and isinstance(previous.get("sequence"), int)
            and audit.get("sequence") == previous["sequence"] + 1
            and audit.get("previous_hash") != previous.get("hash")
        ):
            result.add("custody", CUSTODY, "chain", **where)
        previous = audit


def verify(path: Path | str, public_key_pem: bytes | None = None) -> Result:
    """Check the bundle at `path` (a ZIP file or an unpacked folder); Unreadable when it cannot be."""
    path = Path(path)
    result = Result(str(path))
    bundle = _open_bundle(path)
    try:
        counts = Counter(bundle.names)
        names = set(counts)
        for name, count in sorted(counts.items()):
            if count > 1:
                result.add("added", name, "duplicate", count=count)
        if MANIFEST not in names:
            result.add("missing", MANIFEST, "no_manifest")
            return result
        manifest_bytes = _read(bundle, MANIFEST)
        try:
            manifest = json.loads(manifest_bytes)
            assert isinstance(manifest, dict)
        except (ValueError, AssertionError):
            manifest = {}
            result.add("malformed", MANIFEST, "not_json")
        if manifest and manifest.get("format") != FORMAT:
            result.add("malformed", MANIFEST, "wrong_format", format=FORMAT)
        result.bundle_id = str(manifest.get("bundle_id", ""))
        organisation = manifest.get("organisation")
        result.organisation = str(organisation.get("name", "")) if isinstance(organisation, dict) else ""
        result.created_at = str(manifest.get("created_at", ""))
        _check_signature(bundle, names, manifest_bytes, manifest, public_key_pem, result)

        expected = _expected_files(manifest, result)
        for name, (sha256, size) in sorted(expected.items()):
            if name not in names:
                result.add("missing", name, "not_in_bundle")
                continue
            found_sha256, found_size = _digest(bundle, name)
            result.files_checked += 1
            if found_size != size:
                result.add("altered", name, "size", found=found_size, expected=size)
            elif found_sha256 != sha256:
                result.add("altered", name, "sha256", found=found_sha256, expected=sha256)
        known = set(expected) | {MANIFEST, SIGNATURE, PUBLIC_KEY}
        for name in sorted(names - known):
            result.add("added", name, "not_listed")
        custody_intact = CUSTODY in expected and not any(p.name == CUSTODY for p in result.problems)
        if custody_intact:
            _check_custody(bundle, manifest, result)
    finally:
        bundle.close()
    return result


# The report -------------------------------------------------------------------------------------------------


def _identity(text: str) -> str:
    return text


def _messages(_: Callable[[str], str]) -> dict[str, str]:
    return {
        "no_manifest": _("the manifest is missing, so nothing can be checked"),
        "not_json": _("is not JSON"),
        "wrong_format": _("is not of the format %(format)s"),
        "bad_key_file": _("is not an Ed25519 public key in PEM form"),
        "no_key": _("there is no public key to check the signature with"),
        "key_mismatch": _("is not the signing key that the manifest names"),
        "no_signature": _("the signature file is missing"),
        "malformed_signature": _("is not an Ed25519 signature (64 bytes in base64)"),
        "signature_mismatch": _("the signature does not match: the manifest or the signature was changed"),
        "bad_entry": _("an entry without a name, SHA-256 or size: %(entry)s"),
        "not_in_bundle": _("listed in the manifest but not in the bundle"),
        "size": _("%(found)s bytes, the manifest says %(expected)s"),
        "sha256": _("SHA-256 %(found)s, the manifest says %(expected)s"),
        "duplicate": _("appears %(count)s times in the bundle"),
        "not_listed": _("not listed in the manifest"),
        "custody_format": _("is not a custody log of this bundle format"),
        "no_audit": _("event %(number)s has no audit record"),
        "audit_hash": _("event %(number)s (audit #%(sequence)s): its audit hash does not match its fields"),
        "item_hash": _("event %(number)s (audit #%(sequence)s) names another SHA-256 than its item"),
        "reason": _("event %(number)s (audit #%(sequence)s): the reason is not the one in the audit log"),
        "chain": _("event %(number)s (audit #%(sequence)s) does not follow the event before it in the chain"),
    }


def describe(problem: Problem, _: Callable[[str], str] = _identity) -> str:
    message = _messages(_).get(problem.code, problem.code)
    return message % problem.values if problem.values else message


def iter_report(result: Result, _: Callable[[str], str] = _identity) -> Iterator[str]:
    """The report as lines; `_` translates (the `zorgveilig verify-bundle` command passes Django's)."""
    labels = {
        "bad_signature": _("BAD SIGNATURE"),
        "missing": _("MISSING"),
        "altered": _("ALTERED"),
        "added": _("ADDED"),
        "malformed": _("MALFORMED"),
        "custody": _("CUSTODY"),
        "key_mismatch": _("KEY MISMATCH"),
    }
    yield _("Evidence bundle: %(path)s") % {"path": result.path}
    if result.bundle_id:
        yield _("Bundle %(id)s of %(organisation)s, made %(created)s") % {
            "id": result.bundle_id,
            "organisation": result.organisation or "?",
            "created": result.created_at or "?",
        }
    if result.signer_fingerprint:
        yield _("Signing key fingerprint: %(fingerprint)s") % {"fingerprint": result.signer_fingerprint}
        if result.key_source == "bundle":
            yield "  " + _(
                "(the key came with the bundle: compare this fingerprint with the one the organisation "
                "gave you, or check with --public-key)"
            )
        else:
            yield "  " + _("(the key given with --public-key)")
    yield _("Signature: %(state)s") % {"state": _("valid") if result.signature_valid else _("NOT VALID")}
    yield _("Files checked: %(files)s, of which %(items)s evidence items; custody events: %(events)s") % {
        "files": result.files_checked,
        "items": result.items,
        "events": result.custody_events,
    }
    if result.intact:
        yield _("Result: INTACT. Every file matches the signed manifest.")
        return
    yield _("Problems found: %(count)s") % {"count": len(result.problems)}
    for problem in result.problems:
        yield f"  {labels.get(problem.kind, problem.kind.upper())}  {problem.name}: {describe(problem, _)}"
    yield _("Result: NOT INTACT. Do not rely on this bundle as it is.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a ZorgVeilig evidence bundle.")
    parser.add_argument(
        "bundle", nargs="?", help="the bundle's ZIP file or unpacked folder (default: this script's folder)"
    )
    parser.add_argument(
        "--public-key", help="the organisation's public key (PEM) to check the signature with"
    )
    arguments = parser.parse_args(argv)
    target = Path(arguments.bundle) if arguments.bundle else Path(__file__).resolve().parent
    try:
        pem = Path(arguments.public_key).read_bytes() if arguments.public_key else None
        result = verify(target, pem)
    except (Unreadable, OSError) as error:
        print(f"verify_bundle: {error}", file=sys.stderr)
        return UNREADABLE
    for line in iter_report(result):
        print(line)
    return OK if result.intact else PROBLEMS


if __name__ == "__main__":
    sys.exit(main())
