"""The channels come from the settings; a setting that cannot work stops Lintel as it starts, naming it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from notifications.channels import ConsoleChannel
from notifications.config import InvalidSetting, build_channels
from notifications.email import SmtpChannel
from notifications.robots import DingTalkRobotChannel, WeComRobotChannel
from notifications.sms import SmsGatewayChannel
from webapp import create_app
from webapp.cli import main

MAIL = {
    "LINTEL_SMTP_HOST": "smtp.example.com",
    "LINTEL_SMTP_PORT": "587",
    "LINTEL_SMTP_TLS": "starttls",
    "LINTEL_SMTP_USER": "crc",
    "LINTEL_SMTP_PASSWORD": "p4ss",
    "LINTEL_MAIL_FROM": "客户关系中心 <crc@example.com>",
}
SMS = {
    "LINTEL_SMS_GATEWAY_URL": "https://sms.example.com/send",
    "LINTEL_SMS_GATEWAY_KEY": "key",
    "LINTEL_SMS_GATEWAY_SECRET": "secret",
    "LINTEL_SMS_SIGN_NAME": "某某地产",
    "LINTEL_SMS_TEMPLATES": "complaint.registered=SMS_1, complaint.closed = SMS_2",
}


def test_configured_servers_give_email_and_sms_and_the_robots_are_always_there() -> None:
    channels = build_channels({**MAIL, **SMS, "LINTEL_NOTICE_TIMEOUT": "5"})
    email, sms = channels["email"], channels["sms"]
    assert isinstance(email, SmtpChannel) and isinstance(sms, SmsGatewayChannel)
    assert (email.host, email.port, email.tls, email.timeout) == ("smtp.example.com", 587, "starttls", 5)
    assert sms.template_ids == {"complaint.registered": "SMS_1", "complaint.closed": "SMS_2"}
    assert isinstance(channels["wecom"], WeComRobotChannel)
    assert isinstance(channels["dingtalk"], DingTalkRobotChannel)


def test_without_servers_there_is_no_email_or_sms_unless_the_console_stands_in() -> None:
    assert sorted(build_channels({})) == ["dingtalk", "wecom"]
    console = build_channels({"LINTEL_NOTICE_CONSOLE": "1"})
    assert isinstance(console["email"], ConsoleChannel) and isinstance(console["sms"], ConsoleChannel)
    assert isinstance(console["wecom"], WeComRobotChannel)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({**MAIL, "LINTEL_SMTP_TLS": "tls"}, "LINTEL_SMTP_TLS 'tls': expected one of none, starttls, ssl"),
        ({**MAIL, "LINTEL_SMTP_PORT": "25x"}, "LINTEL_SMTP_PORT '25x': expected a port number"),
        ({**MAIL, "LINTEL_SMTP_PORT": "70000"}, "LINTEL_SMTP_PORT '70000'"),
        ({**MAIL, "LINTEL_MAIL_FROM": ""}, "LINTEL_MAIL_FROM is needed with LINTEL_SMTP_HOST"),
        (
            {**MAIL, "LINTEL_MAIL_FROM": "客户关系中心"},
            "LINTEL_MAIL_FROM '客户关系中心' is not an email address",
        ),
        ({**MAIL, "LINTEL_SMTP_PASSWORD": ""}, "LINTEL_SMTP_USER and LINTEL_SMTP_PASSWORD go together"),
        ({**MAIL, "LINTEL_SMTP_PASSWORD": "密码"}, "only ASCII characters can log in"),
        ({**SMS, "LINTEL_SMS_GATEWAY_URL": "sms.example.com/send"}, "expected an http:// or https:// URL"),
        ({**SMS, "LINTEL_SMS_GATEWAY_URL": "ftp://sms.example.com"}, "expected an http:// or https:// URL"),
        ({**SMS, "LINTEL_SMS_SIGN_NAME": ""}, "LINTEL_SMS_SIGN_NAME is needed with LINTEL_SMS_GATEWAY_URL"),
        (
            {**SMS, "LINTEL_SMS_TEMPLATES": "complaint.registered"},
            "LINTEL_SMS_TEMPLATES 'complaint.registered'",
        ),
        ({"LINTEL_NOTICE_TIMEOUT": "0"}, "LINTEL_NOTICE_TIMEOUT '0': expected seconds"),
        ({"LINTEL_NOTICE_TIMEOUT": "soon"}, "LINTEL_NOTICE_TIMEOUT 'soon'"),
    ],
)
def test_a_setting_that_cannot_work_is_refused_with_its_name(settings: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidSetting) as refused:
        build_channels(settings)
    assert message in str(refused.value)


def test_the_app_builds_its_channels_as_it_starts(tmp_path: Path) -> None:
    app = create_app({"LINTEL_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", **SMS})
    assert isinstance(app.extensions["lintel.channels"]["sms"], SmsGatewayChannel)


@pytest.mark.parametrize("command", [["timers", "list"], ["serve"], ["worker", "--once"]])
def test_lintel_will_not_start_with_a_bad_setting_and_says_which(command: list[str], tmp_path: Path) -> None:
    env = {
        "LINTEL_INSTANCE_PATH": str(tmp_path),
        "LINTEL_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "LINTEL_SMS_GATEWAY_URL": "sms.example.com",
    }
    result = CliRunner().invoke(main, command, env=env, catch_exceptions=False)
    assert result.exit_code == 2
    assert "lintel cannot start: LINTEL_SMS_GATEWAY_URL 'sms.example.com'" in result.output
    assert "Traceback" not in result.output
