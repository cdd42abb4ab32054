"""The command line: the same services as the window, without one.

``python main.py [--data-dir DIR] COMMAND ...``; with no command the window opens.
Each command prints plain text, or one JSON value with ``--json``. Errors a shop owner
can fix print one line on standard error and exit with status 1.
"""

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import sqlite_utils

from desktop_app import __version__, paths
from desktop_app.errors import KnownError
from desktop_app.logconfig import setup_logging

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """Return the parser for every command."""
    parser = argparse.ArgumentParser(
        prog="duet", description="Duet: an SMS that points to a fuller email."
    )
    parser.add_argument("--version", action="version", version=f"Duet {__version__}")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder holding Duet's database and outbox (default: per-user folder)",
    )
    parser.add_argument(
        "--quit-after-start",
        action="store_true",
        help="open the window, wait for its first paint, and quit",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    imp = commands.add_parser("import", help="import contacts from a CSV or vCard file")
    imp.add_argument("file", type=Path)
    imp.add_argument("--region", help="country for numbers without +code, e.g. US")
    imp.add_argument("--json", action="store_true")

    seg = commands.add_parser("segments", help="count the SMS segments of stdin")
    seg.add_argument("--json", action="store_true")
    seg.add_argument(
        "--smart", action="store_true", help="count after replacing lookalikes"
    )

    con = commands.add_parser("contacts", help="list contacts")
    con.add_argument("--tag")
    con.add_argument("--search")
    con.add_argument("--json", action="store_true")

    tpl = commands.add_parser("template", help="add or list paired templates")
    tpl_commands = tpl.add_subparsers(dest="template_command", required=True)
    add = tpl_commands.add_parser("add", help="add or replace a template")
    add.add_argument("name")
    add.add_argument("--sms", required=True, help="the SMS text")
    add.add_argument("--subject", required=True, help="the email subject")
    add.add_argument("--body", required=True, help="the email body")
    add.add_argument("--transactional", action="store_true")
    tpl_list = tpl_commands.add_parser("list", help="list templates")
    tpl_list.add_argument("--json", action="store_true")

    send = commands.add_parser("send", help="send a template to a tag or everyone")
    send.add_argument("--template", required=True)
    audience = send.add_mutually_exclusive_group(required=True)
    audience.add_argument("--tag")
    audience.add_argument("--all", action="store_true")
    send.add_argument(
        "--outbox", action="store_true", help="send into the local test outbox"
    )
    send.add_argument("--json", action="store_true")

    his = commands.add_parser("history", help="list sent and skipped messages")
    his.add_argument("--campaign")
    his.add_argument("--since", help="only messages queued at or after this date/time")
    his.add_argument("--until", help="only messages queued before this date/time")
    his.add_argument("--json", action="store_true")

    stg = commands.add_parser("settings", help="show or change settings")
    stg_commands = stg.add_subparsers(dest="settings_command", required=True)
    show = stg_commands.add_parser("show")
    show.add_argument("--json", action="store_true")
    put = stg_commands.add_parser("set")
    put.add_argument("key")
    put.add_argument("value")

    _add_credentials_parser(commands)
    return parser


def _add_credentials_parser(commands: Any) -> None:
    cred = commands.add_parser(
        "credentials", help="save, test or show Twilio and SMTP credentials"
    )
    cred_commands = cred.add_subparsers(dest="credentials_command", required=True)
    cred_set = cred_commands.add_parser(
        "set", help="save credentials; the secret is read from standard input"
    )
    providers = cred_set.add_subparsers(dest="provider", required=True)
    twilio = providers.add_parser("twilio", help="stdin: the Auth Token or API secret")
    twilio.add_argument("--account-sid", required=True)
    twilio.add_argument(
        "--sender", required=True, help="a number (+15550100000) or an MG... SID"
    )
    twilio.add_argument(
        "--rate", type=float, default=1.0, help="segments per second for this sender"
    )
    twilio.add_argument("--api-key", help="an SK... API key; stdin is then its secret")
    smtp = providers.add_parser("smtp", help="stdin: the password")
    smtp.add_argument("--host", required=True)
    smtp.add_argument("--port", type=int, required=True)
    smtp.add_argument("--security", required=True, choices=("ssl", "starttls", "none"))
    smtp.add_argument("--user", required=True)
    smtp.add_argument("--from", dest="from_address", required=True)
    smtp.add_argument("--from-name", default="")
    cred_test = cred_commands.add_parser("test", help="log in once and say how it went")
    cred_test.add_argument("provider", choices=("twilio", "smtp"))
    cred_show = cred_commands.add_parser("show", help="show settings, never secrets")
    cred_show.add_argument("--json", action="store_true")
    cred_clear = cred_commands.add_parser("clear", help="forget saved credentials")
    cred_clear.add_argument("provider", choices=("twilio", "smtp"))


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def _cmd_import(db: sqlite_utils.Database, args: argparse.Namespace) -> int:
    from desktop_app.services import importing

    report = importing.import_file(db, args.file, region=args.region)
    if args.json:
        _print_json(report.to_json())
    else:
        print(report.summary_text())
    return 0


def _cmd_segments(db: sqlite_utils.Database | None, args: argparse.Namespace) -> int:
    from desktop_app.core import segments
    from desktop_app.errors import ValidationError

    data = sys.stdin.buffer.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValidationError(
            f"Standard input is not UTF-8 text: byte {error.start + 1:,} "
            "cannot be read. Save the message as UTF-8 and try again."
        ) from error

    if args.smart:
        text = segments.smart_encode(text)
    count = segments.count_segments(text)
    if args.json:
        result = count.to_json()
        if args.smart:
            result["text"] = text
        _print_json(result)
    else:
        print(count.summary_text())
    return 0


def _cmd_contacts(db: sqlite_utils.Database, args: argparse.Namespace) -> int:
    from desktop_app.storage import contacts

    found = contacts.list_contacts(db, tag=args.tag, search=args.search)
    if args.json:
        _print_json([contact.to_json() for contact in found])
        return 0
    for contact in found:
        tags = ", ".join(contact.tags)
        print(
            f"{contact.id:>6}  {contact.display_name:<30.30}  {contact.phone or '-':<16}"
            f"  {contact.email or '-':<32.32}  {tags}"
        )
    print(f"{len(found)} contacts")
    return 0


def _cmd_template(db: sqlite_utils.Database, args: argparse.Namespace) -> int:
    from desktop_app.storage import templates

    if args.template_command == "add":
        template = templates.save_template(
            db,
            name=args.name,
            sms_body=args.sms,
            email_subject=args.subject,
            email_body=args.body,
            transactional=args.transactional,
        )
        logger.info("template saved: %s", template.name)
        print(f"Saved template '{template.name}'.")
        return 0

    found = templates.list_templates(db)
    if args.json:
        _print_json([template.to_json() for template in found])
        return 0
    for template in found:
        print(f"{template.name}: {template.sms_body}")
    return 0


def _cmd_send(
    db: sqlite_utils.Database, args: argparse.Namespace, data_dir: Path
) -> int:
    from desktop_app.services import sending

    summary = sending.send_campaign(
        db,
        data_dir=data_dir,
        template_name=args.template,
        tag=args.tag,
        everyone=args.all,
        use_outbox=True,
    )
    if args.json:
        _print_json(summary.to_json())
    else:
        print(summary.summary_text())
    return 0


def _cmd_history(db: sqlite_utils.Database, args: argparse.Namespace) -> int:
    from desktop_app.services import history

    rows = history.list_history(
        db, campaign=args.campaign, since=args.since, until=args.until
    )
    if args.json:
        _print_json([row.to_json() for row in rows])
        return 0
    for row in rows:
        print(
            f"{row.queued_at}  {row.channel:<5}  {row.to or '-':<28.28}  "
            f"{row.state:<8}  {row.reason or ''}"
        )
    print(f"{len(rows)} messages")
    return 0


def _cmd_settings(db: sqlite_utils.Database, args: argparse.Namespace) -> int:
    from desktop_app.storage import settings

    if args.settings_command == "set":
        stored = settings.set_setting(db, args.key, args.value)
        logger.info("setting changed: %s", args.key)
        print(f"{args.key} = {stored}")
        return 0

    values = settings.get_settings(db)
    if args.json:
        _print_json(values)
        return 0
    for key, value in values.items():
        print(f"{key} = {value}")
    return 0


def _read_secret(label: str) -> str:
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"{label}: ")
    text = sys.stdin.read()
    if text.endswith("\n"):
        text = text[:-1]
        if text.endswith("\r"):
            text = text[:-1]
    return text


def _cmd_credentials(args: argparse.Namespace) -> int:
    from desktop_app import credentials

    command = args.credentials_command
    if command == "set" and args.provider == "twilio":
        label = "API key secret" if args.api_key else "Auth Token"
        config = credentials.TwilioConfig(
            args.account_sid, args.sender, args.rate, api_key=args.api_key
        )
        credentials.save_twilio(config, _read_secret(label))
        print(f"Saved the Twilio settings and {label} in the keyring.")
        return 0

    if command == "set":
        smtp = credentials.SmtpConfig(
            args.host,
            args.port,
            args.security,
            args.user,
            args.from_address,
            args.from_name,
        )
        credentials.save_smtp(smtp, _read_secret("Password"))
        print("Saved the email settings and password in the keyring.")
        return 0

    if command == "test":
        print(_test_credentials(args.provider))
        return 0

    if command == "clear":
        credentials.clear(args.provider)
        print(f"Forgot the saved {args.provider} credentials.")
        return 0

    shown = _credentials_summary()
    if args.json:
        _print_json(shown)
        return 0
    for section, values in shown.items():
        print(f"{section}:")
        for key, value in values.items():
            print(f"  {key}: {'-' if value in (None, '') else value}")
    return 0


def _test_credentials(provider: str) -> str:
    from desktop_app import credentials
    from desktop_app.errors import CredentialsError

    if provider == "twilio":
        from desktop_app.providers.twilio_sms import TwilioSms

        twilio = credentials.load_twilio()
        if twilio is None:
            raise CredentialsError(
                "Twilio is not set up; run: credentials set twilio ..."
            )
        config, secret = twilio
        sms = TwilioSms(
            config.account_sid, secret, config.sender, api_key=config.api_key
        )
        try:
            answer = sms.check_connection()
        finally:
            sms.close()
    else:
        from desktop_app.providers.smtp_email import SmtpEmail

        smtp = credentials.load_smtp()
        if smtp is None:
            raise CredentialsError("Email is not set up; run: credentials set smtp ...")
        settings, password = smtp
        mail = SmtpEmail(
            settings.host,
            settings.port,
            settings.security,
            settings.user,
            password,
            settings.from_address,
            settings.from_name,
        )
        try:
            answer = mail.check_connection()
        finally:
            mail.close()
    logger.info("credentials tested: %s", provider)
    return answer


def _credentials_summary() -> dict[str, dict[str, Any]]:
    from desktop_app import credentials

    status = credentials.keyring_status()
    shown: dict[str, dict[str, Any]] = {
        "keyring": {"ok": status.ok, "backend": status.backend, "reason": status.reason}
    }
    try:
        twilio = credentials.load_twilio()
        smtp = credentials.load_smtp()
    except KnownError as error:
        shown["twilio"] = shown["smtp"] = {
            "status": "unreadable",
            "reason": error.message,
        }
        return shown

    if twilio is None:
        shown["twilio"] = {"status": "not set", "secret": "not set"}
    else:
        config = twilio[0]
        shown["twilio"] = {
            "status": "set",
            "account_sid": config.account_sid,
            "sender": config.sender,
            "rate": config.rate,
            "api_key": config.api_key,
            "secret": "set",
        }
    if smtp is None:
        shown["smtp"] = {"status": "not set", "password": "not set"}
    else:
        settings = smtp[0]
        shown["smtp"] = {
            "status": "set",
            "host": settings.host,
            "port": settings.port,
            "security": settings.security,
            "user": settings.user,
            "from_address": settings.from_address,
            "from_name": settings.from_name,
            "password": "set",
        }
    return shown


def run(argv: Sequence[str] | None = None) -> int:
    """Run one command from ``argv`` and return the process exit status."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
    args = build_parser().parse_args(argv)
    data_dir: Path = args.data_dir or paths.default_data_dir()
    if args.command is None:
        from desktop_app.app import run_gui

        return run_gui(data_dir, quit_after_start=args.quit_after_start)

    setup_logging(data_dir / "logs" if args.data_dir else paths.default_log_dir())
    try:
        if args.command == "segments":
            return _cmd_segments(None, args)
        if args.command == "credentials":
            return _cmd_credentials(args)
        return _run_with_database(args, data_dir)
    except KnownError as error:
        if error.detail:
            logger.warning("%s (%s)", error.message, error.detail)
        sys.stderr.write(f"duet: {error.message}\n")
        return 1


def _run_with_database(args: argparse.Namespace, data_dir: Path) -> int:
    from desktop_app.storage.database import open_database

    db = open_database(paths.database_path(data_dir))
    handlers: dict[str, Callable[[sqlite_utils.Database, argparse.Namespace], int]] = {
        "import": _cmd_import,
        "contacts": _cmd_contacts,
        "template": _cmd_template,
        "history": _cmd_history,
        "settings": _cmd_settings,
    }
    try:
        if args.command == "send":
            return _cmd_send(db, args, data_dir)
        return handlers[args.command](db, args)
    finally:
        db.close()
