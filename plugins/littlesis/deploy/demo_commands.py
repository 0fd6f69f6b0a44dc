"""``bin/littlesis demo up|stop|status|mail``: the command-line side of ``littlesis.deploy.demo``."""

from __future__ import annotations

import argparse
import sys

from littlesis.deploy import demo_settings

ERRORS_SHOWN_PLAINLY = (RuntimeError, TimeoutError, ValueError, OSError)


def add_commands(commands: argparse._SubParsersAction) -> None:
    up = commands.add_parser(
        "up", help="start the demo on Airflow standalone (what `make demo` runs); reuses what already runs",
        description=demo_settings.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    up.set_defaults(func=cmd_up)
    commands.add_parser("stop", help="stop exactly the processes the demo started (`make demo-stop`)"
                        ).set_defaults(func=cmd_stop)
    commands.add_parser("status", help="which demo processes run").set_defaults(func=cmd_status)
    mail = commands.add_parser("mail", help="list the e-mails the demo sent (kept in .demo/mail/)")
    mail.add_argument("--show", action="store_true", help="print each message's body too")
    mail.set_defaults(func=cmd_mail)


def cmd_up(args: argparse.Namespace) -> int:
    from littlesis.deploy.demo import up

    try:
        up(demo_settings.DemoSettings.from_env())
    except ERRORS_SHOWN_PLAINLY as exc:
        print(f"demo: {exc}", file=sys.stderr)
        print("demo: what did start is still running; `make demo-stop` stops it", file=sys.stderr)
        return 1
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    from littlesis.deploy.demo import stop

    stop(demo_settings.DemoSettings.from_env())
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from littlesis.deploy.demo import status

    return 0 if status(demo_settings.DemoSettings.from_env()) else 1


def cmd_mail(args: argparse.Namespace) -> int:
    from littlesis.deploy.mailcatcher import received

    folder = demo_settings.DemoSettings.from_env().mail_dir
    mails = received(folder)
    if not mails:
        print(f"no e-mail in {folder} yet (teachers are mailed after a commit)")
    for mail in mails:
        print(f"{mail.path.name}  to {mail.to}: {mail.subject}")
        if args.show:
            print(mail.text(), end="\n\n")
    return 0
