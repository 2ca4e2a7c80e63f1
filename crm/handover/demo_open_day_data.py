"""What the demo's open day holds (crm.handover.demo_open_day): the contractors that rectify, the defects
found unit by unit, and the plan each defect's rectification follows up to today."""

from __future__ import annotations

from dataclasses import dataclass

# The trades the defects need, in the order their companies are found: a company already on file that works
# in the trade (an imported contractor, the demo's own) takes the work; else the demo records one of these.
TRADES = ("土建", "防水", "门窗", "装饰装修", "给排水", "电气")
# name, trades, contact, phone
CONTRACTORS = (
    ("杭州宏达建设工程有限公司", ["土建"], "陈建国", "0571-86001001"),
    ("杭州固特防水工程有限公司", ["防水"], "何志宏", "0571-86001003"),
    ("浙江华窗门窗有限公司", ["门窗"], "郑立新", "0571-86001005"),
    ("浙江美居装饰工程有限公司", ["装饰装修"], "林晓东", "0571-86001002"),
    ("杭州顺通水电安装有限公司", ["给排水", "电气"], "徐海波", "0571-86001004"),
)
# A company with nobody to sign in gets a demo account (password 'demo'), named by its first trade.
ACCOUNTS = {
    "土建": "tujian",
    "防水": "fangshui",
    "门窗": "menchuang",
    "装饰装修": "zhuangshi",
    "给排水": "shuidian",
    "电气": "dianqi",
}
ENGINEER = "eng"  # rectifies some defects himself, and re-verifies every one
ASSIGNER = "eng_mgr"
CONFIRMER = "crc"  # records the owner's confirmation, in person

# Each plan: the steps after registration (hours, action); its days to rectify (None: the catalogue's).
PLANS: dict[str, tuple[tuple[tuple[float, str], ...], int | None]] = {
    "new": ((), None),
    "rectifying": (((4, "assign"),), 15),
    "overdue": (((3, "assign"),), 3),
    "confirming": (((2, "assign"), (70, "rectify"), (120, "pass")), None),
    "closed": (((2, "assign"), (50, "rectify"), (74, "pass"), (100, "confirm")), None),
    "failed_once": (((2, "assign"), (48, "rectify"), (72, "fail"), (140, "rectify")), None),
    "failed_twice": (((2, "assign"), (40, "rectify"), (60, "fail"), (100, "rectify"), (130, "fail")), None),
}
RECTIFIED = {
    "土建": "已铲除空鼓、开裂部位重新批荡找平，养护后复涂面漆。",
    "门窗": "已重新调整门窗扇并更换五金件，打胶密封，淋水试验无渗漏。",
    "给排水": "已疏通管道并更换接头密封圈，通水试验正常。",
    "电气": "已检查线路并更换损坏器件，逐一通电测试正常。",
    "装饰装修": "已更换损坏饰面并修补，与周边颜色一致。",
    "公共部位": "已加固扶手立杆并补焊，复查牢固。",
}
FAILED = ("复验时仍可见修补痕迹，且局部仍有问题，请重新处理。", "淋水后仍有少量渗水，需彻底处理。")


@dataclass(frozen=True)
class DemoDefect:
    unit: int | None  # which of the walked units (None: the second building's common parts)
    what: tuple[str, str, str]  # category, part, item (the catalogue's)
    room: str
    description: str
    plan: str
    spot: tuple[float, float]
    by_engineer: bool = False  # engineering's own engineer rectifies it, no contractor


DEFECTS = (
    # Two units whose defects are all closed: ready for handover.
    DemoDefect(
        0,
        ("土建", "墙面", "空鼓"),
        "客厅",
        "客厅东墙距地1.2米处空鼓，约0.5平方米，敲击有空响。",
        "closed",
        (0.22, 0.4),
    ),
    DemoDefect(
        0, ("门窗", "外窗", "五金件松动"), "主卧", "主卧外窗执手松动，开启时晃动。", "closed", (0.78, 0.2)
    ),
    DemoDefect(
        1,
        ("给排水", "地漏", "排水不畅"),
        "卫生间",
        "卫生间地漏排水慢，淋浴五分钟后地面积水。",
        "closed",
        (0.6, 0.7),
    ),
    DemoDefect(
        1,
        ("装饰装修", "墙面涂料", "污染、色差"),
        "次卧",
        "次卧墙面有明显色差，靠窗一侧偏黄。",
        "closed",
        (0.3, 0.25),
        by_engineer=True,
    ),
    DemoDefect(
        2,
        ("土建", "墙面", "开裂"),
        "客厅",
        "客厅与餐厅交界处墙面竖向裂缝，长约80厘米。",
        "confirming",
        (0.45, 0.5),
    ),
    DemoDefect(
        2, ("电气", "插座", "不通电"), "厨房", "厨房操作台上方两个插座不通电。", "failed_once", (0.7, 0.8)
    ),
    DemoDefect(
        2,
        ("门窗", "入户门", "变形、关闭不严"),
        "入户",
        "入户门关闭时需用力推，门框上方缝隙偏大。",
        "new",
        (0.05, 0.9),
    ),
    DemoDefect(
        3,
        ("土建", "顶棚", "渗漏"),
        "卫生间",
        "卫生间顶棚靠管井处有水渍，疑似楼上渗漏。",
        "failed_twice",
        (0.62, 0.66),
    ),
    DemoDefect(
        3,
        ("装饰装修", "瓷砖", "空鼓、破损"),
        "厨房",
        "厨房墙砖三块空鼓，其中一块边角破损。",
        "overdue",
        (0.72, 0.82),
    ),
    DemoDefect(
        3, ("给排水", "下水管", "堵塞"), "阳台", "阳台洗衣机下水管堵塞，倒水后不下。", "closed", (0.9, 0.1)
    ),
    DemoDefect(
        4, ("门窗", "外窗", "渗漏"), "主卧", "主卧飘窗窗框下沿渗水，窗台有水迹。", "overdue", (0.8, 0.15)
    ),
    DemoDefect(4, ("土建", "地面", "起砂"), "次卧", "次卧地面起砂，踩踏有粉尘。", "rectifying", (0.3, 0.3)),
    DemoDefect(
        4,
        ("电气", "开关", "松动、失灵"),
        "客厅",
        "客厅主灯开关松动，按下后偶尔不回弹。",
        "confirming",
        (0.15, 0.55),
    ),
    DemoDefect(
        5,
        ("装饰装修", "木地板", "起拱、异响"),
        "主卧",
        "主卧木地板靠床头位置起拱，走动有异响。",
        "failed_once",
        (0.75, 0.3),
    ),
    DemoDefect(
        5,
        ("给排水", "卫生间", "闭水试验渗漏"),
        "卫生间",
        "卫生间闭水试验后楼下顶棚出现湿痕。",
        "rectifying",
        (0.6, 0.7),
    ),
    DemoDefect(
        5, ("土建", "墙面", "渗水"), "客厅", "客厅外墙内侧雨后渗水，墙面潮湿发霉。", "new", (0.1, 0.45)
    ),
    DemoDefect(
        6,
        ("装饰装修", "橱柜", "门板不平、损坏"),
        "厨房",
        "橱柜吊柜门板关闭后不平齐，一扇合页松脱。",
        "closed",
        (0.7, 0.85),
    ),
    DemoDefect(6, ("土建", "墙面", "空鼓"), "主卧", "主卧床头墙空鼓约0.3平方米。", "overdue", (0.82, 0.25)),
    DemoDefect(
        6,
        ("门窗", "外窗", "玻璃划伤、破损"),
        "客厅",
        "客厅推拉门玻璃有一道长约20厘米划痕。",
        "confirming",
        (0.2, 0.1),
    ),
    DemoDefect(
        7,
        ("电气", "配电箱", "标识不清"),
        "入户",
        "配电箱回路标识缺失，无法区分照明与插座回路。",
        "closed",
        (0.05, 0.8),
        by_engineer=True,
    ),
    DemoDefect(7, ("给排水", "给水管", "渗漏"), "厨房", "厨房水槽下给水管接头渗水。", "new", (0.68, 0.86)),
    DemoDefect(
        None, ("公共部位", "楼梯间", "扶手松动"), "楼梯间", "3层至4层楼梯扶手松动。", "rectifying", (0.5, 0.5)
    ),
)
