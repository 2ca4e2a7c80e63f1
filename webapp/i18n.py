"""Languages and times on the pages: Chinese (zh_CN) first, English on request; Asia/Shanghai wall time.

The message ids are the Chinese texts themselves, so the default language needs no catalogue at all; the
English catalogue is read straight from its .po file (parsed once per process), so there is no compile
step to forget. Messages that come from lower layers in English (form validation, task conflicts) are
given in Chinese through a small table of patterns.
"""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, current_app, request, session
from flask_babel import Babel, Domain, get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from lintel.clock import SHANGHAI
from webapp.i18n_deploy import translate_deploy

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh_CN"

_catalogues: dict[str, NullTranslations] = {}
_lock = threading.Lock()


def _catalogue(language: str) -> NullTranslations:
    with _lock:
        found = _catalogues.get(language)
        if found is None:
            path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
            if not path.exists():
                found = NullTranslations()
            else:
                with path.open("rb") as source:
                    catalog = read_po(source, locale=language)
                compiled = BytesIO()
                write_mo(compiled, catalog, use_fuzzy=False)
                compiled.seek(0)
                found = Translations(fp=compiled, domain="messages")
            _catalogues[language] = found
        return found


class _PoDomain(Domain):
    def get_translations(self) -> NullTranslations:
        locale = get_locale()
        return _catalogue(str(locale)) if locale is not None else NullTranslations()


class _Babel(Babel):
    _domain = _PoDomain()

    @property
    def domain_instance(self) -> Domain:  # type: ignore[override]
        return self._domain


def N_(text: str) -> str:
    """Marks a text for the catalogue where it is defined; it is translated where it is shown."""
    return text


def language() -> str:
    chosen = session.get("lang") if request else None
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def is_english() -> bool:
    return language() == "en"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    _Babel(app, locale_selector=language)
    app.jinja_env.filters.update(local_time=local_time, local_date=local_date)
    app.jinja_env.globals.update(
        time_left=time_left,
        escalation_name=escalation_name,
        languages=LANGUAGES,
        language=language,
        is_english=is_english,
        tr=translate,
    )


# -- times -------------------------------------------------------------------------------------------


def local_time(value: datetime | None, seconds: bool = False) -> str:
    if value is None:
        return "—"
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def local_date(value: datetime | None) -> str:
    return "—" if value is None else value.astimezone(SHANGHAI).strftime("%Y-%m-%d")


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)d天%(hours)d小时", days=days, hours=hours) if hours else _("%(days)d天", days=days)
    if hours:
        if minutes:
            return _("%(hours)d小时%(minutes)d分钟", hours=hours, minutes=minutes)
        return _("%(hours)d小时", hours=hours)
    return _("%(minutes)d分钟", minutes=max(minutes, 1))


def _working_span(seconds: float, day_seconds: int) -> str:
    days, rest = divmod(int(seconds), day_seconds)
    if days:
        hours = rest // 3600
        if hours:
            return _("%(days)d个工作日%(hours)d小时", days=days, hours=hours)
        return _("%(days)d个工作日", days=days)
    return _("%(span)s（工作时间）", span=_span(timedelta(seconds=rest)))


def time_left(task: Any, now: datetime) -> Markup:
    """ "剩余3个工作日" or "已逾期2天", marked up for the eye; "无期限" without a deadline. Time left and
    lateness are counted on the deadline's own clock: a business-time deadline counts working time both
    ways (nights, weekends and holidays neither run down its clock nor add to its lateness)."""
    due = task.due_at
    if due is None:
        return Markup('<span class="muted">{}</span>').format(_("无期限"))
    business = getattr(task, "deadline_clock", None) == "business"
    if business:
        calendar = current_app.extensions["lintel.foundation"].calendar
        day = calendar.hours.daily_seconds
    if due < now:
        if business:
            late = calendar.business_seconds_between(due, now)
            text = _("已逾期%(span)s", span=_working_span(late, day)) if late >= 60 else _("已逾期")
        else:
            text = _("已逾期%(span)s", span=_span(now - due))
        return Markup('<span class="late">{}</span>').format(text)
    left = calendar.business_seconds_between(now, due) if business else (due - now).total_seconds()
    soon = " soon" if left < 4 * 3600 else ""
    span = _working_span(left, day) if business else _span(due - now)
    return Markup('<span class="left{}">{}</span>').format(soon, _("剩余%(span)s", span=span))


ESCALATION_LEVELS = {1: N_("一级督办"), 2: N_("二级督办"), 3: N_("三级督办")}


def escalation_name(level: int | str | None) -> str:
    """一级督办 (department manager), 二级督办 (centre supervisor), 三级督办 (group centre)…"""
    try:
        number = int(level or 0)
    except (TypeError, ValueError):
        return str(level)
    if number in ESCALATION_LEVELS:
        return _(ESCALATION_LEVELS[number])
    return _("%(level)d级督办", level=number)


# -- messages from lower layers ----------------------------------------------------------------------

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^required$"), "必填"),
    (re.compile(r"^unknown field$"), "未知字段"),
    (re.compile(r"^fill in at least one of these$"), "这几项中至少填写一项"),
    (
        re.compile(r"^a contractor's account has the contractor role only$"),
        "承建商人员账号只能有“承建商人员”一个角色",
    ),
    (
        re.compile(r"^a contractor's account belongs to exactly one contractor company$"),
        "承建商人员账号须选择一个所属承建商单位，且不加入其他部门",
    ),
    (
        re.compile(r"^only a contractor's account \(role contractor\) joins a contractor company$"),
        "只有承建商人员账号才能加入承建商单位",
    ),
    (re.compile(r"^must be text$"), "请填写文字"),
    (re.compile(r"^must be a single value$"), "只能填写一个值"),
    (re.compile(r"^must be at most (\d+) characters$"), "最多 {0} 个字"),
    (re.compile(r"^must be at least (\d+) characters$"), "至少 {0} 个字符"),
    (re.compile(r"^must be an? (?:integer|number) between (\S+) and (\S+)$"), "请填写 {0} 到 {1} 之间的数"),
    (re.compile(r"^must be an? (?:integer|number) of at least (\S+)$"), "请填写不小于 {0} 的数"),
    (re.compile(r"^must be an? (?:integer|number) of at most (\S+)$"), "请填写不大于 {0} 的数"),
    (re.compile(r"^must be an? (?:integer|number)$"), "请填写数字"),
    (re.compile(r"^must be a date \(YYYY-MM-DD\)$"), "请填写日期（年-月-日）"),
    (re.compile(r"^must be a date and time \(YYYY-MM-DDTHH:MM\)$"), "请填写日期和时间"),
    (re.compile(r"^must be a time \(HH:MM\)$"), "请填写时间（时:分）"),
    (re.compile(r"^must match the pattern (.+)$"), "格式不符合要求（{0}）"),
    (re.compile(r"^must be true or false$"), "请选择是或否"),
    (re.compile(r"^must be ticked$"), "请勾选"),
    (re.compile(r"^must be one of: family, tenant, agent, property, other$"), "请选择与业主的关系"),
    (re.compile(r"^must be one of: .*$"), "请从列表中选择"),
    (re.compile(r"^no choices are available$"), "没有可选项"),
    (re.compile(r"^must be yes or no$"), "请选择是或否"),
    (re.compile(r"^must be a list of file ids$"), "附件无效"),
    (re.compile(r"^only one file is allowed$"), "只能上传一个文件"),
    (re.compile(r"^no owner with this phone$"), "没有使用此手机号的业主"),
    (re.compile(r"^several owners share this phone: give owner_id$"), "多位业主使用此手机号，请选择业主"),
    (re.compile(r"^give owner_phone or owner_id$"), "请选择业主"),
    (re.compile(r"^no owner with this id$"), "业主不存在"),
    (re.compile(r"^no unit with this id$"), "房号不存在"),
    (re.compile(r"^must be an integer$"), "请填写整数"),
    # The homebuilder's records (crm.estate).
    (re.compile(r"^not a valid Chinese mobile or landline number$"), "请填写有效的手机号或带区号的固定电话"),
    (re.compile(r"^not a valid ID number$"), "证件号码无效（身份证号须为 18 位且校验位正确）"),
    (re.compile(r"^not an email address$"), "请填写有效的电子邮箱"),
    # A department's group robot (crm.staff).
    (re.compile(r"^must be wecom or dingtalk$"), "请选择企业微信或钉钉"),
    (re.compile(r"^choose the robot's kind$"), "请选择群机器人类型"),
    (re.compile(r"^must be an https:// address$"), "须为加密连接（https）的网址"),
    (re.compile(r"^another project has this code$"), "已有项目使用此编码"),
    (re.compile(r"^the project already has a building of this name$"), "该项目已有同名楼栋"),
    (re.compile(r"^the project already has a layout of this name$"), "该项目已有同名户型"),
    (re.compile(r"^the building already has a unit of this number$"), "该楼栋已有此房号"),
    (re.compile(r"^not a layout of this project$"), "不是本项目的户型"),
    (re.compile(r"^another owner has this ID number$"), "已有业主使用此证件号码"),
    (re.compile(r"^not a current owner of this unit$"), "不是该房号的现任业主"),
    (re.compile(r"^another contract has this number$"), "已有合同使用此编号"),
    (re.compile(r"^must not be before the signing date$"), "不能早于签约日期"),
    (
        re.compile(r"^must not be before the current contract's signing date$"),
        "不能早于当前合同的签约日期",
    ),
    (re.compile(r"^another contractor has this name$"), "已有同名承建商"),
    (re.compile(r"^another owner has this name and phone$"), "已有同名同电话的业主，请查找并选择该业主"),
    (re.compile(r"^project \d+ does not exist$"), "项目不存在"),
    (re.compile(r"^building \d+ does not exist$"), "楼栋不存在"),
    (re.compile(r"^layout \d+ does not exist$"), "户型不存在"),
    (re.compile(r"^unit \d+ does not exist$"), "房号不存在"),
    (re.compile(r"^owner \d+ does not exist$"), "业主不存在"),
    (re.compile(r"^contract \d+ does not exist$"), "合同不存在"),
    (re.compile(r"^contractor \d+ does not exist$"), "承建商不存在"),
    (re.compile(r"^at most (\d+) entries$"), "最多 {0} 项"),
    # Questionnaires (crm.visits.questionnaires) and their answers.
    (re.compile(r"^add at least one question$"), "请至少添加一道题"),
    (re.compile(r"^at most (\d+) questions$"), "最多 {0} 道题"),
    (re.compile(r"^unknown question type$"), "题型无效"),
    (re.compile(r"^only one 0–10 recommendation question$"), "推荐意愿（0–10 分）题只能有一道"),
    (re.compile(r"^a choice question needs two or more options$"), "单选题至少需要两个选项"),
    (re.compile(r"^at most (\d+) options$"), "最多 {0} 个选项"),
    (re.compile(r"^two options are the same$"), "选项不能重复"),
    (re.compile(r"^not a valid form: (.*)$"), "问卷定义无效：{0}"),
    # Finding people and registering a caller not on file (crm.estate.search, crm.complaints).
    (
        re.compile(r"^no unit matches$"),
        "没有找到这个房号，请按“项目 楼栋 房号”填写（如 江南府1栋1201）或从列表中选择",
    ),
    (re.compile(r"^several units match$"), "有多个房号符合，请加上项目名称或从列表中选择"),
    (re.compile(r"^give either a new owner or a caller, not both$"), "新业主和非业主来电只能选一种"),
    (re.compile(r"^task \d+ is already (completed|cancelled)$"), "此任务已{0}"),
    (re.compile(r"^task \d+ is already claimed by (\S+)$"), "此任务已被 {0} 认领"),
    (re.compile(r"^task \d+ is claimed by (\S+), not by you$"), "此任务由 {0} 认领，不是您"),
    (re.compile(r"^task \d+ is claimed by (\S+)$"), "此任务已由 {0} 认领"),
    (re.compile(r"^task \d+ belongs to the department '(.+)'$"), "此任务属于部门「{0}」"),
    (re.compile(r"^only members of '(.+)' can act on task \d+$"), "只有部门「{0}」的成员才能处理此任务"),
    (re.compile(r"^(\S+) is not a member of '(.+)'$"), "{0} 不是部门「{1}」的成员"),
    (re.compile(r"^task \d+ is no longer waiting for input$"), "此任务已不再等待处理"),
    (re.compile(r"^task \d+ is already waiting for the owner$"), "此任务已在等待业主答复"),
    (re.compile(r"^task \d+ is not waiting for the owner$"), "此任务没有在等待业主答复"),
    (re.compile(r"^only a workflow step can wait for the owner$"), "只有流程步骤才能等待业主答复"),
    (
        re.compile(r"^task \d+ was changed by someone else at the same time; reload and retry$"),
        "此任务刚被他人修改，请刷新后重试",
    ),
    (re.compile(r"^the workflow could not take this step: (.*)$"), "流程无法完成这一步：{0}"),
    (re.compile(r"^the instance of task \d+ is (\S+)$"), "此任务所属流程已{0}"),
    (re.compile(r"^task \d+ does not exist$"), "任务不存在"),
    (re.compile(r"^message \d+ does not exist$"), "消息不存在"),
    (re.compile(r"^request \S+ does not exist$"), "请求不存在"),
    (re.compile(r"^no process '.+' is deployed$"), "流程不存在"),
    (re.compile(r"^only members of .+ may start the process '.+'$"), "您所在的部门不能发起此流程"),
    (
        re.compile(r"^the process '.+' is started by its timer, not by hand$"),
        "此流程按时间自动发起，不能手动发起",
    ),
    (re.compile(r"^must be an object$"), "应为一组字段和值"),
    (re.compile(r"^field names must be text$"), "字段名应为文字"),
    (re.compile(r"^the attachment does not exist$"), "附件不存在"),
    (re.compile(r"^you are not in a department that works on this request$"), "您所在的部门没有参与此请求"),
    (re.compile(r"^you are not a member of '(.+)'$"), "您不是部门「{0}」的成员"),
    (re.compile(r"^(.+): only (.+) files are accepted$"), "{0}：只接受 {1} 文件"),
    (re.compile(r"^(.+): the file is larger than (.+)$"), "{0}：文件超过 {1}"),
    (re.compile(r"^(.+): the file is empty$"), "{0}：文件为空"),
    (re.compile(r"^(.+): the content is not a (\S+) file$"), "{0}：文件内容不是 {1} 格式"),
    (re.compile(r"^(.+): unpacked it would be larger than (.+)$"), "{0}：解压后超过 {1}，可能是压缩炸弹"),
    (re.compile(r"^(.+): the file holds more than (\d+) parts$"), "{0}：文件包含的部件超过 {1} 个"),
    (
        re.compile(r"^(.+): the request's attachments would exceed (.+) in all$"),
        "{0}：此请求的附件总大小将超过 {1}",
    ),
    (re.compile(r"^'(.+)' is not an attachment of this request$"), "「{0}」不是此请求的附件"),
    (re.compile(r"^not a step of this request$"), "该任务不属于此请求"),
    (re.compile(r"^the request contains a NUL character .*$"), "提交的内容含有无法保存的空字符（NUL）"),
    (re.compile(r"^this username is taken$"), "用户名已被使用"),
    (re.compile(r"^this code is taken$"), "编码已被使用"),
    (re.compile(r"^another department has this name$"), "已有同名部门"),
    (re.compile(r"^no active user with this username$"), "没有此用户名的在职用户"),
    (re.compile(r"^unknown role\(s\): (.+)$"), "未知角色：{0}"),
    (re.compile(r"^unknown department\(s\): (.+)$"), "未知部门：{0}"),
    (re.compile(r"^you cannot take the administrator role away from yourself$"), "不能取消自己的管理员角色"),
    (re.compile(r"^you cannot deactivate yourself$"), "不能停用自己的账号"),
    (re.compile(r"^2–100 lowercase letters.*$"), "2–100 个小写字母、数字或 . _ -，以字母开头"),
    (re.compile(r"^2–64 lowercase letters.*$"), "2–64 个小写字母、数字或 _，以字母开头"),
    (re.compile(r"^you can only share with a department you belong to$"), "只能共享给您所在的部门"),
    (
        re.compile(r"^you already have (\d+) saved filters; delete one first$"),
        "已保存 {0} 个筛选，请先删除一个",
    ),
    (re.compile(r"^is not a page cursor$"), "分页参数无效"),
    # Scripts stopped by the evaluator, and data that cannot be stored (engine.evaluator, engine.task_data).
    (re.compile(r"^the workflow was stopped at this step: (.*)$"), "流程在这一步被终止：{0}"),
    (re.compile(r"^(the (?:script|evaluator)\b.*) \(step '(.+)'\)$"), "「{1}」：{0}"),
    (re.compile(r"^the script ran longer than (\S+) s and was stopped$"), "脚本运行超过 {0} 秒，已被终止"),
    (
        re.compile(r"^the script used more than (\d+) MB of memory and was stopped$"),
        "脚本占用内存超过 {0} MB，已被终止",
    ),
    (re.compile(r"^the script used more CPU time than allowed$"), "脚本占用的 CPU 时间超过限制，已被终止"),
    (
        re.compile(r"^task '(.+)': candidateGroups '(.+)' gave (.+), which is not a department$"),
        "步骤「{0}」：candidateGroups「{1}」给出的 {2} 不是部门",
    ),
    (re.compile(r"^task '(.+)' has no department \(lane '(.*)'\)$"), "步骤「{0}」没有部门（泳道「{1}」）"),
    (
        re.compile(r"^the script crashed the evaluator\b.*$"),
        "脚本导致执行进程崩溃（如过深的迭代器链或嵌套数据），已被终止",
    ),
    (re.compile(r"^the evaluator ended unexpectedly.*$"), "脚本执行进程意外退出"),
    (re.compile(r"^the script's result was too large to pass back$"), "脚本结果过大，无法传回"),
    (
        re.compile(r"^(?:UnstorableData: )?the script left data that cannot be stored: (.*)$"),
        "脚本留下了无法保存的数据：{0}",
    ),
    (re.compile(r"^the data cannot be stored$"), "提交的数据无法保存"),
    # Incidents (engine.incidents) and the gateway after a person's step (engine.next_gateway).
    (re.compile(r"^instance \d+ has not failed \(it is (\S+)\)$"), "此请求没有出错（当前状态：{0}）"),
    (re.compile(r"^instance \d+ does not exist$"), "请求不存在"),
    (
        re.compile(r"^process '(.+)' has no version newer than v(\d+): deploy the fixed diagram first$"),
        "流程「{0}」没有比第 {1} 版更新的版本，请先部署修正后的流程",
    ),
    (
        re.compile(
            r"^version (\d+) of '(.+)' lacks the running element\(s\) (.+): the instance cannot move to it$"
        ),
        "流程「{1}」第 {0} 版缺少正在运行的步骤 {2}，无法转到该版本",
    ),
    (re.compile(r"^process '(.+)' has no version (\d+)$"), "流程「{0}」没有第 {1} 版"),
    (re.compile(r"^the state of instance \d+ cannot be read: (.*)$"), "此请求的流程状态无法读取：{0}"),
    (
        re.compile(r"^the failed task of instance \d+ cannot be run again: (.*)$"),
        "出错的步骤无法重新运行：{0}",
    ),
    (re.compile(r"^instance \d+ cannot move to version (\d+): (.*)$"), "无法转到第 {0} 版：{1}"),
    (re.compile(r"^a reason is required$"), "请填写原因"),
    (re.compile(r"^the reason is too long$"), "原因太长"),
    (re.compile(r"^invalid version$"), "版本无效"),
    (re.compile(r"^a version number, or latest$"), "请填写版本号或 latest"),
    (
        re.compile(
            r"^the form leaves '(.+)' undefined, which the gateway '(.+)' needs to choose the way on$"
        ),
        "表单没有填写「{0}」，而后续的分支「{1}」需要它来决定流向",
    ),
    (re.compile(r"^needed by the next step's condition: fill it in$"), "后续流转条件需要此项，请填写"),
    (re.compile(r"^NameError: name '(.+)' is not defined\.?$"), "脚本用到了未定义的变量「{0}」"),
    (re.compile(r"^(.*) \(at (\S+)\)$"), "{0}（位置：{1}）"),
    (re.compile(r"^the key 'typename' is reserved$"), "键名 typename 为系统保留"),
    (re.compile(r"^(\S+) is not a number that can be stored$"), "{0} 不是可以保存的数字"),
    (re.compile(r"^the key (.+) is not text$"), "键名 {0} 不是文字"),
    (re.compile(r"^a value of type '(\S+)' cannot be stored$"), "类型为 {0} 的值无法保存"),
    (re.compile(r"^data nested deeper than (\d+) levels$"), "数据嵌套超过 {0} 层"),
    (
        re.compile(r"^the result is ([\d,]+) bytes, more than the ([\d,]+) allowed$"),
        "结果有 {0} 字节，超过允许的 {1} 字节",
    ),
    (
        re.compile(r"^the instance's data grew to ([\d,]+) bytes, more than the ([\d,]+) allowed.*$"),
        "流程数据增长到 {0} 字节，超过允许的 {1} 字节",
    ),
]
_WORDS = {"completed": "完成", "cancelled": "取消", "error": "出错", "running": "运行"}


def translate(message: str) -> str:
    """A lower layer's English message in the reader's language (unchanged for English readers); the
    departments and people it names by their codes and usernames are named by their names."""
    if is_english():
        return message
    deploy = translate_deploy(message)
    if deploy is not None:
        return deploy
    for pattern, template in _PATTERNS:
        match = pattern.match(message)
        if match is not None:
            # A part may itself be a lower layer's message ("stopped at this step: <why>").
            return template.format(*(_WORDS.get(g, _named(g) or translate(g)) for g in match.groups()))
    return message


def _named(code: str) -> str | None:
    """The name of the department or person `code` is the code or username of, if any."""
    if not re.fullmatch(r"[a-z][a-z0-9_.\-]{1,99}", code) or not current_app:
        return None
    from webapp import platform  # the pages' unit of work; i18n is imported before it exists

    try:
        p = platform()
        return dict(p.directory.department_choices()).get(code) or p.staff.display_names([code]).get(code)
    except SQLAlchemyError:  # an error page after a failed transaction: the code is better than nothing
        return None


def translate_fields(fields: dict[str, str]) -> dict[str, str]:
    return {name: translate(message) for name, message in fields.items()}


def label(obj: Any, attr: str = "label") -> str:
    """A form's or a choice's label in the reader's language (`label_en` when English and present)."""
    english = getattr(obj, f"{attr}_en", None)
    return english if english and is_english() else getattr(obj, attr)
