"""A campaign's results as an XLSX workbook: one sheet per table of the results page, and 回访明细 with one
row per visit and a column per question (every answer, labels not codes), streamed a chunk of visits at a
time (openpyxl write-only: 50,000 visits never sit in memory as cells)."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO

from crm.handover.report_book import Column, Sheet, generated_line, new_book, ratio, save
from crm.visits.results import CampaignResults, Results, kind_of

VISIT_STATUS = {
    "queued": "待发起",
    "open": "进行中",
    "answered": "已完成",
    "given_up": "未能联系",
    "refused": "拒绝回访",
    "cancelled": "已取消",
}
OUTCOME = {
    "answered": "已接通并完成问卷",
    "no_answer": "无人接听",
    "busy": "占线/不便",
    "refused": "拒绝回访",
    "wrong_number": "号码错误",
}
METHOD = {"phone": "电话回访", "home": "上门回访", "event": "活动现场", "online": "在线问卷"}
COMPLAINT_STATUS = {
    "registered": "已登记",
    "triage": "待分派",
    "handle": "处理中",
    "reply": "待答复",
    "confirm": "待业主确认",
    "closed": "已办结",
    "error": "处理中",
    "cancelled": "已取消",
}


def complaint_status(status: str | None) -> str:
    return COMPLAINT_STATUS.get(status or "", "处理中") if status else ""


def workbook(service: CampaignResults, results: Results, now: datetime) -> bytes:
    campaign = results.campaign
    scope = generated_line(
        f"{campaign.name}（{METHOD.get(campaign.method, campaign.method)}，"
        f"{campaign.questionnaire.title} 第 {campaign.questionnaire.version} 版）",
        now,
    )
    book = new_book()

    summary = Sheet(
        book,
        "概况",
        "回访结果概况",
        scope,
        [Column("指标", 28), Column("数值", 12), Column("占回访总数", 12, "pct")],
    )
    summary.row(["回访总数", results.total, None])
    for status, label in VISIT_STATUS.items():
        count = results.by_status.get(status, 0)
        summary.row([label, count, ratio(count, results.total)])
    summary.row(["回访成功率（已完成 ÷ 回访总数）", None, ratio(results.answered, results.total)], total=True)
    summary.row(
        ["不满意（已生成投诉）", results.dissatisfied_count, ratio(results.dissatisfied_count, results.total)]
    )
    if results.nps is not None and results.nps.score is not None:
        summary.row(["净推荐值（推荐者% − 贬损者%）", results.nps.score, None])

    attempts = Sheet(
        book,
        "回访次数",
        "回访次数分布",
        scope,
        [Column("结果", 24), Column("回访数", 12), Column("占比", 10, "pct")],
    )
    for n, count in results.reached_on.items():
        label = "在线作答" if n == 0 else f"第 {n} 次接通"
        if n == 0 and count == 0:
            continue
        attempts.row([label, count, ratio(count, results.total)])
    attempts.row(["未能联系", results.given_up, ratio(results.given_up, results.total)])
    attempts.row(["拒绝回访", results.refused, ratio(results.refused, results.total)])
    attempts.row(["尚未完成", results.open, ratio(results.open, results.total)])

    ratings = [q for q in results.questions if q.kind == "rating"]
    if ratings:
        top = max(max(q.distribution) for q in ratings)
        scores = Sheet(
            book,
            "各题评分",
            "各题平均分与分布",
            scope,
            [Column("题目", 36), Column("作答数", 10, "int"), Column("平均分", 10, "days")]
            + [Column(f"{n} 分", 8, "int") for n in range(1, top + 1)],
        )
        for q in ratings:
            counts = [q.distribution.get(n, 0) for n in range(1, top + 1)]
            scores.row([q.label, q.answers, q.average, *counts])

    nps_questions = [q for q in results.questions if q.kind == "nps"]
    for q in nps_questions:
        assert q.nps is not None
        nps = Sheet(
            book,
            "净推荐值",
            "推荐意愿（净推荐值）",
            scope,
            [Column("项目", 24), Column("人数", 10), Column("占比", 10, "pct")],
        )
        nps.row(["作答人数", q.nps.answers, None])
        nps.row(["推荐者（9–10 分）", q.nps.promoters, ratio(q.nps.promoters, q.nps.answers)])
        nps.row(["中立者（7–8 分）", q.nps.passives, ratio(q.nps.passives, q.nps.answers)])
        nps.row(["贬损者（0–6 分）", q.nps.detractors, ratio(q.nps.detractors, q.nps.answers)])
        nps.row(["净推荐值", q.nps.score, None], total=True)
        for n in range(0, 11):
            nps.row([f"{n} 分", q.distribution.get(n, 0), ratio(q.distribution.get(n, 0), q.nps.answers)])
        break

    choices = [q for q in results.questions if q.kind == "choice"]
    if choices:
        sheet = Sheet(
            book,
            "选项统计",
            "选择题各选项人数",
            scope,
            [Column("题目", 30), Column("选项", 20), Column("人数", 10), Column("占比", 10, "pct")],
        )
        for q in choices:
            for _value, label, count in q.choices:
                sheet.row([q.label, label, count, ratio(count, q.answers)])

    unhappy = Sheet(
        book,
        "不满意",
        "不满意回访及其投诉",
        scope,
        [
            Column("业主", 12),
            Column("房号", 24),
            Column("作答时间", 18, "datetime"),
            Column("最低分", 8),
            Column("投诉编号", 18),
            Column("投诉状态", 12),
        ],
    )
    for d in service.dissatisfied(campaign.id, limit=None):
        unhappy.row(
            [
                d.owner,
                d.place,
                d.answered_at,
                d.lowest_score,
                d.complaint_number or "",
                complaint_status(d.complaint_status),
            ]
        )

    comments = Sheet(
        book,
        "意见建议",
        "业主意见和建议",
        scope,
        [Column("业主", 12), Column("题目", 24), Column("内容", 80)],
    )
    for c in service.comments(campaign.id, results.form, limit=None):
        comments.row([c.owner, c.question, c.text])

    fields = list(results.form.fields)
    detail = Sheet(
        book,
        "回访明细",
        "每户回访及全部作答",
        scope,
        [
            Column("业主", 12),
            Column("项目", 14),
            Column("楼栋", 8),
            Column("房号", 8),
            Column("状态", 10),
            Column("回访员", 12),
            Column("回访次数", 8),
            Column("最后结果", 16),
            Column("作答时间", 18, "datetime"),
            Column("最低分", 8),
            Column("平均分", 8, "days"),
            Column("推荐意愿", 8),
            Column("不满意", 8),
            Column("投诉编号", 18),
        ]
        + [Column(f.label, 24 if kind_of(f) == "text" else 12) for f in fields],
    )
    for visit, answers in service.rows(campaign.id):
        cells = []
        for f in fields:
            answer = answers.get(f.name)
            if answer is None:
                cells.append(None)
            elif answer.score is not None:
                cells.append(answer.score)
            else:
                labels = {c.value: c.label for c in f.choices}
                if f.type == "yesno":
                    labels = {"yes": "是", "no": "否"}
                parts = (answer.value or "").split(",") if f.type == "multichoice" else [answer.value or ""]
                cells.append("、".join(labels.get(p, p) for p in parts))
        detail.row(
            [
                visit.owner,
                visit.project,
                visit.building,
                visit.unit,
                VISIT_STATUS.get(visit.status, visit.status),
                visit.visitor or "",
                visit.attempts,
                OUTCOME.get(visit.outcome or "", ""),
                visit.answered_at,
                visit.lowest_score,
                visit.average_score,
                visit.nps,
                "是" if visit.dissatisfied else "",
                visit.complaint or "",
                *cells,
            ]
        )
    out = BytesIO()
    save(book, out)
    return out.getvalue()
