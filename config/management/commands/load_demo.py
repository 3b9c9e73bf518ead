"""`manage.py load_demo`: a realistic Yên Bái-style data set (SPEC §6).

A province with departments, Yên Bái city with its wards and communes and a neighbouring district, officials,
leaders and an appraiser with known demo logins; the 2019 and 2020 commune criteria sets (and one for the
current year, so reminders are live); plan 36/KH-UBND on administrative discipline and the annual CCHC plan,
each issued by the city and by Trấn Yên for their own communes (a plan reaches only its owner's subtree), and
a provincial plan for every commune, with tasks in every state and evidence files. Everything goes through
the services, so the history, the outbox and the scores are what real use would produce.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from criteria import services as criteria_services
from criteria.models import CriteriaSet
from org import services as org_services
from org.calendar import get_calendar
from org.models import Unit, User
from plans import services as plan_services
from scoring import services as scoring_services
from tasks import services as task_services
from tasks.models import Outbox

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PASSWORD = "Demo@2026"
DATA = Path(__file__).resolve().parents[3] / "criteria" / "data" / "criteria-commune-2020.yaml"

WARDS = [
    ("YB-DT", "Phường Đồng Tâm"),
    ("YB-HH", "Phường Hồng Hà"),
    ("YB-MT", "Phường Minh Tân"),
    ("YB-NP", "Phường Nguyễn Phúc"),
    ("YB-NTH", "Phường Nguyễn Thái Học"),
    ("YB-YN", "Phường Yên Ninh"),
    ("YB-YT", "Phường Yên Thịnh"),
    ("YB-TT", "Xã Tân Thịnh"),
    ("YB-GP", "Xã Giới Phiên"),
    ("YB-AL", "Xã Âu Lâu"),
]
TRAN_YEN = [("TY-CL", "Xã Cường Thịnh"), ("TY-BH", "Xã Bảo Hưng"), ("TY-MQ", "Xã Minh Quân")]
DEPARTMENTS = [
    ("YB-SNV", "Sở Nội vụ"),
    ("YB-STP", "Sở Tư pháp"),
    ("YB-STTTT", "Sở Thông tin và Truyền thông"),
]

TASK_TITLES = {
    "1.1.1": "Ban hành kế hoạch CCHC năm",
    "1.2.1": "Gửi báo cáo CCHC định kỳ",
    "1.3": "Kiểm tra công tác CCHC và xử lý sau kiểm tra",
    "1.4": "Thực hiện kế hoạch tuyên truyền CCHC",
    "1.5": "Thực hiện nhiệm vụ cấp trên giao",
    "1.6": "Đề xuất sáng kiến CCHC",
    "2.1": "Ban hành văn bản đúng thẩm quyền, trình tự",
    "2.2": "Rà soát, hệ thống hóa văn bản QPPL",
    "3.1": "Công khai TTHC tại Bộ phận một cửa và trên cổng thông tin",
    "3.2": "Báo cáo tỷ lệ hồ sơ TTHC giải quyết đúng hạn",
    "3.4": "Tiếp nhận, xử lý phản ánh kiến nghị",
    "3.5": "Số hóa hồ sơ, kết quả giải quyết TTHC",
    "3.6": "Tiếp nhận, trả kết quả qua bưu chính công ích và DVC trực tuyến toàn trình",
    "4.1": "Ban hành quy chế làm việc",
    "4.3": "Bố trí công chức làm việc tại Bộ phận một cửa",
    "5.1": "Chấp hành kỷ luật, kỷ cương hành chính (Kế hoạch 36/KH-UBND)",
    "5.2": "Báo cáo tỷ lệ công chức đạt chuẩn",
    "5.3": "Đào tạo, bồi dưỡng cán bộ, công chức theo kế hoạch",
    "5.4": "Đánh giá, xếp loại công chức",
    "6.1": "Báo cáo thu ngân sách so với dự toán",
    "6.2": "Công khai ngân sách",
    "7.1": "Trao đổi văn bản, ký số trên môi trường điện tử",
    "7.2": "Sử dụng phần mềm quản lý văn bản, giao và nhắc việc",
    "7.3": "Báo cáo tỷ lệ hồ sơ TTHC trực tuyến",
    "7.4": "Báo cáo tỷ lệ thanh toán trực tuyến",
    "8.1": "Báo cáo thực hiện chỉ tiêu phát triển kinh tế - xã hội",
    "8.2": "Báo cáo tỷ lệ hài lòng qua đánh giá điện tử",
}
METRIC_RANGES = {
    "3.2": (94, 100),
    "3.5": (60, 100),
    "3.6": (40, 90),
    "5.2": (85, 100),
    "6.1": (85, 110),
    "7.1": (65, 98),
    "7.3": (20, 60),
    "7.4": (10, 40),
    "8.1": (75, 105),
    "8.2": (80, 99),
}
DISCIPLINE = [
    "Kiểm tra việc chấp hành giờ giấc làm việc",
    "Niêm yết công khai quy tắc ứng xử tại trụ sở",
    "Báo cáo kết quả thực hiện Kế hoạch 36/KH-UBND",
]


def _pdf(title: str) -> bytes:
    text = re.sub(r"[^A-Za-z0-9 ./-]", "", title)[:60]
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
        b"endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>endobj\n"
        b"4 0 obj<</Length 44>>stream\nBT /F1 12 Tf 72 760 Td (" + text.encode() + b") Tj ET\nendstream\n"
        b"endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)


class Command(BaseCommand):
    help = (
        "Load the Yên Bái demo data set (units, users, criteria sets, plans, tasks in every state, scores)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when units already exist.")
        parser.add_argument("--seed", type=int, default=2020)

    def handle(self, *args, if_empty=False, seed=2020, **options):
        if Unit.objects.exists():
            if if_empty:
                self.stdout.write("Demo data already loaded.")
                self._print_logins()
                return
            raise CommandError("The database already has units; load_demo only fills an empty database.")
        self.rng = random.Random(seed)
        self.today = timezone.localdate()
        self.calendar = get_calendar()
        with transaction.atomic():
            self._org()
            self._criteria_sets()
            self._history_year(self.sets[2019], 2019)
            self._history_year(self.sets[2020], 2020)
            self._current_year()
            # The demo's past is history, not news: no notices or queued work for it.
            Outbox.objects.all().delete()
        for cs in CriteriaSet.objects.order_by("year"):
            scoring_services.scores_recompute(criteria_set=cs)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {Unit.objects.count()} units, {User.objects.count()} users, "
                f"{CriteriaSet.objects.count()} criteria sets."
            )
        )
        self._print_logins()

    # --- organisation ---------------------------------------------------------------------------------
    def _org(self):
        u = org_services.unit_create
        self.province = u(code="YB", name="Tỉnh Yên Bái", kind="province")
        self.departments = [
            u(code=c, name=n, kind="department", parent=self.province) for c, n in DEPARTMENTS
        ]
        self.city = u(code="YB-TP", name="Thành phố Yên Bái", kind="district", parent=self.province)
        self.tranyen = u(code="YB-TY", name="Huyện Trấn Yên", kind="district", parent=self.province)
        self.communes = [u(code=c, name=n, kind="commune", parent=self.city) for c, n in WARDS]
        self.others = [u(code=c, name=n, kind="commune", parent=self.tranyen) for c, n in TRAN_YEN]
        mk = org_services.user_create
        self.logins = []

        def user(username, full_name, memberships, note, **kw):
            usr = mk(
                username=username,
                password=PASSWORD,
                full_name=full_name,
                email=f"{username}@yenbai.gov.vn",
                memberships=memberships,
                **kw,
            )
            self.logins.append((username, note))
            return usr

        user("admin", "Quản trị hệ thống", [], "quản trị (superuser)", is_superuser=True)
        self.province_leader = user(
            "lanhdao.tinh", "Trần Huy Tuấn", [(self.province, "leader")], "lãnh đạo UBND tỉnh"
        )
        user(
            "thamdinh",
            "Nguyễn Thị Hoa",
            [(self.province, "appraiser"), (self.departments[0], "official")],
            "thẩm định viên, Sở Nội vụ",
        )
        self.city_leader = user(
            "lanhdao.tp", "Nguyễn Minh Tuấn", [(self.city, "leader")], "lãnh đạo UBND thành phố Yên Bái"
        )
        user("chuyenvien.tp", "Lê Thu Trang", [(self.city, "official")], "chuyên viên Phòng Nội vụ thành phố")
        self.tranyen_leader = user(
            "lanhdao.ty", "Hà Văn Thắng", [(self.tranyen, "leader")], "lãnh đạo UBND huyện Trấn Yên"
        )
        self.officials, self.leaders = {}, {}
        names = [
            "Phạm Văn Hùng",
            "Đỗ Thị Lan",
            "Hoàng Văn Nam",
            "Vũ Thị Mai",
            "Bùi Đức Long",
            "Đặng Thu Hà",
            "Ngô Văn Bình",
            "Lý Thị Nga",
            "Trịnh Văn Sơn",
            "Phan Thị Yến",
            "Mai Văn Đức",
            "Tạ Thị Hằng",
            "Cao Văn Tú",
        ]
        for i, unit in enumerate(self.communes + self.others):
            slug = unit.code.split("-")[1].lower()
            self.officials[unit.pk] = mk(
                username=f"canbo.{slug}",
                password=PASSWORD,
                full_name=names[i],
                email=f"canbo.{slug}@yenbai.gov.vn",
                memberships=[(unit, "official")],
            )
            self.leaders[unit.pk] = mk(
                username=f"lanhdao.{slug}",
                password=PASSWORD,
                full_name=f"Chủ tịch {unit.name}",
                email=f"lanhdao.{slug}@yenbai.gov.vn",
                memberships=[(unit, "leader")],
            )
        self.logins.append(("canbo.dt", "cán bộ Phường Đồng Tâm (và canbo.<mã> cho mỗi xã, phường)"))
        self.logins.append(("lanhdao.dt", "lãnh đạo Phường Đồng Tâm (và lanhdao.<mã>)"))
        self.admin = User.objects.get(username="admin")

    # --- criteria sets ----------------------------------------------------------------------------------
    def _criteria_sets(self):
        source = DATA.read_text(encoding="utf-8")
        self.sets = {}
        for year in sorted({2019, 2020, self.today.year}):
            text = (
                source
                if year == 2020
                else (
                    source.replace("code: XA-2020", f"code: XA-{year}")
                    .replace("năm 2020", f"năm {year}")
                    .replace("year: 2020", f"year: {year}")
                    .replace(
                        "period: {start: 2019-12-15, end: 2020-12-14}",
                        f"period: {{start: {year - 1}-12-15, end: {year}-12-14}}",
                    )
                )
            )
            self.sets[year] = criteria_services.criteria_set_import(data=text)

    def _task_leaves(self, cs):
        return [
            c
            for c in cs.criteria.filter(rule__isnull=False).order_by("order")
            if c.rule["type"] not in ("survey", "manual") and c.code in TASK_TITLES
        ]

    # --- a past year: mostly approved, some late, a few never done ------------------------------------
    def _district_plans(self, *, number, title, year, issued_on, criteria_set=None) -> dict:
        """The same plan issued by the city and by Trấn Yên, each for its own communes (a plan reaches only
        its owner's subtree, SPEC §1): {district id: plan}. `title` takes the district's name."""
        plans = {}
        for district, leader, name in (
            (self.city, self.city_leader, "UBND thành phố Yên Bái"),
            (self.tranyen, self.tranyen_leader, "UBND huyện Trấn Yên"),
        ):
            plan = plan_services.plan_create(
                actor=leader,
                owner_unit=district,
                number=number,
                title=title.format(owner=name),
                year=year,
                issued_on=issued_on,
                criteria_set=criteria_set,
            )
            if issued_on is not None:
                plan_services.plan_issue(actor=leader, plan=plan, now=_at(issued_on))
            plans[district.pk] = plan
        return plans

    def _leader_of(self, plan):
        return self.tranyen_leader if plan.owner_unit_id == self.tranyen.pk else self.city_leader

    def _history_year(self, cs, year):
        plans = self._district_plans(
            number=f"{12 + year % 10}/KH-UBND",
            title=f"Kế hoạch cải cách hành chính năm {year} của {{owner}}",
            year=year,
            issued_on=dt.date(year - 1, 12, 20),
            criteria_set=cs,
        )
        quality = {u.pk: self.rng.uniform(0.6, 0.98) for u in self.communes + self.others}
        quality[self.communes[0].pk] = 0.97 if year == 2020 else 0.9  # Đồng Tâm leads, as in the seed
        for unit in self.communes + self.others:
            for leaf in self._task_leaves(cs):
                due = dt.date(year, self.rng.randint(3, 11), self.rng.randint(1, 28))
                roll = self.rng.random()
                if roll < quality[unit.pk]:
                    fate = "approved"
                elif roll < quality[unit.pk] + 0.12:
                    fate = "late"
                else:
                    fate = "in_progress"
                self._make_task(plans[unit.parent_id], unit, leaf, due=due, fate=fate, year=year)
        self._survey_and_appraisals(cs, quality)

    def _survey_and_appraisals(self, cs, quality):
        rows = ["unit_code,criterion_code,points"]
        for unit in self.communes + self.others:
            q = quality[unit.pk]
            rows.append(f"{unit.code},9.1,{Decimal(str(round(6 + 4 * q, 2)))}")
            rows.append(f"{unit.code},9.2,{Decimal(str(round(12 + 8 * q, 2)))}")
        appraiser = User.objects.get(username="thamdinh")
        scoring_services.survey_import(actor=appraiser, criteria_set=cs, data="\n".join(rows).encode())
        for unit in self.communes + self.others:
            for code, mx in (("1.2.2", 1), ("4.2", 2), ("6.3", 2), ("8.3", 2)):
                pts = Decimal(mx) if self.rng.random() < quality[unit.pk] else Decimal(mx) / 2
                scoring_services.appraisal_set(
                    actor=appraiser,
                    criteria_set=cs,
                    unit=unit,
                    code=code,
                    points=pts,
                    note="Hồ sơ đầy đủ" if pts == mx else "Thiếu tài liệu kiểm chứng",
                )

    # --- the current year: tasks in every state, around today -----------------------------------------
    def _current_year(self):
        year = self.today.year
        cs = self.sets[year]
        annual = self._district_plans(
            number="271/KH-UBND",
            title=f"Kế hoạch cải cách hành chính năm {year} của {{owner}}",
            year=year,
            issued_on=dt.date(year - 1, 12, 16),
            criteria_set=cs,
        )
        discipline = self._district_plans(
            number="36/KH-UBND",
            title="Kế hoạch tăng cường kỷ luật, kỷ cương hành chính trong cơ quan hành chính nhà nước",
            year=year,
            issued_on=dt.date(year, 2, 25),
            criteria_set=cs,
        )
        draft_plan = plan_services.plan_create(
            actor=self.city_leader,
            owner_unit=self.city,
            number="305/KH-UBND",
            year=year,
            title="Kế hoạch kiểm tra công tác CCHC quý IV (dự thảo)",
        )
        # The province assigns to the city's communes too (criterion 1.5: tasks from a higher level).
        provincial = plan_services.plan_create(
            actor=self.province_leader,
            owner_unit=self.province,
            number="88/KH-UBND",
            year=year,
            criteria_set=cs,
            title="Kế hoạch triển khai Đề án 06 về dữ liệu dân cư, định danh điện tử",
            issued_on=dt.date(year, 3, 10),
        )
        plan_services.plan_issue(actor=self.province_leader, plan=provincial, now=_at(dt.date(year, 3, 10)))

        fates = [
            "approved",
            "approved",
            "approved",
            "late",
            "submitted",
            "returned",
            "in_progress",
            "in_progress",
            "assigned",
            "overdue",
            "overdue",
            "cancelled",
            "draft",
            "due_soon",
            "due_soon",
            "due_soon",
        ]
        leaves = self._task_leaves(cs)
        for i, unit in enumerate(self.communes + self.others):
            for j, leaf in enumerate(leaves):
                fate = fates[(i * 7 + j) % len(fates)]
                if fate in ("approved", "late"):
                    due = self.today - dt.timedelta(days=self.rng.randint(10, 200))
                elif fate == "overdue":
                    due = self.today - dt.timedelta(days=self.rng.randint(1, 30))
                elif fate == "due_soon":
                    due = self.calendar.add_working_days(self.today, self.rng.choice([0, 1, 3, 7]))
                else:
                    due = self.today + dt.timedelta(days=self.rng.randint(5, 60))
                self._make_task(annual[unit.parent_id], unit, leaf, due=due, fate=fate, year=year)
            for k, title in enumerate(DISCIPLINE):
                due = self.calendar.add_working_days(self.today, [-4, 2, 12][k])
                leaf = cs.criteria.get(code="5.1")
                self._make_task(
                    discipline[unit.parent_id],
                    unit,
                    leaf,
                    due=due,
                    fate=["in_progress", "assigned", "approved"][k],
                    year=year,
                    title=title,
                )
            leaf = cs.criteria.get(code="1.5")
            self._make_task(
                provincial,
                unit,
                leaf,
                due=self.calendar.add_working_days(self.today, 5 + i % 4),
                fate="in_progress" if i % 2 else "assigned",
                year=year,
                title="Thu thập, làm sạch dữ liệu dân cư trên địa bàn",
                leader=self.province_leader,
            )
        parent = task_services.task_create(
            actor=self.city_leader,
            plan=draft_plan,
            title="Kiểm tra CCHC tại các phường",
            assignee_unit=self.city,
            due_date=self.today + dt.timedelta(days=30),
        )
        for unit in self.communes[:3]:
            task_services.task_create(
                actor=self.city_leader,
                plan=draft_plan,
                parent=parent,
                assignee_unit=unit,
                title=f"Tự kiểm tra CCHC tại {unit.name}",
                due_date=self.today + dt.timedelta(days=20),
            )

    # --- one task, driven through its life by the services -------------------------------------------
    def _make_task(self, plan, unit, leaf, *, due, fate, year, title=None, leader=None):
        leader = leader or self._leader_of(plan)
        official = self.officials[unit.pk]
        title = title or TASK_TITLES[leaf.code]
        start = min(due - dt.timedelta(days=self.rng.randint(20, 60)), due)
        created = _at(max(start - dt.timedelta(days=3), plan.issued_on or start))
        t = task_services.task_create(
            actor=leader,
            plan=plan,
            title=title,
            assignee_unit=unit,
            lead=official if self.rng.random() < 0.6 else None,
            start_date=start,
            due_date=due,
            criterion_code=leaf.code,
            priority=self.rng.choice(["normal", "normal", "high", "urgent"]),
            description=f"Thực hiện theo {plan.number}. Tiêu chí {leaf.code}: {leaf.title}.",
            now=created,
        )
        if fate == "draft":
            return t
        if fate == "cancelled":
            task_services.task_cancel(
                actor=leader, task=t, reason="Nhiệm vụ được lồng ghép vào kế hoạch khác", now=created
            )
            return t
        task_services.task_assign(actor=leader, task=t, now=created)
        if fate == "assigned" or fate == "due_soon" and self.rng.random() < 0.4:
            return t
        started = _at(start)
        task_services.task_start(actor=official, task=t, now=started)
        if fate in ("in_progress", "overdue", "due_soon"):
            task_services.task_report_progress(
                actor=official, task=t, progress=self.rng.choice([10, 30, 60, 80]), now=started
            )
            return t
        eff = self.calendar.next_working_day(due)
        submit_day = (
            eff - dt.timedelta(days=self.rng.randint(0, 10))
            if fate != "late"
            else eff + dt.timedelta(days=self.rng.randint(2, 20))
        )
        submit_day = max(submit_day, start)
        if fate != "late" and submit_day > self.today:
            submit_day = self.today
        metric = None
        if leaf.code in METRIC_RANGES:
            lo, hi = METRIC_RANGES[leaf.code]
            metric = Decimal(str(round(self.rng.uniform(lo, hi), 1)))
        doc_no = f"{self.rng.randint(10, 450)}/BC-UBND"
        task_services.evidence_add(
            actor=official,
            task=t,
            file=SimpleUploadedFile(f"{doc_no.replace('/', '-')}.pdf", _pdf(title)),
            doc_number=doc_no,
            doc_date=submit_day,
            description=title,
            metric_value=metric,
            now=_at(submit_day, 8),
        )
        task_services.task_submit(actor=official, task=t, now=_at(submit_day, 10))
        if fate == "submitted":
            return t
        if fate == "returned":
            task_services.task_return(
                actor=leader,
                task=t,
                reason="Tài liệu kiểm chứng chưa có chữ ký, đóng dấu",
                now=_at(submit_day, 15),
            )
            return t
        task_services.task_approve(actor=leader, task=t, now=_at(submit_day, 16))
        return t

    def _print_logins(self):
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {PASSWORD}):")
        logins = getattr(self, "logins", None) or [
            ("admin", "quản trị"),
            ("lanhdao.tinh", "lãnh đạo tỉnh"),
            ("thamdinh", "thẩm định viên"),
            ("lanhdao.tp", "lãnh đạo thành phố"),
            ("chuyenvien.tp", "chuyên viên thành phố"),
            ("canbo.dt", "cán bộ Phường Đồng Tâm"),
            ("lanhdao.dt", "lãnh đạo Phường Đồng Tâm"),
        ]
        for username, note in logins:
            self.stdout.write(f"  {username:<16} {note}")
        self.stdout.write("Open http://127.0.0.1:8000/ (API docs: /api/docs/, admin: /admin/)")
