"""The `lintel` command as an operator uses it, against a real database file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm.directory import actor_for
from crm.estate.models import Contract
from crm.models import ApiToken
from crm.platform import Foundation, Platform
from tests.conftest import COMPLAINT_BPMN, DATA
from webapp.cli import main
from webapp.database import make_engine

PROBLEM_LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): (?P<element>\S+): (?P<message>.+)$")


class Lintel:
    def __init__(self, folder: Path) -> None:
        self.url = f"sqlite:///{folder / 'cli.db'}"
        self.env = {"LINTEL_INSTANCE_PATH": str(folder), "LINTEL_DATABASE_URL": self.url}
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(main, list(args), env=self.env, catch_exceptions=False)


@pytest.fixture
def lintel(tmp_path: Path) -> Lintel:
    run = Lintel(tmp_path)
    assert run("init", "--demo").exit_code == 0
    return run


def test_init_loads_the_demo_and_deploys_the_bundled_workflows(tmp_path: Path) -> None:
    env = {"LINTEL_INSTANCE_PATH": str(tmp_path), "LINTEL_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    result = CliRunner().invoke(main, ["init", "--demo"], env=env, catch_exceptions=False)
    assert result.exit_code == 0
    assert "complaint v1" in result.output and "crc_sup" in result.output


def test_init_leaves_the_version_a_process_owner_uploaded_current(lintel: Lintel) -> None:
    assert "complaint v1 (unchanged)" in lintel("init", "--demo").output
    changed = COMPLAINT_BPMN.read_bytes().replace("回复业主".encode(), "回复业主并回访".encode())
    with Session(make_engine(lintel.url)) as session:
        platform = Platform(session, Foundation())
        assert platform.definitions.deploy(changed, "complaint.bpmn", actor="admin").version == 2
        session.commit()

    result = lintel("init", "--demo")  # what every `make run` does
    assert result.exit_code == 0
    assert "complaint v2 (kept: deploy a changed diagram with lintel deploy)" in result.output
    with Session(make_engine(lintel.url)) as session:
        current = Platform(session, Foundation()).definitions.latest("complaint")
        assert (current.version, current.deployed_by) == (2, "admin")
    assert lintel("deploy", str(COMPLAINT_BPMN)).output.strip() == "complaint v3"  # explicitly, it does


def test_deploy_prints_key_and_version_and_keeps_an_unchanged_file(lintel: Lintel, tmp_path: Path) -> None:
    changed = tmp_path / "complaint.bpmn"
    changed.write_text(COMPLAINT_BPMN.read_text().replace("回复业主", "回复业主并回访"))
    result = lintel("deploy", str(changed))
    assert (result.exit_code, result.output.strip()) == (0, "complaint v2")
    again = lintel("deploy", str(changed))
    assert again.output.strip() == "complaint v2 (unchanged)"
    dry = lintel("deploy", "--dry-run", str(DATA / "complaint_v2.bpmn"))
    assert dry.output.strip() == "complaint v3 (dry run)"
    assert lintel("deploy", str(changed)).output.strip() == "complaint v2 (unchanged)"


def test_a_bad_diagram_lists_every_problem_and_nothing_is_deployed(lintel: Lintel, tmp_path: Path) -> None:
    good = tmp_path / "good.bpmn"
    good.write_text(COMPLAINT_BPMN.read_text().replace("回复业主", "回复"))
    bad = DATA / "bad" / "many_problems.bpmn"
    result = lintel("deploy", str(good), str(bad))
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith(str(bad))]
    assert len(lines) >= 5
    for line in lines:
        match = PROBLEM_LINE.match(line)
        assert match and int(match["line"]) > 0, line
    assert "nothing deployed" in result.output
    assert lintel("deploy", str(good)).output.strip() == "complaint v2"  # v2 was not taken by the refused run


def test_deploying_a_missing_or_malformed_file_is_a_clean_refusal(lintel: Lintel, tmp_path: Path) -> None:
    broken = tmp_path / "broken.bpmn"
    broken.write_text("<bpmn:definitions")
    result = lintel("deploy", str(broken), str(tmp_path / "missing.bpmn"))
    assert result.exit_code == 1
    assert f"{broken}:1:" in result.output and "missing.bpmn:0: -: cannot read the file" in result.output
    assert "Traceback" not in result.output


def test_token_prints_a_bearer_token_for_an_active_user_only(lintel: Lintel) -> None:
    result = lintel("token", "crc", "--name", "nightly export")
    assert result.exit_code == 0 and re.fullmatch(r"lt_\S+\n", result.stdout)  # TOKEN=$(lintel token crc)
    assert re.fullmatch(r"expires \d{4}-\d\d-\d\d \d\d:\d\d \(Asia/Shanghai\)\n", result.stderr)
    engine = make_engine(lintel.url)
    with Session(engine) as session:
        user = Platform(session, Foundation()).directory.user_for_token(result.stdout.strip())
        assert user is not None and user.username == "crc"
        names = session.scalars(select(ApiToken.name)).all()
    engine.dispose()
    assert names == ["nightly export"]
    refused = lintel("token", "nobody")
    assert refused.exit_code == 1 and "no active user" in refused.output


MONTHLY = r"\d{4}-\d\d-01 09:00:00  start  progress_notice  \(start\)"


def test_timers_list_and_the_drill(lintel: Lintel) -> None:
    # The bundled monthly progress notice's timer start event is the one thing waiting.
    assert re.fullmatch(MONTHLY, lintel("timers", "list").output.strip())
    refused = lintel("timers", "run", "--at", "next tuesday")
    assert refused.exit_code == 2 and "not an ISO date-time" in refused.output

    engine = make_engine(lintel.url)
    with Session(engine) as session:
        platform = Platform(session, Foundation())
        crc = actor_for(platform.directory.user("crc"))
        platform.complaints.register(
            crc, channel="walk_in", description="车位划线错误", owner_phone="13800000002"
        )
        # Every buyer has their home: no project is under construction, so no progress notice starts.
        session.execute(update(Contract).where(Contract.status == "signed").values(status="handed_over"))
        session.commit()
    engine.dispose()

    assert re.search(
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  instance 1  complaint  TS-\d{4}-000001$",
        lintel("timers", "list").output,
        re.M,
    )
    result = lintel("timers", "run", "--at", "2099-01-01T00:00")
    assert result.exit_code == 0 and "fired 3 timers" in result.output  # reminder, then levels 2 and 3
    # No project has a buyer waiting for their home: no progress notice started, the schedule moves on.
    assert "started 0 instances" in result.output
    assert re.fullmatch(MONTHLY.replace("\\d{4}-\\d\\d", "2099-01"), lintel("timers", "list").output.strip())


def test_a_timer_start_that_cannot_be_scheduled_is_refused_at_deploy(lintel: Lintel, tmp_path: Path) -> None:
    diagram = tmp_path / "monthly.bpmn"
    diagram.write_text(
        (DATA / "monthly.bpmn").read_text().replace('"R/2026-01-01T09:00:00+08:00/P1M"', "cycle")
    )
    result = lintel("deploy", str(diagram))
    assert (
        result.exit_code == 1
        and "every_month: timer start expression 'cycle' cannot be scheduled" in result.output
    )
    assert "Traceback" not in result.output and "nothing deployed" in result.output
    assert lintel("deploy", str(DATA / "monthly.bpmn")).output.strip() == "monthly_notice v1"


def test_init_without_demo_creates_departments_but_no_account(tmp_path: Path) -> None:
    env = {"LINTEL_INSTANCE_PATH": str(tmp_path), "LINTEL_DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}"}
    runner = CliRunner()
    result = runner.invoke(main, ["init"], env=env, catch_exceptions=False)
    assert result.exit_code == 0 and "complaint v1" in result.output
    assert "no accounts yet: lintel user add" in result.output
    assert runner.invoke(main, ["token", "admin"], env=env).exit_code == 1
    added = runner.invoke(
        main,
        ["user", "add", "chief", "--role", "administrator", "--department", "crc", "--password", "s3cret!"],
        env=env,
        catch_exceptions=False,
    )
    assert added.exit_code == 0
    assert runner.invoke(main, ["token", "chief"], env=env).output.startswith("lt_")
    unknown = runner.invoke(main, ["user", "add", "x", "--department", "nowhere", "--password", "p"], env=env)
    assert unknown.exit_code == 1 and "unknown department(s): nowhere" in unknown.output


def test_start_begins_any_process_and_prints_its_number(lintel: Lintel) -> None:
    assert lintel("deploy", str(DATA / "owner_inquiry.bpmn")).exit_code == 0
    started = lintel("start", "owner_inquiry", "--data", '{"question": "交房时间"}')
    assert started.exit_code == 0, started.output
    assert re.fullmatch(r"ZX-\d{4}-000001 咨询：交房时间 \(request \d+\)\n", started.output)
    as_staff = lintel("start", "owner_inquiry", "--data", '{"question": "车位"}', "--as", "crc")
    assert as_staff.exit_code == 0 and "-000002 咨询：车位" in as_staff.output


def test_start_refuses_bad_json_unknown_processes_and_invalid_data_clearly(lintel: Lintel) -> None:
    bad_json = lintel("start", "owner_inquiry", "--data", "{question: 1}")
    assert bad_json.exit_code != 0 and "--data is not valid JSON" in bad_json.output
    not_object = lintel("start", "owner_inquiry", "--data", "[1, 2]")
    assert not_object.exit_code != 0 and "--data must be a JSON object" in not_object.output
    unknown = lintel("start", "no_such_process")
    assert unknown.exit_code == 1 and "no process 'no_such_process' is deployed" in unknown.output
    invalid = lintel("start", "complaint", "--data", '{"channel": "pigeon", "owner_phone": "13800000001"}')
    assert invalid.exit_code == 1 and invalid.output.startswith("the data is refused: ")
    assert "channel" in invalid.output and "description" in invalid.output
    refused = lintel("start", "complaint", "--data", "{}", "--as", "design")
    assert refused.exit_code == 1 and "may start the process 'complaint'" in refused.output


def test_start_says_when_the_workflow_failed_as_it_started(lintel: Lintel, tmp_path: Path) -> None:
    from tests.engine.test_incidents import SQUARE

    diagram = tmp_path / "square.bpmn"
    diagram.write_bytes(SQUARE)
    assert lintel("deploy", str(diagram)).exit_code == 0
    failed = lintel("start", "square", "--data", '{"a": "x"}')
    assert failed.exit_code == 1
    assert re.search(r"S-\d{4}-000001 square \(request \d+\)", failed.output)
    assert "the workflow failed as it started:" in failed.output and "lintel incidents" in failed.output
    assert lintel("start", "square", "--data", '{"a": 3}').exit_code == 0


def test_a_diagram_is_deployed_with_its_companions_and_other_diagrams_beside_it(lintel: Lintel) -> None:
    bundles = DATA / "bundles"
    result = lintel(
        "deploy",
        str(bundles / "rectify_main.bpmn"),
        str(bundles / "rectify_work.bpmn"),
        str(bundles / "rectify_report.json"),
        str(bundles / "form_data.bpmn"),
        "--default-department",
        "crc",
        "--lane",
        "Site crew=engineering",
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == [
        "rectify v1 with 2 more file(s)",
        "  note: rectify_main.bpmn:11: Activity_confirm: user task has no form: it is completed with an "
        "optional comment",
    ]
    assert "repair_quote v1" in result.output
    engine = make_engine(lintel.url)
    with Session(engine) as session:
        platform = Platform(session, Foundation())
        rectify = platform.definitions.latest("rectify")
        assert [f.filename for f in platform.definitions.files(rectify)] == [
            "rectify_main.bpmn",
            "rectify_work.bpmn",
            "rectify_report.json",
        ]
        assert rectify.meta["options"] == {"default_department": "crc", "lanes": {"Site crew": "engineering"}}
    engine.dispose()


def test_a_lane_option_that_cannot_be_read_is_named(lintel: Lintel) -> None:
    result = lintel("deploy", str(DATA / "bundles" / "form_data.bpmn"), "--lane", "Site crew")
    assert result.exit_code == 2
    assert "--lane: lane 'Site crew' is not written Name=code" in result.output
