"""The command line: the same services as the window, without one.

``python main.py [--data-dir DIR] COMMAND ...``; with no command the window opens.
Each command prints plain text, or one JSON value with ``--json``. Errors a shop owner
can fix print one line on standard error and exit with status 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app import __version__, load_sqlite_utils_without_numpy, paths
from desktop_app.core.words import counted
from desktop_app.errors import KnownError, ValidationError
from desktop_app.logconfig import setup_logging

if TYPE_CHECKING:
    import sqlite_utils

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

    imps = commands.add_parser("imports", help="list past imports, or undo one")
    imps.add_argument("--json", action="store_true")
    imps_commands = imps.add_subparsers(dest="imports_command")
    undo = imps_commands.add_parser("undo", help="undo one import by its number")
    undo.add_argument("import_id", type=int)
    undo.add_argument("--json", action="store_true")

    seg = commands.add_parser("segments", help="count the SMS segments of stdin")
    seg.add_argument("--json", action="store_true")
    seg.add_argument(
        "--smart", action="store_true", help="count after replacing lookalikes"
    )

    con = commands.add_parser("contacts", help="list contacts")
    con.add_argument("--tag")
    con.add_argument("--search")
    con.add_argument(
        "--csv", type=Path, metavar="FILE", help="write them to a spreadsheet-safe CSV"
    )
    con.add_argument("--json", action="store_true")

    tpl = commands.add_parser("template", help="add or list paired templates")
    tpl_commands = tpl.add_subparsers(dest="template_command", required=True)
    add = tpl_commands.add_parser("add", help="add or replace a template")
    add.add_argument("name")
    add.add_argument("--sms", required=True, help="the SMS text")
    add.add_argument(
        "--sms-b", default="", help="a second SMS text for an A/B test (variant B)"
    )
    add.add_argument("--subject", required=True, help="the email subject")
    add.add_argument("--body", required=True, help="the email body")
    add.add_argument("--transactional", action="store_true")
    tpl_list = tpl_commands.add_parser("list", help="list templates")
    tpl_list.add_argument("--json", action="store_true")
    tpl_check = tpl_commands.add_parser(
        "check", help="check a template: problems, pairing, cost per recipient"
    )
    tpl_check.add_argument("name")
    tpl_check.add_argument("--json", action="store_true")

    send = commands.add_parser("send", help="send a template to a tag or everyone")
    send.add_argument("--template", required=True)
    audience = send.add_mutually_exclusive_group(required=True)
    audience.add_argument("--tag")
    audience.add_argument("--all", action="store_true")
    send.add_argument(
        "--outbox", action="store_true", help="send into the local test outbox"
    )
    send.add_argument(
        "--again",
        action="store_true",
        help="send even if this template went to the same customers in the last day",
    )
    send.add_argument(
        "--ab",
        action="store_true",
        help="A/B test: split customers at random between SMS text A and B",
    )
    send.add_argument(
        "--plan",
        action="store_true",
        help="show who would get what, and every skip and hold with its reason; "
        "send nothing",
    )
    send.add_argument("--json", action="store_true")

    quiet = commands.add_parser(
        "quiet-hours", help="the quiet-hours rules, and the shop's own stricter ones"
    )
    quiet_commands = quiet.add_subparsers(dest="quiet_command", required=True)
    quiet_show = quiet_commands.add_parser("show", help="list the rules that apply")
    quiet_show.add_argument("--json", action="store_true")
    quiet_use = quiet_commands.add_parser(
        "use", help="add the rules in FILE to Duet's (they can only be stricter)"
    )
    quiet_use.add_argument("file", type=Path)
    quiet_export = quiet_commands.add_parser(
        "export", help="write the shop's own rules (or a starter) to FILE to edit"
    )
    quiet_export.add_argument("file", type=Path)
    quiet_commands.add_parser("clear", help="remove the shop's own rules")

    res = commands.add_parser(
        "resume", help="finish every campaign a crash or a pause left unfinished"
    )
    res.add_argument(
        "--outbox", action="store_true", help="finish test-outbox campaigns only"
    )
    res.add_argument("--json", action="store_true")

    syn = commands.add_parser(
        "sync", help="fetch delivery status and replies from Twilio once"
    )
    syn.add_argument("--json", action="store_true")

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
    _add_report_parsers(commands)
    _add_compliance_parsers(commands)
    _add_backup_parsers(commands)
    _add_automation_parsers(commands)
    return parser


def _add_report_parsers(commands: Any) -> None:
    sales = commands.add_parser("sales", help="import a sales export for conversions")
    sales_commands = sales.add_subparsers(dest="sales_command", required=True)
    sales_import = sales_commands.add_parser(
        "import", help="import Shopify, Square, WooCommerce or any CSV of sales"
    )
    sales_import.add_argument("file", type=Path)
    sales_import.add_argument("--region", help="country for numbers without +code")
    sales_import.add_argument("--json", action="store_true")

    rep = commands.add_parser("report", help="KPIs per campaign, with conversions")
    rep.add_argument("--campaign")
    rep.add_argument("--json", action="store_true")

    chart = commands.add_parser("chart", help="draw a report chart into a PNG file")
    chart.add_argument("name", choices=("daily", "rates", "cost", "funnel", "abtest"))
    chart.add_argument("--out", type=Path, required=True, help="the PNG file")
    chart.add_argument("--csv", type=Path, help="also write the numbers as CSV")
    chart.add_argument("--campaign", help="for funnel and abtest: one campaign")


def _add_backup_parsers(commands: Any) -> None:
    bak = commands.add_parser("backup", help="save a consistent copy of Duet's data")
    bak.add_argument("file", type=Path, help="the backup file to write")
    bak.add_argument("--json", action="store_true")
    res = commands.add_parser(
        "restore", help="replace Duet's data with a backup (the current data is kept)"
    )
    res.add_argument("file", type=Path, help="a backup made by Duet")
    res.add_argument("--json", action="store_true")


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


def _shop_time(db: sqlite_utils.Database) -> Callable[[object], str]:
    """Return a function that shows a stored UTC time in the shop's time zone."""
    from desktop_app.storage import settings

    zone = settings.shop_zone(db)
    return lambda stamp: settings.shown_time(stamp, zone)


def _times_in(db: sqlite_utils.Database) -> str:
    """Return "(times in Europe/Paris)": the zone the text output's times are in."""
    from desktop_app.storage import settings

    return f"(times in {settings.shop_zone(db).key})"


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


def _cmd_imports(db: sqlite_utils.Database, args: argparse.Namespace) -> int:
    from desktop_app.services import importing

    if args.imports_command == "undo":
        batch = importing.undo_import(db, args.import_id)
        if args.json:
            _print_json(batch.to_json())
        else:
            print(batch.undo_text())
        return 0

    batches = importing.list_imports(db)
    if args.json:
        _print_json([batch.to_json() for batch in batches])
        return 0
    shown = _shop_time(db)
    for batch in batches:
        report = batch.report
        state = f"undone {shown(batch.undone_at)}" if batch.undone_at else ""
        print(
            f"{batch.id:>4}  {shown(batch.created_at)}  {batch.file_name}  "
            f"{report.get('imported', 0)} new, {report.get('merged', 0)} merged, "
            f"{report.get('rejected', 0)} rejected  {state}".rstrip()
        )
    print(f"{counted(len(batches), 'import')} {_times_in(db)}")
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

    if args.csv:
        from desktop_app.services import contacts as contact_service

        written = contact_service.export_contacts_csv(
            db, args.csv, tag=args.tag, search=args.search
        )
        print(f"Wrote {counted(written, 'contact')} to {args.csv}.")
        return 0
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
    print(counted(len(found), "contact"))
    return 0


def _cmd_template(db: sqlite_utils.Database, args: argparse.Namespace) -> int:
    from desktop_app.storage import templates

    if args.template_command == "check":
        return _cmd_template_check(db, args)
    if args.template_command == "add":
        template = templates.save_template(
            db,
            name=args.name,
            sms_body=args.sms,
            email_subject=args.subject,
            email_body=args.body,
            transactional=args.transactional,
            sms_body_b=args.sms_b,
        )
        logger.info("template saved: %s", template.name)
        print(f"Saved template '{template.name}'.")
        _print_template_lints(db, template)
        return 0

    found = templates.list_templates(db)
    if args.json:
        _print_json([template.to_json() for template in found])
        return 0
    for template in found:
        kind = " (transactional)" if template.transactional else ""
        print(f"{template.name}{kind}: {template.sms_body}")
    return 0


def _cmd_template_check(db: sqlite_utils.Database, args: argparse.Namespace) -> int:
    from decimal import Decimal, InvalidOperation

    from desktop_app.core import compose, lint, pairing
    from desktop_app.core import templates as core_templates
    from desktop_app.storage import contacts, settings, templates

    template = templates.get_template(db, args.name)
    values = settings.get_settings(db)
    shop = core_templates.ShopInfo.from_settings(values)
    try:
        price = Decimal(values.get("sms.price_per_segment", "0") or "0")
    except InvalidOperation:
        price = Decimal(0)
    people = [person for person in contacts.list_contacts(db) if person.phone]

    extra = sorted({str(key) for person in people for key in person.custom})
    problems = core_templates.check_template(
        template.sms_body, template.email_subject, template.email_body, extra
    )
    warnings = pairing.check_pairing(
        template.sms_body, template.email_subject, template.email_body
    )
    tip = pairing.inbox_tip(template.sms_body)
    breakdown = compose.audience_breakdown(
        template.sms_body,
        [person.merge_values() for person in people],
        price_per_segment=price,
        defaults={"shop_name": shop.name},
    )
    logger.info("template checked: %s", template.name)

    if args.json:
        _print_json(
            {
                "template": template.name,
                "problems": [
                    {"field": p.field, "kind": p.kind, "message": p.message}
                    for p in problems
                ],
                "pairing": [warning.to_json() for warning in warnings],
                "lints": [
                    {"level": note.level, "field": note.field, "message": note.message}
                    for note in lint.lint_template(template, shop.name)
                ],
                "tip": tip,
                "audience": "contacts with a phone number",
                "breakdown": breakdown.to_json(),
            }
        )
        return 0
    print(f"Template '{template.name}'")
    for line in [str(p) for p in problems] + [str(w) for w in warnings]:
        print(f"- {line}")
    _print_template_lints(db, template)
    if tip:
        print(tip)
    print(breakdown.summary_text())
    return 0


def _cmd_send(
    db: sqlite_utils.Database, args: argparse.Namespace, data_dir: Path
) -> int:
    from desktop_app.services import sending

    if args.plan:
        return _show_plan(db, args)
    summary = sending.send_campaign(
        db,
        data_dir=data_dir,
        template_name=args.template,
        tag=args.tag,
        everyone=args.all,
        use_outbox=args.outbox,
        again=args.again,
        ab_split=args.ab,
    )
    if args.json:
        _print_json(summary.to_json())
    else:
        print(summary.summary_text())
    return 0


def _show_plan(db: sqlite_utils.Database, args: argparse.Namespace) -> int:
    from desktop_app.services import sending

    plan = sending.plan_send(
        db,
        template_name=args.template,
        tag=args.tag,
        everyone=args.all,
        test_mode=True if args.outbox else None,
        ab_split=args.ab,
    )
    logger.info("plan shown: %d messages", len(plan.messages))
    if args.json:
        _print_json({**plan.to_json(), "messages": plan.messages_json()})
        return 0
    print(plan.summary_text())
    # Every message that is not a plain send, so a note such as "test mode: would
    # be skipped for no SMS consent" names the customers it is about.
    for message in plan.messages:
        if message.action != "send":
            when = f" until {message.not_before_text}" if message.not_before else ""
            print(
                f"- contact {message.contact_id} {message.channel}: "
                f"{message.action}{when}: {message.reason}"
            )
        elif message.note:
            print(
                f"- contact {message.contact_id} {message.channel}: "
                f"send (note: {message.note})"
            )
    return 0


def _cmd_quiet_hours(db: sqlite_utils.Database, args: argparse.Namespace) -> int:
    from desktop_app.services import quiet_rules

    if args.quiet_command == "use":
        table = quiet_rules.use_own_rules(db, args.file)
        count = len(table.rules)
        which = "Your rule" if count == 1 else f"Your {count} rules"
        apply = "applies" if count == 1 else "apply"
        print(f"{which} from {args.file.name} now {apply} on top of Duet's.")
        for note in quiet_rules.changes_nothing_notes(table).values():
            print(f"Note: {note[:1].upper()}{note[1:]}.")
        return 0
    if args.quiet_command == "export":
        count = quiet_rules.write_rules_file(db, args.file)
        rules = "rule" if count == 1 else "rules"
        print(f"Wrote {count} {rules} to {args.file}; edit it, then: quiet-hours use.")
        return 0
    if args.quiet_command == "clear":
        had = quiet_rules.clear_own_rules(db)
        print("Your own rules are removed." if had else "There were no own rules.")
        return 0

    facts = quiet_rules.describe(db)
    if args.json:
        _print_json(facts)
        return 0
    print(f"Duet's table, checked {facts['reviewed']}:")
    for rule in facts["rules"]:
        place = rule["state"] or rule["country"].replace("*", "every country")
        mine = " (yours)" if rule["own"] else ""
        print(
            f"- {rule['name']}{mine}: {place}, {rule['hours']}, "
            f"from {rule['effective']}"
        )
        if rule["note"]:
            print(f"  Note: {rule['note'][:1].upper()}{rule['note'][1:]}.")
    return 0


def _cmd_resume(
    db: sqlite_utils.Database, args: argparse.Namespace, data_dir: Path
) -> int:
    from desktop_app.providers.factory import senders_from_credentials
    from desktop_app.services import sending
    from desktop_app.storage import messages

    senders, _mode = senders_from_credentials(data_dir, use_outbox=args.outbox)
    try:
        rate = (
            sending.sms_rate_from_credentials()
            if senders.sms.name == "twilio"
            else None
        )
        summaries = sending.resume_all(db, senders, sms_rate=rate)
    finally:
        senders.close()

    if args.json:
        _print_json([summary.to_json() for summary in summaries])
    elif not summaries:
        print("No campaign was left unfinished.")
    deciding = 0 if args.json else messages.count_waiting_for_review(db)
    if deciding:
        print(
            "Waiting for your decision on replies that may mean stop: "
            f"{counted(deciding, 'message')}; see: consent review"
        )
    waiting = 0 if args.json else messages.count_waiting_for_address(db)
    if waiting:
        print(
            "Waiting for the shop's postal address: "
            f"{counted(waiting, 'email')}; set it with: "
            "settings set shop.address 'ADDRESS', then run resume again."
        )
    for summary in [] if args.json else summaries:
        print(summary.summary_text())
    stuck = [s for s in summaries if s.queued or s.stopped]
    return 1 if stuck else 0


def _cmd_sync(
    db: sqlite_utils.Database, args: argparse.Namespace, data_dir: Path
) -> int:
    from desktop_app.errors import CredentialsError
    from desktop_app.providers.factory import senders_from_credentials
    from desktop_app.services import sync

    senders, _mode = senders_from_credentials(data_dir)
    try:
        if senders.sms.name != "twilio":
            raise CredentialsError(
                "Sync needs Twilio credentials; Duet is in test mode. Set them "
                "with: credentials set twilio"
            )
        report = sync.sync_once(db, senders.sms)  # type: ignore[arg-type]
    finally:
        senders.close()

    if args.json:
        _print_json(report.to_json())
    else:
        print(report.summary_text())
    return 1 if report.errors else 0


def _cmd_history(db: sqlite_utils.Database, args: argparse.Namespace) -> int:
    from desktop_app.services import history

    rows = history.list_history(
        db, campaign=args.campaign, since=args.since, until=args.until
    )
    if args.json:
        _print_json([row.to_json() for row in rows])
        return 0
    shown = _shop_time(db)
    for row in rows:
        kind = "transactional" if row.transactional else ""
        print(
            f"{shown(row.queued_at)}  {row.channel:<5}  {row.to or '-':<28.28}  "
            f"{row.state:<8}  {kind:<13}  {row.reason or ''}".rstrip()
        )
    print(f"{counted(len(rows), 'message')} {_times_in(db)}")
    return 0


def _cmd_settings(db: sqlite_utils.Database, args: argparse.Namespace) -> int:
    from desktop_app.storage import settings

    if args.settings_command == "set":
        from desktop_app.services import sending

        stored = settings.set_setting(db, args.key, args.value)
        released = (
            sending.release_address_holds(db) if args.key == "shop.address" else 0
        )
        logger.info("setting changed: %s", args.key)
        print(f"{args.key} = {stored}")
        if released:
            print(
                f"{counted(released, 'email')} that waited for the shop's postal "
                "address can go now: run 'resume', or leave Duet open and it sends "
                "them."
            )
        return 0

    values = settings.get_settings(db)
    if args.json:
        _print_json(values)
        return 0
    for key, value in values.items():
        print(f"{key} = {value}")
    return 0


def _cmd_sales(db: sqlite_utils.Database, args: argparse.Namespace) -> int:
    from desktop_app.services import sales_import

    report = sales_import.import_sales(db, args.file, region=args.region)
    if args.json:
        _print_json(report.to_json())
    else:
        print(report.summary_text())
    return 0


def _cmd_report(db: sqlite_utils.Database, args: argparse.Namespace) -> int:
    from desktop_app.services import reporting

    report = reporting.build_report(db, campaign=args.campaign)
    logger.info("report shown: %d campaigns", len(report.campaigns))
    result = report.to_json()
    if args.json:
        _print_json(result)
        return 0
    for row in [*result["campaigns"], {"campaign": "Overall", **result["overall"]}]:
        delivered = "not known" if row["delivered"] is None else row["delivered"]
        print(
            f"{row['campaign']}: sent {row['sent']}, delivered {delivered}, "
            f"failed {row['failed']}, opted out {row['opted_out']}, replied "
            f"{row['replied']}, conversions {row['conversions']}, revenue "
            f"{row['revenue']:,.2f} {row['currency']}".rstrip()
        )
        for note in row["notes"]:
            print(f"  {note}")
    window = result["attribution"]["window_days"]
    print(f"Sales credited to the last message within {window} days (sales import).")
    return 0


def _cmd_chart(db: sqlite_utils.Database, args: argparse.Namespace) -> int:
    from matplotlib.figure import Figure

    from desktop_app.charts.export import draw_chart, export_chart
    from desktop_app.services import reporting

    data = reporting.chart_data(db, args.name, campaign=args.campaign)
    figure = Figure(figsize=(10, 5.5))
    draw_chart(figure, args.name, data)
    png, written = export_chart(figure, args.name, data, args.out, args.csv)
    print(f"Saved {png}" + (f" and {written}" if written else "") + ".")
    return 0


def _cmd_backup(db: sqlite_utils.Database, args: argparse.Namespace) -> int:
    from desktop_app.storage.backup import backup_to

    written = backup_to(db, args.file)
    if args.json:
        _print_json({"backup": str(written)})
    else:
        print(f"Saved a backup of Duet's data to {written}.")
    return 0


def _cmd_restore(args: argparse.Namespace, data_dir: Path) -> int:
    from desktop_app.storage.backup import restore_from

    kept = restore_from(data_dir, args.file)
    database = paths.database_path(data_dir)
    previous = None if kept == database else str(kept)
    if args.json:
        _print_json(
            {"restored": str(args.file), "database": str(database), "kept": previous}
        )
    elif previous:
        print(f"Restored Duet's data from {args.file}. The old data is in {kept}.")
    else:
        print(f"Restored Duet's data from {args.file}.")
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


def _add_compliance_parsers(commands: Any) -> None:
    cons = commands.add_parser("consent", help="show, change or export consent")
    cons_commands = cons.add_subparsers(dest="consent_command", required=True)
    cons_show = cons_commands.add_parser("show", help="a contact's consent history")
    cons_show.add_argument("contact_id", type=int)
    cons_show.add_argument("--json", action="store_true")
    cons_set = cons_commands.add_parser("set", help="change a contact's consent")
    cons_set.add_argument("contact_id", type=int)
    cons_set.add_argument("channel", choices=["sms", "email"])
    cons_set.add_argument("status", choices=["opted_in", "opted_out", "unknown"])
    cons_set.add_argument(
        "--note",
        default="",
        help="the evidence or reason (needed to opt in and to undo an opt-out)",
    )
    cons_export = cons_commands.add_parser("export", help="the ledger as CSV")
    cons_export.add_argument("file", type=Path)
    cons_sla = cons_commands.add_parser("sla", help="opt-outs and how fast they took")
    cons_sla.add_argument("--json", action="store_true")
    cons_review = cons_commands.add_parser(
        "review", help="replies and mails flagged for you to decide"
    )
    cons_review.add_argument("--all", action="store_true", help="include decided ones")
    cons_review.add_argument("--json", action="store_true")
    cons_decide = cons_commands.add_parser(
        "decide", help="decide a flagged reply: opt-out or keep"
    )
    cons_decide.add_argument("review_id", type=int, metavar="ID")
    cons_decide.add_argument("decision", choices=["opt-out", "keep"])
    cons_decide.add_argument("--note", default="", help="why, kept as evidence")

    sign = commands.add_parser("sign", help="draw a JOIN sign with a QR code")
    sign.add_argument("--out", type=Path, required=True, help="FILE.png or FILE.pdf")
    sign.add_argument(
        "--number",
        help="the shop's SMS number, +E.164 or national in phones.default_region "
        "(default: Twilio's)",
    )
    sign.add_argument(
        "--keyword", default="JOIN", help="the word customers text (default JOIN)"
    )


def _print_template_lints(db: sqlite_utils.Database, template: Any) -> None:
    from desktop_app.core import lint
    from desktop_app.storage import settings

    shop_name = settings.get_setting(db, "shop.name")
    for note in lint.lint_template(template, shop_name):
        print(f"- {note}")


def _cmd_consent(db: sqlite_utils.Database, args: argparse.Namespace) -> int:
    from desktop_app.services import compliance

    if args.consent_command == "set":
        return _consent_set(db, args)
    if args.consent_command == "export":
        count = compliance.export_ledger(db, args.file)
        print(f"Wrote {counted(count, 'consent record')} to {args.file}.")
        return 0
    if args.consent_command == "sla":
        report = compliance.opt_out_sla_report(db)
        logger.info("opt-out report: %d revocations", len(report.revocations))
        if args.json:
            _print_json(report.to_json())
        else:
            print(report.summary_text())
        return 0
    if args.consent_command == "review":
        return _consent_review(db, args)
    if args.consent_command == "decide":
        return _consent_decide(db, args)

    overview = compliance.consent_overview(db, args.contact_id)
    logger.info("consent shown for contact %d", args.contact_id)
    if args.json:
        _print_json(overview)
        return 0
    current = overview["current"]
    print(
        f"Contact {args.contact_id}: SMS {current['sms']}, email {current['email']} "
        f"{_times_in(db)}"
    )
    shown = _shop_time(db)
    for row in overview["history"]:
        print(
            f"  {shown(row['created_at'])}  {row['channel']:<5}  {row['status']:<9}  "
            f"{row['source']}: {row['evidence']}"
        )
    return 0


def _consent_set(db: sqlite_utils.Database, args: argparse.Namespace) -> int:
    from desktop_app.services import compliance
    from desktop_app.storage.consent import NoteNeeded

    try:
        row = compliance.change_consent(
            db, args.contact_id, args.channel, args.status, args.note
        )
    except NoteNeeded as error:
        sys.stderr.write(f"duet: {error.message} Give it with --note TEXT.\n")
        return 1

    if row is None:
        status = args.status.replace("_", " ")
        print(
            f"Contact {args.contact_id}: {args.channel} already {status}; "
            "nothing recorded."
        )
        return 0
    print(f"Contact {args.contact_id}: {args.channel} is now {row['status']}.")
    return 0


def _consent_review(db: sqlite_utils.Database, args: argparse.Namespace) -> int:
    from desktop_app.services import compliance

    flagged = compliance.reviews(db, include_decided=args.all)
    logger.info("replies to review listed: %d", len(flagged))
    if args.json:
        _print_json([review.to_json() for review in flagged])
        return 0
    if not flagged:
        print("No replies or mails are waiting for your decision.")
        return 0
    for review in flagged:
        who = review.contact or review.sender or "unknown sender"
        if review.contact_id is not None:
            who += f" (contact {review.contact_id})"
        text = " ".join(review.text.split())
        decided = f"  [decided: {review.decision}]" if review.decision else ""
        about = (
            f" (about the {'emails' if review.about_channel == 'email' else 'texts'})"
            if review.about_channel != review.channel
            else ""
        )
        print(
            f"{review.id:>6}  {review.received_at}  {review.channel:<5}  {who}: "
            f"{json.dumps(text[:200], ensure_ascii=False)}{about}{decided}"
        )
    if any(not review.decision for review in flagged):
        print("Decide one with: consent decide ID opt-out|keep [--note TEXT]")
    else:
        print("All of these are decided; none is waiting for your decision.")
    return 0


def _consent_decide(db: sqlite_utils.Database, args: argparse.Namespace) -> int:
    from desktop_app.services import compliance, history

    opt_out = args.decision == "opt-out"
    channel = compliance.review_channel(db, args.review_id) or "sms"
    history.decide_review(db, args.review_id, opt_out=opt_out, note=args.note)
    logger.info("review %d decided: %s", args.review_id, args.decision)
    if opt_out:
        what = "no more emails" if channel == "email" else "no more texts"
        print(f"Reply {args.review_id}: recorded as an opt-out ({what}).")
    else:
        print(f"Reply {args.review_id}: kept; no opt-out recorded.")
    return 0


def _cmd_sign(db: sqlite_utils.Database, args: argparse.Namespace) -> int:
    from desktop_app import credentials
    from desktop_app.services import compliance
    from desktop_app.storage import settings

    try:
        twilio = credentials.load_twilio()
    except KnownError:
        if not args.number:
            raise
        twilio = None  # a locked keyring does not stop a sign for a given number
    number = args.number or (twilio[0].sender if twilio else "")
    if not number:
        raise ValidationError(
            "Sign: give the shop's SMS number with --number, e.g. +15550100100 or "
            "(212) 555-0100."
        )
    e164 = compliance.sign_number(db, number)
    keyword = compliance.check_join_keyword(args.keyword)
    shop_name = settings.get_setting(db, "shop.name")
    out = compliance.make_join_sign(shop_name, e164, args.out, keyword=keyword)
    compliance.remember_join_keyword(db, keyword)
    warning = compliance.sign_number_warning(e164)
    if warning:
        sys.stderr.write(f"duet: warning: {warning}\n")
    print(f"Saved the {keyword} sign to {out}.")
    joins = f"A text {keyword} to {e164} adds the sender with SMS consent"
    if twilio:
        print(f"{joins}.")
    else:
        print(f"{joins}, once Twilio is set up (credentials set twilio).")
    return 0


def _window_arguments(argv: Sequence[str] | None) -> argparse.Namespace | None:
    """Parse a plain window start cheaply; None when ``argv`` needs the full parser.

    Building every command's parser costs start-up time the window does not need.
    """
    words = list(sys.argv[1:] if argv is None else argv)
    data_dir: Path | None = None
    quit_after_start = False
    while words:
        word = words.pop(0)
        if word == "--quit-after-start":
            quit_after_start = True
        elif word == "--data-dir" and words:
            data_dir = Path(words.pop(0))
        elif word.startswith("--data-dir="):
            data_dir = Path(word.partition("=")[2])
        else:
            return None
    return argparse.Namespace(
        command=None, data_dir=data_dir, quit_after_start=quit_after_start
    )


def run(argv: Sequence[str] | None = None) -> int:
    """Run one command from ``argv`` and return the process exit status."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
    args = _window_arguments(argv) or build_parser().parse_args(argv)
    data_dir: Path = args.data_dir or paths.default_data_dir()
    if args.command is None:
        from desktop_app.app import run_gui

        return run_gui(data_dir, quit_after_start=args.quit_after_start)

    load_sqlite_utils_without_numpy()
    log_dir = data_dir / "logs" if args.data_dir else paths.default_log_dir()
    setup_logging(log_dir)
    try:
        if args.command == "segments":
            return _cmd_segments(None, args)
        if args.command == "credentials":
            return _cmd_credentials(args)
        if args.command == "restore":
            return _cmd_restore(args, data_dir)
        return _run_with_database(args, data_dir)
    except KnownError as error:
        if error.detail:
            logger.warning("%s (%s)", error.message, error.detail)
        sys.stderr.write(f"duet: {error.message}\n")
        return 1
    except BrokenPipeError:
        # The reader went away (e.g. ``duet history | head``): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as error:
        logger.exception("unexpected error in '%s'", args.command)
        sys.stderr.write(
            f"duet: Something went wrong ({type(error).__name__}). The details are "
            f"in {log_dir / 'duet.log'}.\n"
        )
        return 2


def _run_with_database(args: argparse.Namespace, data_dir: Path) -> int:
    from desktop_app.storage.database import open_database

    db = open_database(paths.database_path(data_dir))
    handlers: dict[str, Callable[[sqlite_utils.Database, argparse.Namespace], int]] = {
        "import": _cmd_import,
        "imports": _cmd_imports,
        "contacts": _cmd_contacts,
        "template": _cmd_template,
        "history": _cmd_history,
        "settings": _cmd_settings,
        "sales": _cmd_sales,
        "report": _cmd_report,
        "chart": _cmd_chart,
        "consent": _cmd_consent,
        "sign": _cmd_sign,
        "backup": _cmd_backup,
        "quiet-hours": _cmd_quiet_hours,
    }
    try:
        if args.command == "send":
            return _cmd_send(db, args, data_dir)
        if args.command == "resume":
            return _cmd_resume(db, args, data_dir)
        if args.command == "sync":
            return _cmd_sync(db, args, data_dir)
        if args.command in _AUTOMATION_COMMANDS:
            return _cmd_automation(db, args, data_dir)
        return handlers[args.command](db, args)
    finally:
        db.close()


# --- automation (issue 8): trigger, rules, watch, serve-events, schedule ----------

_AUTOMATION_COMMANDS = ("trigger", "rules", "watch", "serve-events", "schedule")


def _add_automation_parsers(commands: Any) -> None:
    trg = commands.add_parser("trigger", help="handle one event: send its rule's pair")
    trg.add_argument("kind", help="purchase, ticket_opened, ticket_resolved, ...")
    trg.add_argument("--event-id", help="the id the other software gave the event")
    trg.add_argument("--source", help="who sent it (default: cli)")
    trg.add_argument("--email")
    trg.add_argument("--phone")
    trg.add_argument("--first-name")
    trg.add_argument("--last-name")
    trg.add_argument("--name", help="the full name, when given as one")
    trg.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a merge field, e.g. order_number=1042 (repeat)",
    )
    trg.add_argument("--sms-consent", action=argparse.BooleanOptionalAction)
    trg.add_argument("--email-consent", action=argparse.BooleanOptionalAction)
    trg.add_argument("--outbox", action="store_true", help="use the test outbox")
    trg.add_argument("--json", action="store_true")

    rul = commands.add_parser("rules", help="trigger rules, spending caps, activity")
    rul_commands = rul.add_subparsers(dest="rules_command", required=True)
    rul_list = rul_commands.add_parser("list", help="list the trigger rules")
    rul_list.add_argument("--json", action="store_true")
    rul_set = rul_commands.add_parser("set", help="add or change a kind's rule")
    rul_set.add_argument("kind")
    rul_set.add_argument("--template", required=True)
    rul_set.add_argument("--field", action="append", default=[], metavar="NAME")
    rul_set.add_argument("--delay", type=int, default=0, help="minutes to wait")
    rul_set.add_argument("--off", action="store_true", help="record, never send")
    rul_remove = rul_commands.add_parser("remove", help="delete a kind's rule")
    rul_remove.add_argument("kind")
    rul_act = rul_commands.add_parser("activity", help="recent events and outcomes")
    rul_act.add_argument("--limit", type=int, default=50)
    rul_act.add_argument("--json", action="store_true")
    rul_cap = rul_commands.add_parser("cap", help="show or set the SMS spending caps")
    rul_cap.add_argument("--daily", type=float, help="dollars per day (0: no cap)")
    rul_cap.add_argument("--monthly", type=float, help="dollars per month (0: none)")
    rul_cap.add_argument("--json", action="store_true")

    wat = commands.add_parser(
        "watch", help="turn files dropped in a folder into events"
    )
    wat.add_argument("folder", type=Path)
    wat.add_argument(
        "--once", action="store_true", help="read what is there, then stop"
    )
    wat.add_argument("--kind", help="the event kind for rows that name none")
    wat.add_argument("--poll", type=float, default=2.0, help="seconds between looks")
    wat.add_argument("--outbox", action="store_true", help="use the test outbox")
    wat.add_argument("--json", action="store_true")

    srv = commands.add_parser(
        "serve-events", help="accept events over HTTP on 127.0.0.1 (token required)"
    )
    srv.add_argument("--port", type=int, default=8787)
    srv.add_argument("--host", default="127.0.0.1", help="only 127.0.0.1 is allowed")
    srv.add_argument("--new-token", action="store_true", help="replace the token")
    srv.add_argument("--outbox", action="store_true", help="use the test outbox")

    sch = commands.add_parser("schedule", help="scheduled and recurring campaigns")
    sch_commands = sch.add_subparsers(dest="schedule_command", required=True)
    sch_add = sch_commands.add_parser("add", help="schedule a template")
    sch_add.add_argument("--template", required=True)
    who = sch_add.add_mutually_exclusive_group(required=True)
    who.add_argument("--tag")
    who.add_argument("--all", action="store_true")
    when = sch_add.add_mutually_exclusive_group(required=True)
    when.add_argument("--at", help='local date and time, e.g. "2027-01-04 10:00"')
    when.add_argument("--rule", help='e.g. "first monday monthly 10:00"')
    sch_add.add_argument("--name")
    sch_list = sch_commands.add_parser("list", help="what is due, next occurrences")
    sch_list.add_argument("--count", type=int, default=3, help="per schedule")
    sch_list.add_argument("--json", action="store_true")
    sch_missed = sch_commands.add_parser("missed", help="runs missed while off")
    sch_missed.add_argument("--json", action="store_true")
    sch_run = sch_commands.add_parser("run-due", help="send what is due now")
    sch_run.add_argument(
        "--include-missed", action="store_true", help="also send missed runs"
    )
    sch_run.add_argument("--outbox", action="store_true", help="use the test outbox")
    sch_run.add_argument("--json", action="store_true")
    sch_remove = sch_commands.add_parser("remove", help="delete a schedule")
    sch_remove.add_argument("schedule_id", type=int)


def _cmd_automation(
    db: sqlite_utils.Database, args: argparse.Namespace, data_dir: Path
) -> int:
    if args.command == "trigger":
        return _cmd_trigger(db, args, data_dir)
    if args.command == "rules":
        return _cmd_rules(db, args)
    if args.command == "watch":
        return _cmd_watch(db, args, data_dir)
    if args.command == "serve-events":
        return _cmd_serve_events(db, args, data_dir)
    return _cmd_schedule(db, args, data_dir)


def _senders_and_rate(data_dir: Path, outbox: bool) -> tuple[Any, float | None]:
    from desktop_app.providers.factory import senders_from_credentials
    from desktop_app.services import sending

    senders, _mode = senders_from_credentials(data_dir, use_outbox=outbox)
    rate = sending.sms_rate_from_credentials() if senders.sms.name == "twilio" else None
    return senders, rate


def _cmd_trigger(
    db: sqlite_utils.Database, args: argparse.Namespace, data_dir: Path
) -> int:
    from desktop_app.core import events
    from desktop_app.services import triggers

    raw: dict[str, Any] = {"kind": args.kind}
    for option in ("event_id", "source", "email", "phone", "first_name", "last_name"):
        if getattr(args, option):
            raw[option] = getattr(args, option)
    if args.name:
        raw["full_name"] = args.name
    raw["sms_consent"] = args.sms_consent
    raw["email_consent"] = args.email_consent
    fields: dict[str, str] = {}
    for pair in args.field:
        name, equals, value = pair.partition("=")
        if not equals:
            raise ValidationError(f"--field {pair}: write it as NAME=VALUE.")
        fields[name.strip()] = value
    raw["fields"] = fields

    event = events.parse_event(raw, source="cli")
    result = triggers.trigger(db, event, data_dir=data_dir, use_outbox=args.outbox)
    if args.json:
        _print_json(result.to_json())
    else:
        print(result.summary_text())
    if result.stopped:
        sys.stderr.write(f"duet: {result.detail}\n")
        return 1
    return 0


def _cmd_rules(db: sqlite_utils.Database, args: argparse.Namespace) -> int:
    from desktop_app.storage import automation

    command = args.rules_command
    if command == "set":
        rule = automation.save_rule(
            db,
            kind=args.kind,
            template_name=args.template,
            fields=args.field,
            delay_minutes=args.delay,
            enabled=not args.off,
        )
        logger.info("trigger rule saved: %s", rule.kind)
        print(f"Rule for '{rule.kind}': sends '{rule.template_name}'.")
        return 0
    if command == "remove":
        automation.remove_rule(db, args.kind)
        logger.info("trigger rule removed: %s", args.kind)
        print(f"Rule for '{args.kind}' removed.")
        return 0
    if command == "cap":
        daily, monthly = automation.set_spending_caps(
            db, daily=args.daily, monthly=args.monthly
        )
        if args.json:
            _print_json({"daily": daily, "monthly": monthly})
        else:
            for label, cap in (("Daily", daily), ("Monthly", monthly)):
                print(f"{label} SMS cap: " + (f"${cap:.2f}" if cap else "none"))
        return 0
    if command == "activity":
        rows = automation.recent_activity(db, args.limit)
        if args.json:
            _print_json([row.to_json() for row in rows])
            return 0
        for row in rows:
            print(f"{row.at}  {row.kind:<8}  {row.ref:<30.30}  {row.outcome:<9}  "
                  f"{row.detail}")  # fmt: skip
        return 0

    automation.ensure_builtin_rules(db)
    rules = automation.list_rules(db)
    if args.json:
        _print_json([rule.to_json() for rule in rules])
        return 0
    for rule in rules:
        delay = f", after {rule.delay_minutes} min" if rule.delay_minutes else ""
        state = "" if rule.enabled else " (off)"
        fields = ", ".join(rule.fields) or "no fields"
        print(f"{rule.kind}: '{rule.template_name}' ({fields}){delay}{state}")
    return 0


def _cmd_watch(
    db: sqlite_utils.Database, args: argparse.Namespace, data_dir: Path
) -> int:
    from desktop_app.services import folder_watch

    def show(report: folder_watch.FileReport) -> None:
        if args.json:
            _print_json(report.to_json())
        else:
            print(f"{report.file}: {len(report.rows)} rows, {len(report.refused)} "
                  f"refused -> {report.moved_to}")  # fmt: skip

    senders, rate = _senders_and_rate(data_dir, args.outbox)
    try:
        reports = folder_watch.watch_folder(
            db,
            args.folder,
            senders,
            once=args.once,
            kind=args.kind,
            poll_seconds=args.poll,
            settle_seconds=0.0 if args.once else 2.0,
            sms_rate=rate,
            on_report=show,
        )
    except KeyboardInterrupt:
        return 0
    finally:
        senders.close()
    if args.once and not reports and not args.json:
        print(f"No CSV or JSON file waiting in {args.folder}.")
    return 1 if any(report.failed for report in reports) else 0


def _cmd_serve_events(
    db: sqlite_utils.Database, args: argparse.Namespace, data_dir: Path
) -> int:
    from desktop_app import credentials
    from desktop_app.services import http_events

    http_events.check_bind_address(args.host)
    token = None if args.new_token else credentials.load_event_token()
    if token is None:
        token = credentials.new_event_token()
        credentials.save_event_token(token)
        print(f"New event token (also kept in the keyring): {token}")
    senders, rate = _senders_and_rate(data_dir, args.outbox)
    try:
        endpoint = http_events.EventEndpoint(
            db, senders, token, port=args.port, host=args.host, sms_rate=rate
        )
    except OSError as error:
        senders.close()
        raise ValidationError(
            f"Port {args.port} is in use; choose another with --port."
        ) from error
    print(f"Listening on http://{args.host}:{endpoint.port}/events (Ctrl+C stops).")
    logger.info("event endpoint started on port %d", endpoint.port)
    try:
        endpoint.serve()
    except KeyboardInterrupt:
        pass
    finally:
        endpoint.close()
        senders.close()
    return 0


def _cmd_schedule(
    db: sqlite_utils.Database, args: argparse.Namespace, data_dir: Path
) -> int:
    from desktop_app.services import schedules
    from desktop_app.storage import automation

    command = args.schedule_command
    if command == "add":
        schedule = schedules.add_schedule(
            db,
            template_name=args.template,
            tag=args.tag,
            everyone=args.all,
            at=args.at,
            rule=args.rule,
            name=args.name,
        )
        print(f"Schedule {schedule.id} '{schedule.name}' added.")
        for occurrence in schedules.upcoming(db, per_schedule=3):
            if occurrence.schedule_id == schedule.id:
                print(f"  next: {occurrence.local}")
        return 0
    if command == "remove":
        automation.remove_schedule(db, args.schedule_id)
        logger.info("schedule %d removed", args.schedule_id)
        print(f"Schedule {args.schedule_id} removed.")
        return 0
    if command in ("list", "missed"):
        found = (
            schedules.upcoming(db, per_schedule=args.count)
            if command == "list"
            else schedules.missed_runs(db)
        )
        if args.json:
            _print_json([occurrence.to_json() for occurrence in found])
            return 0
        for occurrence in found:
            print(occurrence.line())
        if not found:
            print("Nothing scheduled." if command == "list" else "Nothing missed.")
        elif command == "missed":
            print("Send them with: python main.py schedule run-due --include-missed")
        return 0

    return _cmd_schedule_run_due(db, args, data_dir)


def _cmd_schedule_run_due(
    db: sqlite_utils.Database, args: argparse.Namespace, data_dir: Path
) -> int:
    from desktop_app.services import schedules, triggers

    senders, rate = _senders_and_rate(data_dir, args.outbox)
    try:
        done = schedules.run_due(
            db, senders, include_missed=args.include_missed, sms_rate=rate
        )
        events = triggers.send_pending(db, senders, sms_rate=rate)
    finally:
        senders.close()
    if args.json:
        _print_json(
            {
                "schedules": [occurrence.to_json() for occurrence in done],
                "events": [result.to_json() for result in events],
            }
        )
    else:
        for occurrence in done:
            print(occurrence.line())
        for result in events:
            print(result.summary_text())
        if not done and not events:
            print("Nothing is due.")
    reasons = [o.reason or "" for o in done if o.state == "paused"]
    reasons += [result.detail for result in events if result.stopped]
    for reason in reasons:
        sys.stderr.write(f"duet: {reason}\n")
    return 1 if reasons else 0
