"""Each organisation's Ed25519 key pair for signing bundle manifests.

Made on first use. The private key is kept sealed (zorgveilig.crypto.seal, ChaCha20-Poly1305) under a key
derived from the evidence master key (evidence/keyfile.py), with the organisation in the seal's context so a
sealed key copied to another organisation's row does not open. Not with the meldpunt's key wrapping: that
needs a handler's password or session, and a bundle must be signable by any authorised member, the CLI or a
task. The public key is published on the staff pages and inside every bundle; an investigator compares its
fingerprint with one received another way (docs/evidence.md).
"""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.db import IntegrityError, transaction

from accounts.models import Organisation
from audit.chain import record
from evidence import keyfile
from evidence.models import SigningKey
from evidence.verify_bundle import fingerprint
from zorgveilig import crypto


def _context(organisation_id: int) -> str:
    return f"evidence:signing-key:{organisation_id}"


def signing_key(organisation: Organisation) -> SigningKey:
    """The organisation's key row, made (and audited) on first use."""
    found = SigningKey.objects.filter(organisation=organisation).first()
    if found is not None:
        return found
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes_raw()
    raw_public = private.public_key().public_bytes_raw()
    sealed = crypto.seal(keyfile.derived_key("signing-key"), raw_private, context=_context(organisation.pk))
    try:
        with transaction.atomic():
            created = SigningKey.objects.create(
                organisation=organisation,
                public_key=raw_public,
                sealed_private_key=sealed,
                fingerprint=fingerprint(raw_public),
            )
            record(
                "evidence.signing_key_created",
                target=created,
                organisation=organisation,
                details={"fingerprint": created.fingerprint},
            )
        return created
    except IntegrityError:  # another request made it first
        return SigningKey.objects.get(organisation=organisation)


def public_key_pem(key: SigningKey) -> bytes:
    public = Ed25519PublicKey.from_public_bytes(bytes(key.public_key))
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def sign(key: SigningKey, message: bytes) -> bytes:
    raw = crypto.open_sealed(
        keyfile.derived_key("signing-key"),
        bytes(key.sealed_private_key),
        context=_context(key.organisation_id),
    )
    return Ed25519PrivateKey.from_private_bytes(raw).sign(message)
