"""A believable centre for `lintel init --demo`, generated in memory and loaded through the import
(crm.estate.imports), as a centre would load its sales system's export: 江南府 (JNF, 杭州) with two phases,
ten buildings, 360 units with their layouts and areas, owners (some co-owned, one contact each), contracts
in every state — signed, handed over, cancelled, and a unit that changed hands — and 湖光里 (HGL, 苏州),
a smaller project still under construction. Names and numbers come from a fixed seed: every install gets
the same centre.

The five owners the demo complaints and the tests know (crm.demo.OWNERS) keep their names, phones, tiers and
units; no generated owner shares their names or phones.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from datetime import date, timedelta

from sqlalchemy.orm import Session

from crm.estate.import_files import read_table
from crm.estate.imports import Importer, ImportReport
from lintel.clock import Clock

SEED = 20261201
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏"
    "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志宏海燕雪梅晨阳欣怡子涵浩然宇轩"
    "梓萱思远嘉怡晓东文博俊杰佳琪雨桐一鸣欣然振华立新春雷秋云丹凤文静建平海波"
)
LAYOUTS = {
    "A1": ("客厅、餐厅、主卧、次卧、书房、厨房、卫生间、阳台", "118.60"),
    "B2": ("客厅、餐厅、主卧、次卧、厨房、卫生间、阳台", "89.30"),
    "C3": ("客厅、餐厅、主卧、次卧、次卧、书房、厨房、卫生间、卫生间、阳台", "143.20"),
}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_AREAS = ("330106", "330108", "330105", "320508", "310115", "110105")


def _csv(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


class _People:
    """Plausible, distinct names and numbers from one seeded generator."""

    def __init__(self, rng: random.Random, taken_names: set[str], taken_phones: set[str]) -> None:
        self.rng = rng
        self.names = set(taken_names)
        self.phones = set(taken_phones)

    def name(self) -> str:
        while True:
            given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
            name = self.rng.choice(SURNAMES) + given
            if name not in self.names:
                self.names.add(name)
                return name

    def phone(self) -> str:
        while True:
            phone = self.rng.choice(("139", "137", "186", "158", "189", "135", "150", "177")) + "".join(
                self.rng.choice("0123456789") for _ in range(8)
            )
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def id_number(self) -> str:
        born = date(1960, 1, 1) + timedelta(days=self.rng.randrange(40 * 365))
        body = f"{self.rng.choice(_AREAS)}{born:%Y%m%d}{self.rng.randrange(1000):03d}"
        total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True))
        return body + "10X98765432"[total % 11]


UNIT_HEAD = ["project_code", "building", "unit_number", "floor", "layout", "area_m2", "phase", "rooms"]
OWNER_HEAD = [
    "project_code",
    "building",
    "unit_number",
    "owner_name",
    "phone",
    "id_number",
    "is_contact",
    "tier",
]
CONTRACT_HEAD = [
    "project_code",
    "building",
    "unit_number",
    "contract_number",
    "signed_on",
    "planned_handover_on",
    "handed_over_on",
    "cancelled_on",
]


def files(demo_owners: list[tuple[str, str, str, tuple[str, str]]]) -> Iterator[tuple[str, bytes]]:
    """The import files, in the order a centre loads them: (kind, CSV)."""
    rng = random.Random(SEED)
    known = {(b, u): (name, phone, tier) for name, phone, tier, (b, u) in demo_owners}
    people = _People(rng, {o[0] for o in demo_owners}, {o[1] for o in demo_owners})
    yield (
        "projects",
        _csv(
            [
                ["project_code", "project_name", "city", "phases"],
                ["JNF", "江南府", "杭州", "一期、二期"],
                ["HGL", "湖光里", "苏州", "一期"],
            ]
        ),
    )
    units: list[list[object]] = [UNIT_HEAD]
    sold: list[tuple[str, str, str, str]] = []  # project, building, unit, phase
    for project, buildings, floors, phases in (("JNF", 10, 18, ("一期", "二期")), ("HGL", 2, 11, ("一期",))):
        for b in range(1, buildings + 1):
            phase = phases[0] if b <= 5 else phases[-1]
            for floor in range(2, floors + 1):
                for door in (1, 2):
                    layout = ("A1", "B2", "C3")[(b + door) % 3] if project == "JNF" else "B2"
                    rooms, area = LAYOUTS[layout]
                    number = f"{floor:02d}{door:02d}"
                    units.append([project, f"{b}栋", number, floor, layout, area, phase, rooms])
                    sold.append((project, f"{b}栋", number, phase))
    yield "units", _csv(units)

    contracts: list[list[object]] = [CONTRACT_HEAD]
    owners: list[list[object]] = [OWNER_HEAD]
    cancelled: list[list[object]] = [CONTRACT_HEAD]
    transfers: list[list[object]] = [CONTRACT_HEAD]
    new_owners: list[list[object]] = [OWNER_HEAD]
    for n, (project, building, number, phase) in enumerate(sold):
        demo = known.get((building, number)) if project == "JNF" else None
        if demo is None and rng.random() < 0.12:
            continue  # not sold yet
        signed = date(2023, 3, 1) + timedelta(days=rng.randrange(600))
        handed_over = project == "JNF" and phase == "一期"
        planned = (
            date(2025, 6, 30)
            if handed_over
            else date(2026, 12, 31)
            if project == "JNF"
            else date(2027, 6, 30)
        )
        handed = planned + timedelta(days=rng.randrange(20)) if handed_over else None
        contract = [
            project,
            building,
            number,
            f"{project}-{signed.year}-{n + 1:04d}",
            signed,
            planned,
            handed,
            "",
        ]
        contracts.append(contract)
        if demo is not None:
            owners.append([project, building, number, demo[0], demo[1], "", 1, demo[2]])
            continue
        owners.append([project, building, number, people.name(), people.phone(), people.id_number(), 1, ""])
        if rng.random() < 0.25:  # a co-owner (spouse), not the contact
            owners.append([project, building, number, people.name(), people.phone(), "", 0, ""])
        if not handed_over and len(cancelled) < 6 and rng.random() < 0.05:
            cancelled.append([*contract[:7], signed + timedelta(days=rng.randrange(30, 200))])
        elif handed_over and len(transfers) < 3 and rng.random() < 0.04:  # resold (二手转让) after handover
            resold = date(2026, 3, 1) + timedelta(days=rng.randrange(200))
            number_2 = f"{project}-{resold.year}-Z{len(transfers):03d}"
            transfers.append([project, building, number, number_2, resold, resold, resold, ""])
            new_owners.append(
                [project, building, number, people.name(), people.phone(), people.id_number(), 1, ""]
            )
    yield "contracts", _csv(contracts)
    yield "owners", _csv(owners)
    # Later news from the sales office: cancellations (退房) end their buyers' ownership, and units resold
    # end the earlier owners' (their requests stay theirs) before the new owners come in.
    yield "contracts", _csv(cancelled + transfers[1:])
    yield "owners", _csv(new_owners)


def load_centre(
    session: Session, clock: Clock, demo_owners: list[tuple[str, str, str, tuple[str, str]]]
) -> list[ImportReport]:
    """Import the generated files (flushes; the caller commits). Importing again changes nothing."""
    reports = []
    for kind, content in files(demo_owners):
        reports.append(Importer(session, clock).run(kind, read_table(f"{kind}.csv", content)))
        session.flush()
    return reports
