"""The demo's organisation: the province, its departments, Yên Bái city and Trấn Yên with their communes, and
the people with known logins (a leader and an official for every commune), created through the org services.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from org import services as org_services
from org.models import Unit, User

from .data import DEPARTMENTS, OFFICIAL_NAMES, PASSWORD, TRAN_YEN, WARDS


@dataclass
class Org:
    province: Unit
    departments: list[Unit]
    city: Unit
    tranyen: Unit
    communes: list[Unit]  # the city's wards and communes
    others: list[Unit]  # Trấn Yên's communes
    province_leader: User | None = None
    city_leader: User | None = None
    tranyen_leader: User | None = None
    appraiser: User | None = None
    officials: dict[int, User] = field(default_factory=dict)  # commune id -> its official
    leaders: dict[int, User] = field(default_factory=dict)  # commune id -> its leader
    logins: list[tuple[str, str]] = field(default_factory=list)  # (username, who) as printed

    @property
    def scored(self) -> list[Unit]:
        """Every commune, the city's first: the units the criteria sets score."""
        return self.communes + self.others

    def leader_of(self, plan) -> User:
        """The leader of the district that owns `plan`."""
        return self.tranyen_leader if plan.owner_unit_id == self.tranyen.pk else self.city_leader


def org_build() -> Org:
    """Create the units, then the named people, then every commune's official and leader."""
    org = _units()
    _people(org)
    _commune_people(org)
    return org


def _units() -> Org:
    u = org_services.unit_create
    province = u(code="YB", name="Tỉnh Yên Bái", kind="province")
    departments = [u(code=c, name=n, kind="department", parent=province) for c, n in DEPARTMENTS]
    city = u(code="YB-TP", name="Thành phố Yên Bái", kind="district", parent=province)
    tranyen = u(code="YB-TY", name="Huyện Trấn Yên", kind="district", parent=province)
    return Org(
        province=province,
        departments=departments,
        city=city,
        tranyen=tranyen,
        communes=[u(code=c, name=n, kind="commune", parent=city) for c, n in WARDS],
        others=[u(code=c, name=n, kind="commune", parent=tranyen) for c, n in TRAN_YEN],
    )


def _user(org: Org, username: str, full_name: str, memberships, note: str | None = None, **kw) -> User:
    """A user with the demo password and a yenbai.gov.vn address; listed in the printed logins with a note."""
    user = org_services.user_create(
        username=username,
        password=PASSWORD,
        full_name=full_name,
        email=f"{username}@yenbai.gov.vn",
        memberships=memberships,
        **kw,
    )
    if note is not None:
        org.logins.append((username, note))
    return user


def _people(org: Org) -> None:
    _user(org, "admin", "Quản trị hệ thống", [], "quản trị (superuser)", is_superuser=True)
    org.province_leader = _user(
        org, "lanhdao.tinh", "Trần Huy Tuấn", [(org.province, "leader")], "lãnh đạo UBND tỉnh"
    )
    org.appraiser = _user(
        org,
        "thamdinh",
        "Nguyễn Thị Hoa",
        [(org.province, "appraiser"), (org.departments[0], "official")],
        "thẩm định viên, Sở Nội vụ",
    )
    org.city_leader = _user(
        org, "lanhdao.tp", "Nguyễn Minh Tuấn", [(org.city, "leader")], "lãnh đạo UBND thành phố Yên Bái"
    )
    _user(
        org, "chuyenvien.tp", "Lê Thu Trang", [(org.city, "official")], "chuyên viên Phòng Nội vụ thành phố"
    )
    org.tranyen_leader = _user(
        org, "lanhdao.ty", "Hà Văn Thắng", [(org.tranyen, "leader")], "lãnh đạo UBND huyện Trấn Yên"
    )


def _commune_people(org: Org) -> None:
    for i, unit in enumerate(org.scored):
        slug = unit.code.split("-")[1].lower()
        org.officials[unit.pk] = _user(org, f"canbo.{slug}", OFFICIAL_NAMES[i], [(unit, "official")])
        org.leaders[unit.pk] = _user(org, f"lanhdao.{slug}", f"Chủ tịch {unit.name}", [(unit, "leader")])
    org.logins.append(("canbo.dt", "cán bộ Phường Đồng Tâm (và canbo.<mã> cho mỗi xã, phường)"))
    org.logins.append(("lanhdao.dt", "lãnh đạo Phường Đồng Tâm (và lanhdao.<mã>)"))
