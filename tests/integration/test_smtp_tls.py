"""Email over a real SMTP server that insists on STARTTLS and AUTH, as providers do.

The server's certificate is made for 127.0.0.1 and trusted through
SSL_CERT_FILE, so Django's backend verifies it exactly as in production.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import smtplib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.factories import WorkspaceFactory, member
from tests.realservices import MailCollector, free_port
from workspaces.models import Role
from workspaces.services.invitations import invitation_create, invitation_email_send

pytestmark = pytest.mark.integration

USER, PASSWORD = "mailer@adloop.test", "smtp-Secret-123"


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class TlsSmtp:
    port: int
    cert: Path
    mailbox: MailCollector
    logins: list[str]


@pytest.fixture(scope="module")
def tls_smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsSmtp]:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = _self_signed(tmp_path_factory.mktemp("tls"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins: list[str] = []

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == USER
            and auth_data.password.decode() == PASSWORD
        )
        if ok:
            logins.append(auth_data.login.decode())
            return AuthResult(success=True)
        # handled=False: aiosmtpd answers 535 itself; True would leave the
        # client waiting for a reply until its timeout.
        return AuthResult(success=False, handled=False)

    mailbox = MailCollector()
    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield TlsSmtp(port, cert, mailbox, logins)
    finally:
        controller.stop()


@pytest.fixture
def smtp_settings(settings, monkeypatch, tls_smtp: TlsSmtp):
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_smtp.cert))
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = tls_smtp.port
    settings.EMAIL_USE_TLS = True
    settings.EMAIL_HOST_USER = USER
    settings.EMAIL_HOST_PASSWORD = PASSWORD
    settings.EMAIL_TIMEOUT = 5
    return settings


@pytest.mark.django_db
def test_invitation_goes_out_over_starttls_with_auth(
    smtp_settings, tls_smtp: TlsSmtp
) -> None:
    workspace = WorkspaceFactory()
    issued = invitation_create(
        organization=workspace.organization,
        workspace=workspace,
        email="tls.person@example.test",
        role=Role.REVIEWER,
        invited_by=member(workspace, Role.OWNER),
        send=False,
    )
    assert invitation_email_send(invitation_id=issued.invitation.pk, token=issued.token)
    mail = tls_smtp.mailbox.wait_for(
        lambda m: "tls.person@example.test" in m.rcpt_tos, timeout=10
    )
    assert mail is not None
    assert f"/invitations/{issued.token}/" in mail.body
    assert USER in tls_smtp.logins


@pytest.mark.django_db
def test_wrong_smtp_password_fails_at_once_instead_of_hanging(
    smtp_settings, tls_smtp: TlsSmtp
) -> None:
    smtp_settings.EMAIL_HOST_PASSWORD = "wrong"
    workspace = WorkspaceFactory()
    issued = invitation_create(
        organization=workspace.organization,
        workspace=workspace,
        email="nobody@example.test",
        role=Role.CLIENT,
        invited_by=None,
        send=False,
    )
    # Not in send_invitation_email's retry list: a wrong password is permanent.
    with pytest.raises(smtplib.SMTPAuthenticationError):
        invitation_email_send(invitation_id=issued.invitation.pk, token=issued.token)
