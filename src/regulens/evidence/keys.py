"""Ed25519 signing keys: generation, loading, key ids, signatures over record hashes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from regulens.errors import ConfigError

RECORD_SIG_TAG = b"regulens-evidence-record-signature/v1\x00"
CHECKPOINT_SIG_TAG = b"regulens-evidence-checkpoint/v1\x00"
MANIFEST_SIG_TAG = b"regulens-evidence-bundle-manifest/v1\x00"


def key_id(public: Ed25519PublicKey) -> str:
    """Return the key id: hex SHA-256 of the raw 32-byte public key."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def public_pem(public: Ed25519PublicKey) -> bytes:
    """Return the public key as SubjectPublicKeyInfo PEM."""
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass(frozen=True)
class Signer:
    """A private signing key and its key id."""

    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        """The matching public key."""
        return self.private.public_key()

    @property
    def key_id(self) -> str:
        """The key id of the public key."""
        return key_id(self.public)

    def sign(self, tag: bytes, message: bytes) -> bytes:
        """Sign `tag ‖ message` (the tag separates record, checkpoint and manifest signatures)."""
        return self.private.sign(tag + message)

    @classmethod
    def generate(cls) -> Signer:
        """Create a new random key."""
        return cls(Ed25519PrivateKey.generate())

    def private_pem(self) -> bytes:
        """Return the private key as unencrypted PKCS#8 PEM."""
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


@dataclass(frozen=True)
class TrustedKeys:
    """The public keys a verifier trusts, by key id."""

    keys: dict[str, Ed25519PublicKey]

    def verify(self, kid: str, tag: bytes, message: bytes, signature: bytes) -> bool:
        """True when `signature` by key `kid` over `tag ‖ message` is valid."""
        public = self.keys[kid]
        try:
            public.verify(signature, tag + message)
        except InvalidSignature:
            return False
        return True


def load_signer(path: str) -> Signer:
    """Load an Ed25519 private key (PKCS#8 PEM) from a file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read signing key: {exc.strerror}") from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path}: not an unencrypted PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path}: not an Ed25519 private key")
    return Signer(key)


def parse_public_key(data: bytes, label: str) -> Ed25519PublicKey:
    """Parse an Ed25519 public key (SubjectPublicKeyInfo PEM)."""
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise ConfigError(f"{label}: not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"{label}: not an Ed25519 public key")
    return key


def load_trusted(paths: tuple[str, ...] | list[str]) -> TrustedKeys:
    """Load public keys from files (a private key file is accepted and its public half used)."""
    keys: dict[str, Ed25519PublicKey] = {}
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read public key: {exc.strerror}") from exc
        if b"PRIVATE KEY" in data:
            public = load_signer(path).public
        else:
            public = parse_public_key(data, path)
        keys[key_id(public)] = public
    return TrustedKeys(keys)
