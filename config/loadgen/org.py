"""The generated organisation: 34 provinces, each with its departments and its share of the communes (unit
codes start with L), and two officials (one outside communes) and a leader per unit, written in bulk."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password

from org.models import Membership, Unit, User

from .data import DEPARTMENTS_PER_PROVINCE, PASSWORD, PROVINCES


def units_generate(total: int) -> tuple[list[Unit], dict[int, int]]:
    """`total` units: provinces, departments, then communes spread evenly (the first provinces get the
    remainder). Returns (communes, {child unit id: province id})."""
    provinces = Unit.objects.bulk_create(
        [
            Unit(code=f"L{p:02d}", name=f"Tỉnh thử tải {p:02d}", kind="province")
            for p in range(1, PROVINCES + 1)
        ]
    )
    n_communes = total - PROVINCES * (1 + DEPARTMENTS_PER_PROVINCE)
    children = []
    for i, prov in enumerate(provinces):
        children += _children(prov, "department", "S", "Sở", DEPARTMENTS_PER_PROVINCE, width=2)
        share = n_communes // PROVINCES + (1 if i < n_communes % PROVINCES else 0)
        children += _children(prov, "commune", "X", "Xã", share, width=4)
    children = Unit.objects.bulk_create(children, batch_size=2000)
    # The materialised path needs the ids (the unit service sets it after its insert): set it now.
    for prov in provinces:
        prov.path = f"/{prov.pk}/"
    by_id = {p.pk: p for p in provinces}
    for unit in children:
        unit.path = f"{by_id[unit.parent_id].path}{unit.pk}/"
    Unit.objects.bulk_update(provinces + children, ["path"], batch_size=2000)
    communes = [u for u in children if u.kind == "commune"]
    return communes, {u.pk: u.parent_id for u in children}


def _children(prov: Unit, kind: str, letter: str, word: str, count: int, *, width: int) -> list[Unit]:
    """`count` unsaved units of `kind` under `prov`, numbered from 1 (L01-X0001, "Xã 0001 <province>")."""
    return [
        Unit(
            code=f"{prov.code}-{letter}{n:0{width}d}",
            name=f"{word} {n:0{width}d} {prov.name}",
            kind=kind,
            parent=prov,
        )
        for n in range(1, count + 1)
    ]


def users_generate() -> dict[int, list[int]]:
    """Officials and a leader for every generated unit, one password hash for all.
    Returns {unit id: [official user ids]}."""
    password = make_password(PASSWORD)
    units = list(Unit.objects.filter(code__startswith="L"))
    users, roles = [], []
    for unit in units:
        for role, count in (("official", 2 if unit.kind == "commune" else 1), ("leader", 1)):
            for k in range(count):
                users.append(
                    User(
                        username=f"{unit.code.lower()}-{role}{k}",
                        password=password,
                        full_name=f"{role} {k} {unit.name}",
                    )
                )
                roles.append((unit.pk, role))
    users = User.objects.bulk_create(users, batch_size=5000)
    Membership.objects.bulk_create(
        [
            Membership(user_id=u.pk, unit_id=unit_id, role=role)
            for u, (unit_id, role) in zip(users, roles, strict=True)
        ],
        batch_size=5000,
    )
    officials: dict[int, list[int]] = {}
    for u, (unit_id, role) in zip(users, roles, strict=True):
        if role == "official":
            officials.setdefault(unit_id, []).append(u.pk)
    return officials
