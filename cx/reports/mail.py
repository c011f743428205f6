"""Sending a report or an alert by e-mail, with the SMTP settings from the environment.

  CX_SMTP_HOST      the mail server (required to send)
  CX_SMTP_PORT      default 587 (STARTTLS); 465 means TLS from the start; 25 plain
  CX_SMTP_SECURITY  starttls | ssl | none (default: from the port)
  CX_SMTP_USER, CX_SMTP_PASSWORD (or CX_SMTP_PASSWORD_FILE, a file holding it)  to log in; optional
  CX_SMTP_FROM      the sender (default: CX_SMTP_USER, else cx-dashboard@<host>)

Secrets stay out of the repository and the command line: set them in the environment of the cron job.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path


class MailNotConfigured(RuntimeError):
    """No mail server is set (CX_SMTP_HOST)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # starttls | ssl | none
    user: str | None
    password: str | None
    sender: str

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> SmtpSettings:
        env = os.environ if environ is None else environ
        host = env.get("CX_SMTP_HOST", "").strip()
        if not host:
            raise MailNotConfigured(
                "No mail server is configured: set CX_SMTP_HOST (and CX_SMTP_PORT, CX_SMTP_USER, "
                "CX_SMTP_PASSWORD or CX_SMTP_PASSWORD_FILE, CX_SMTP_FROM as needed)."
            )
        try:
            port = int(env.get("CX_SMTP_PORT", "587"))
        except ValueError:
            raise MailNotConfigured(f"CX_SMTP_PORT must be a number, not {env.get('CX_SMTP_PORT')!r}.") from None
        security = env.get("CX_SMTP_SECURITY", "").strip().lower() or {587: "starttls", 465: "ssl"}.get(port, "none")
        if security not in ("starttls", "ssl", "none"):
            raise MailNotConfigured(f"CX_SMTP_SECURITY is starttls, ssl or none, not {security!r}.")
        password = env.get("CX_SMTP_PASSWORD")
        if not password and env.get("CX_SMTP_PASSWORD_FILE"):
            password = Path(env["CX_SMTP_PASSWORD_FILE"]).read_text().strip()
        user = env.get("CX_SMTP_USER") or None
        sender = env.get("CX_SMTP_FROM") or user or f"cx-dashboard@{host}"
        return cls(host, port, security, user, password or None, sender)


@dataclass(frozen=True)
class Attachment:
    file_name: str
    data: bytes
    mime: str = "application/pdf"


def message(
    sender: str, recipients: Sequence[str], subject: str, body: str, attachments: Sequence[Attachment] = ()
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    mail["Subject"] = subject
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    mail.set_content(body)
    for attachment in attachments:
        main, _, sub = attachment.mime.partition("/")
        mail.add_attachment(attachment.data, maintype=main, subtype=sub, filename=attachment.file_name)
    return mail


def send(
    recipients: Sequence[str],
    subject: str,
    body: str,
    attachments: Sequence[Attachment] = (),
    settings: SmtpSettings | None = None,
    timeout_s: float = 60,
) -> EmailMessage:
    """Send one message to every recipient; returns it. Raises MailNotConfigured or smtplib's errors."""
    settings = settings or SmtpSettings.from_environment()
    recipients = [r.strip() for r in recipients if r and r.strip()]
    if not recipients:
        raise ValueError("No recipient: give at least one e-mail address.")
    mail = message(settings.sender, recipients, subject, body, attachments)
    context = ssl.create_default_context()
    if settings.security == "ssl":
        server = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout_s, context=context)
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=timeout_s)
    with server:
        if settings.security == "starttls":
            server.starttls(context=context)
        if settings.user and settings.password:
            server.login(settings.user, settings.password)
        server.send_message(mail)
    return mail
