"""Evidence bundles: a signed ZIP that verifies, and a verifier (the command and the script shipped inside the
bundle, each run as a process of its own) that catches a changed byte, a missing file, an added file, a
tampered manifest and a custody log that does not match the audit chain."""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.exceptions import ValidationError
from django.utils.translation import override

from accounts.models import Organisation
from accounts.roles import Role
from evidence import signing, store, verify_bundle
from evidence.bundle import BuiltBundle, build_bundle, file_name
from evidence.models import CustodyEvent, EvidenceItem
from tests import test_evidence_helpers
from tests.test_evidence_helpers import (
    PDF_BYTES,
    TEXT_BYTES,
    add,
    jpeg_bytes,
    png_bytes,
    run_command,
    run_shipped_script,
)

data_dir = test_evidence_helpers.data_dir  # the fixture, shared

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("data_dir")]

REASON = "Requested by the commission of inquiry, case 2025/17"


@pytest.fixture
def items(organisation: Organisation) -> list[EvidenceItem]:
    return [
        add(organisation, png_bytes(), name="IMG_0001.png"),
        add(organisation, jpeg_bytes(), name="IMG_0002.jpg"),
        add(organisation, PDF_BYTES, name="hospital-letter.pdf", kind="document"),
        add(organisation, TEXT_BYTES, name="statement.txt", kind="witness_statement"),
    ]


@pytest.fixture
def built(items: list[EvidenceItem], make_member: Any, tmp_path: Path) -> BuiltBundle:
    analyst = make_member(Role.ANALYST, username="analyst")
    return build_bundle(analyst, items, REASON, directory=tmp_path)


def rewrite(source: Path, target: Path, *, change: dict[str, bytes] | None = None, drop: set[str] | None = None,
            add: dict[str, bytes] | None = None) -> Path:  # fmt: skip
    """A copy of the ZIP with some entries changed, dropped or added."""
    change, drop, add = change or {}, drop or set(), add or {}
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for info in original.infolist():
            if info.filename in drop:
                continue
            copy.writestr(info.filename, change.get(info.filename, original.read(info.filename)))
        for name, data in add.items():
            copy.writestr(name, data)
    return target


def flip_one_byte(data: bytes, at: int = -1) -> bytes:
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)


def read(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def problems(result: verify_bundle.Result) -> set[tuple[str, str]]:
    return {(problem.kind, problem.name) for problem in result.problems}


# The bundle -------------------------------------------------------------------------------------------------


def test_the_bundle_holds_files_manifest_custody_signature_key_verifier_and_readme(
    built: BuiltBundle, items: list[EvidenceItem], organisation: Organisation
) -> None:
    with zipfile.ZipFile(built.path) as archive:
        names = set(archive.namelist())
        manifest_bytes = archive.read("manifest.json")
        for item in items:
            assert archive.read(file_name(item)) == store.read_bytes(item.sha256)
    assert names == {
        *(file_name(item) for item in items),
        "manifest.json",
        "manifest.sig",
        "public_key.pem",
        "custody.json",
        "verify_bundle.py",
        "README.txt",
    }
    assert file_name(items[1]) == f"files/{items[1].sha256}.jpg"
    manifest = json.loads(manifest_bytes)
    assert manifest["bundle_id"] == str(built.bundle.pk)
    assert manifest["organisation"] == {"slug": organisation.slug, "name": organisation.name}
    assert manifest["reason"] == REASON
    assert manifest["created_by"] == "analyst"
    entry = manifest["items"][0]
    assert (entry["sha256"], entry["size"], entry["original_filename"]) == (
        items[0].sha256,
        items[0].size,
        "IMG_0001.png",
    )
    assert (entry["collected_by"], entry["how"], entry["tool_or_device"]) == (
        "Amira Field",
        "recorded_on_scene",
        "Phone camera",
    )
    # The signature is Ed25519 over the manifest's exact bytes, by the organisation's key.
    key = signing.signing_key(organisation)
    public = Ed25519PublicKey.from_public_bytes(bytes(key.public_key))
    public.verify(base64.b64decode(read(built.path, "manifest.sig")), manifest_bytes)
    pem = read(built.path, "public_key.pem")
    loaded = serialization.load_pem_public_key(pem)
    assert isinstance(loaded, Ed25519PublicKey)
    assert loaded.public_bytes_raw() == bytes(key.public_key)
    assert manifest["signer"]["fingerprint"] == key.fingerprint == built.bundle.signer_fingerprint
    assert built.bundle.manifest_sha256 == hashlib.sha256(manifest_bytes).hexdigest()
    # The shipped verifier is this project's own.
    assert read(built.path, "verify_bundle.py") == Path(verify_bundle.__file__).read_bytes()


def test_the_custody_log_holds_every_event_with_its_audit_record(
    built: BuiltBundle, items: list[EvidenceItem]
) -> None:
    custody = json.loads(read(built.path, "custody.json"))
    kinds = [(event["item_id"], event["event"]) for event in custody["events"]]
    assert kinds == [(item.pk, "collected") for item in items] + [(item.pk, "exported") for item in items]
    exported = custody["events"][-1]
    assert exported["reason"] == REASON
    assert exported["bundle_id"] == str(built.bundle.pk)
    assert exported["audit"]["hash"] == verify_bundle.audit_hash(exported["audit"])
    stored = CustodyEvent.objects.get(item=items[-1], kind="exported").audit_event
    assert exported["audit"]["hash"] == stored.hash
    assert custody["audit_head"]["sequence"] >= stored.sequence


def test_exporting_records_one_exported_event_per_item(built: BuiltBundle, items: list[EvidenceItem]) -> None:
    for item in items:
        assert list(item.custody_events.values_list("kind", "bundle")) == [
            ("collected", None),
            ("exported", built.bundle.pk),
        ]
    assert set(built.bundle.items.all()) == set(items)


def test_a_bundle_needs_items_of_one_organisation_and_a_reason(
    organisation: Organisation, other_organisation: Organisation, tmp_path: Path
) -> None:
    ours, theirs = add(organisation), add(other_organisation, png_bytes((9, 9, 9)))
    with override("en"), pytest.raises(ValidationError) as refused:
        build_bundle(None, [ours, theirs], "  ", directory=tmp_path / "out")
    assert set(refused.value.message_dict) == {"items", "reason"}
    assert "one organisation" in refused.value.message_dict["items"][0]
    assert not CustodyEvent.objects.filter(kind="exported").exists()
    assert not (tmp_path / "out").exists()


def test_a_damaged_stored_file_stops_the_export_and_records_nothing(
    items: list[EvidenceItem], tmp_path: Path
) -> None:
    path = store.path_for(items[0].sha256)
    path.chmod(0o644)
    path.write_bytes(flip_one_byte(path.read_bytes()))
    with pytest.raises(store.StoreError):
        build_bundle(None, items, REASON, directory=tmp_path / "out")
    assert not CustodyEvent.objects.filter(kind="exported").exists()
    assert list((tmp_path / "out").iterdir()) == []


# The checks, in process ------------------------------------------------------------------------------------


def test_an_untouched_bundle_verifies(built: BuiltBundle, items: list[EvidenceItem]) -> None:
    result = verify_bundle.verify(built.path)
    assert result.intact, result.problems
    assert result.signature_valid
    assert result.key_source == "bundle"
    assert (result.items, result.files_checked, result.custody_events) == (4, 7, 8)


def test_one_changed_byte_is_reported_as_altered(
    built: BuiltBundle, items: list[EvidenceItem], tmp_path: Path
) -> None:
    name = file_name(items[0])
    changed = rewrite(
        built.path, tmp_path / "changed.zip", change={name: flip_one_byte(read(built.path, name), 40)}
    )
    result = verify_bundle.verify(changed)
    assert problems(result) == {("altered", name)}
    assert result.signature_valid


def test_a_deleted_file_is_reported_missing(
    built: BuiltBundle, items: list[EvidenceItem], tmp_path: Path
) -> None:
    name = file_name(items[2])
    result = verify_bundle.verify(rewrite(built.path, tmp_path / "less.zip", drop={name}))
    assert problems(result) == {("missing", name)}


def test_an_added_file_is_reported(built: BuiltBundle, tmp_path: Path) -> None:
    result = verify_bundle.verify(
        rewrite(built.path, tmp_path / "more.zip", add={"files/extra.jpg": jpeg_bytes()})
    )
    assert problems(result) == {("added", "files/extra.jpg")}


def test_a_tampered_manifest_fails_the_signature(built: BuiltBundle, tmp_path: Path) -> None:
    manifest = read(built.path, "manifest.json").replace(
        REASON.encode(), b"Nothing to see here, case 2025/18"
    )
    result = verify_bundle.verify(
        rewrite(built.path, tmp_path / "forged.zip", change={"manifest.json": manifest})
    )
    assert ("bad_signature", "manifest.json") in problems(result)
    assert not result.signature_valid


def test_a_key_swapped_inside_the_bundle_is_caught_with_the_organisations_key(
    built: BuiltBundle, organisation: Organisation, other_organisation: Organisation, tmp_path: Path
) -> None:
    """A forger re-signs a changed manifest with a key of their own and puts that key in the bundle: only the
    key received from the organisation another way shows it."""
    own_pem = signing.public_key_pem(signing.signing_key(organisation))
    forger = signing.signing_key(other_organisation)
    manifest = json.loads(read(built.path, "manifest.json"))
    manifest["reason"] = "Forged"
    manifest_bytes = json.dumps(manifest).encode()
    forged = rewrite(
        built.path,
        tmp_path / "resigned.zip",
        change={
            "manifest.json": manifest_bytes,
            "manifest.sig": base64.b64encode(signing.sign(forger, manifest_bytes)) + b"\n",
            "public_key.pem": signing.public_key_pem(forger),
        },
    )
    assert ("bad_signature", "manifest.json") not in problems(verify_bundle.verify(forged))
    checked = verify_bundle.verify(forged, own_pem)
    assert ("bad_signature", "manifest.json") in problems(checked)
    assert verify_bundle.verify(built.path, own_pem).intact


def test_a_changed_custody_log_is_caught(built: BuiltBundle, tmp_path: Path) -> None:
    """Changing custody.json breaks its hash in the signed manifest; the custody check itself also notices a
    reason that is not the one the audit log recorded."""
    custody = json.loads(read(built.path, "custody.json"))
    custody["events"][-1]["reason"] = "Another reason"
    changed = rewrite(
        built.path, tmp_path / "custody.zip", change={"custody.json": json.dumps(custody).encode()}
    )
    assert ("altered", "custody.json") in problems(verify_bundle.verify(changed))
    result = verify_bundle.Result("custody")
    manifest = json.loads(read(built.path, "manifest.json"))
    with zipfile.ZipFile(changed) as archive:
        verify_bundle._check_custody(verify_bundle._Zip(changed), manifest, result)
        assert archive.testzip() is None
    assert [problem.code for problem in result.problems] == ["reason"]


# The checks as an investigator runs them ---------------------------------------------------------------------


def test_the_shipped_script_verifies_the_bundle_and_catches_a_changed_byte(
    built: BuiltBundle, items: list[EvidenceItem], tmp_path: Path
) -> None:
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(built.path) as archive:
        archive.extractall(unpacked)
    script = unpacked / "verify_bundle.py"

    intact = run_shipped_script(script, str(built.path))
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "Result: INTACT" in intact.stdout
    assert built.bundle.signer_fingerprint in intact.stdout

    # Inside the unpacked folder, without arguments, it checks the folder.
    assert run_shipped_script(script).returncode == 0

    name = file_name(items[0])
    target = unpacked / name
    target.write_bytes(flip_one_byte(target.read_bytes()))
    (unpacked / "files" / "extra.txt").write_bytes(b"added later")
    (unpacked / file_name(items[3])).unlink()
    changed = run_shipped_script(script)
    assert changed.returncode == 1, changed.stdout + changed.stderr
    assert f"ALTERED  {name}" in changed.stdout
    assert "ADDED  files/extra.txt" in changed.stdout
    assert f"MISSING  {file_name(items[3])}" in changed.stdout
    assert "Result: NOT INTACT" in changed.stdout


def test_the_shipped_script_catches_a_tampered_manifest(built: BuiltBundle, tmp_path: Path) -> None:
    manifest = read(built.path, "manifest.json").replace(b"IMG_0001.png", b"IMG_9999.png")
    forged = rewrite(built.path, tmp_path / "forged.zip", change={"manifest.json": manifest})
    script = tmp_path / "verify_bundle.py"
    script.write_bytes(read(built.path, "verify_bundle.py"))
    result = run_shipped_script(script, str(forged))
    assert result.returncode == 1
    assert "BAD SIGNATURE  manifest.json" in result.stdout
    assert "Signature: NOT VALID" in result.stdout


def test_the_command_verifies_and_reports_the_same(
    built: BuiltBundle, items: list[EvidenceItem], organisation: Organisation, tmp_path: Path
) -> None:
    intact = run_command(built.path, tmp_path)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert built.bundle.signer_fingerprint in intact.stdout

    key_file = tmp_path / "key.pem"
    key_file.write_bytes(signing.public_key_pem(signing.signing_key(organisation)))
    assert run_command(built.path, tmp_path, "--public-key", str(key_file)).returncode == 0

    name = file_name(items[1])
    changed = rewrite(
        built.path, tmp_path / "changed.zip", change={name: flip_one_byte(read(built.path, name))}
    )
    result = run_command(changed, tmp_path)
    assert result.returncode == 1
    line = next(line for line in result.stdout.splitlines() if name in line)
    assert line.split()[0] in {"ALTERED", "GEWIJZIGD"}

    forged = rewrite(
        built.path,
        tmp_path / "forged.zip",
        change={"manifest.json": read(built.path, "manifest.json") + b" "},
    )
    assert run_command(forged, tmp_path).returncode == 1


def test_the_command_says_when_it_cannot_read_the_bundle(tmp_path: Path) -> None:
    not_a_zip = tmp_path / "bundle.zip"
    not_a_zip.write_bytes(b"not a zip")
    result = run_command(not_a_zip, tmp_path)
    assert result.returncode == 2
    assert "bundle.zip" in result.stderr
