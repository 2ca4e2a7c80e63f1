"""The English messages of crm.handover's checks (defects, walks, inspections, the catalogue) in the
reader's language, on top of the common table in webapp.i18n."""

from __future__ import annotations

import re

from flask_babel import gettext as _

from webapp import i18n

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"^give the unit \(or the building, for its common parts\)$"),
        "请选择房号（公共部位请选择楼栋）",
    ),
    (re.compile(r"^the unit is not in this building$"), "该房号不在此楼栋"),
    (re.compile(r"^this walk is of another unit$"), "这次验房是另一个房号的"),
    (re.compile(r"^this inspection is of another project$"), "这个验房批次属于另一个项目"),
    (re.compile(r"^not found$"), "不存在"),
    (re.compile(r"^must be an id$"), "编号无效"),
    (
        re.compile(r"^required \(up to (\d+) characters\), or a catalogue item$"),
        "必填（最多 {0} 个字），或从缺陷库选择",
    ),
    (re.compile(r"^must be a whole number of days from 1 to (\d+)$"), "请填写 1 到 {0} 之间的整天数"),
    (re.compile(r"^must be a fraction of the floor plan from 0 to 1$"), "位置须在户型图范围内（0 到 1）"),
    (re.compile(r"^give both coordinates$"), "请同时给出横、纵两个坐标"),
    (re.compile(r"^must be text of at most (\d+) characters$"), "最多 {0} 个字"),
    (re.compile(r"^must be one of: minor, normal, serious$"), "请选择严重程度（一般、较重、严重）"),
    (re.compile(r"^must be one of: self_check, open_day, handover, other$"), "请选择来源"),
    (re.compile(r"^must be one of: self_check, open_day, handover$"), "请选择验房类型"),
    (re.compile(r"^the unit is not in a building of this inspection$"), "该房号不在本批次的楼栋中"),
    (re.compile(r"^this walk's list is already signed$"), "这份缺陷清单已经签字确认"),
    (re.compile(r"^draw the signature \(a PNG image\)$"), "请在签字区内签名"),
    (re.compile(r"^the signature image is too large$"), "签名图片过大"),
    (re.compile(r"^must not be before the first day$"), "不能早于开始日期"),
    (re.compile(r"^a session lasts at most (\d+) days$"), "一个批次最长 {0} 天"),
    (re.compile(r"^must be a list of building ids$"), "楼栋选择无效"),
    (re.compile(r"^choose at least one building$"), "请至少选择一栋楼"),
    (re.compile(r"^not a building of this project$"), "不是本项目的楼栋"),
    (re.compile(r"^must be a list of usernames$"), "验房人员选择无效"),
    (re.compile(r"^not an inspector: (.+)$"), "不是验房人员：{0}"),
    (
        re.compile(r"^the catalogue already has this item under this category and part$"),
        "缺陷库中已有相同类别、部位的这一项",
    ),
    (re.compile(r"^send at least one photo$"), "请至少选择一张照片"),
    (re.compile(r"^at most (\d+) photos at a time$"), "一次最多 {0} 张照片"),
    (re.compile(r"^a photo id is 1 to 64 letters, digits, - or _$"), "照片编号无效"),
    (re.compile(r"^inspection \d+ does not exist$"), "验房批次不存在"),
    (re.compile(r"^walk \d+ does not exist$"), "验房记录不存在"),
    (re.compile(r"^defect \d+ does not exist$"), "缺陷不存在"),
    (re.compile(r"^catalogue item \d+ does not exist$"), "缺陷库条目不存在"),
]


def translate(message: str) -> str:
    if i18n.is_english():
        return message
    for pattern, template in _PATTERNS:
        match = pattern.match(message)
        if match is not None:
            return template.format(*match.groups())
    return i18n.translate(message)


def translate_fields(fields: dict[str, str]) -> dict[str, str]:
    return {name: translate(message) for name, message in fields.items()}


def problems_heading() -> str:
    return _("请修改标出的内容后再提交。")
