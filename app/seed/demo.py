"""A demo slice of 南京市鼓楼区: one 综合党委, three street committees, a 党总支, twelve
branches (one 联合党支部), thirty social organizations and two hundred people (the six demo
logins and the other staff included). Deterministic, one transaction, idempotent."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scope import Scope
from app.config import Settings, StorageBackend
from app.db import create_engine, create_sessionmaker
from app.groups import service as groups_service
from app.groups.schemas import CommitteeReplace, PartyGroupCreate, SeatAssignment
from app.integrations.wechat.fake import fake_openid
from app.kit.clock import Clock
from app.kit.crypto import FieldCipher
from app.kit.identifiers import make_credit_code, make_id_number
from app.kit.storage import LocalStorage, Storage
from app.kit.time import DISPLAY_ZONE
from app.members import service as members_service
from app.members.schemas import MemberCreate
from app.models import (
    Account,
    AffiliationMode,
    CommitteePost,
    Gender,
    Member,
    Organization,
    OrgKind,
    PartyStatus,
    Rating,
    Role,
    RoleAssignment,
    SocialOrgType,
)
from app.orgs import service as orgs_service
from app.orgs.schemas import OrgCreate
from app.seed.news import seed_news
from app.seed.oversight import founded, seed_oversight
from app.seed.qa import seed_qa
from app.seed.study import seed_study
from app.seed.study_tasks import seed_demo_tasks

DEMO_LOGINS: dict[str, str] = {
    "system_admin": "demo-admin",
    "committee_admin": "demo-committee",
    "street_admin": "demo-street",
    "instructor": "demo-instructor",
    "secretary": "demo-secretary",
    "member": "demo-member",
}
EVERYWHERE = Scope(everywhere=True)
SEED = 20240701
TOTAL_PEOPLE = 200

ROOT_NAME = "南京市鼓楼区社会组织综合党委"
STREETS = ("宁海路街道社会组织工委", "湖南路街道社会组织工委", "华侨路街道社会组织工委")
GENERAL_BRANCH = "鼓楼区社会工作服务机构党总支"  # under STREETS[0]
# name, street, sits under the 党总支, joint branch
BRANCHES: tuple[tuple[str, int, bool, bool], ...] = (
    ("鼓楼区阳光社会工作服务中心党支部", 0, True, False),
    ("鼓楼区仁爱社会工作服务中心党支部", 0, True, False),
    ("鼓楼区志愿者协会党支部", 0, False, False),
    ("鼓楼区养老服务行业党支部", 0, False, False),
    ("湖南路街道社会组织联合党支部", 1, False, True),
    ("鼓楼区公益基金会党支部", 1, False, False),
    ("鼓楼区教育培训机构党支部", 1, False, False),
    ("鼓楼区商会党支部", 1, False, False),
    ("鼓楼区文化艺术类社会组织党支部", 2, False, False),
    ("鼓楼区心语心理咨询服务中心党支部", 2, False, False),
    ("鼓楼区社区服务行业党支部", 2, False, False),
    ("鼓楼区人民调解协会党支部", 2, False, False),
)
SECRETARY_BRANCH = 2  # the demo secretary and the demo member belong here
# name, type (G 社会团体, F 基金会, S 社会服务机构), covering branch or "s<street>", affiliation,
# rating, staff
SOCIAL_ORGS: tuple[tuple[str, str, int | str, str, str, int], ...] = (
    ("南京市鼓楼区志愿者协会", "G", 2, "territorial", "5A", 46),
    ("南京市鼓楼区老年人协会", "G", 3, "business_supervisor", "3A", 12),
    ("南京市鼓楼区个体劳动者协会", "G", 7, "business_supervisor", "4A", 18),
    ("南京市鼓楼区餐饮行业协会", "G", 7, "territorial", "2A", 9),
    ("南京市鼓楼区青年企业家商会", "G", 7, "attached", "3A", 15),
    ("南京市鼓楼区书法家协会", "G", 8, "attached", "4A", 8),
    ("南京市鼓楼区摄影家协会", "G", 8, "attached", "none", 6),
    ("南京市鼓楼区人民调解协会", "G", 11, "business_supervisor", "4A", 22),
    ("南京市鼓楼区社区教育协会", "G", 6, "business_supervisor", "2A", 7),
    ("南京市鼓楼区物业管理协会", "G", 10, "territorial", "3A", 11),
    ("南京市鼓楼区舞蹈协会", "G", 4, "fallback", "1A", 5),
    ("南京市鼓楼区围棋协会", "G", "s1", "fallback", "none", 4),
    ("南京鼓楼慈善基金会", "F", 5, "business_supervisor", "5A", 14),
    ("南京金陵助学公益基金会", "F", 5, "territorial", "4A", 8),
    ("南京紫金环境保护基金会", "F", 5, "territorial", "3A", 7),
    ("南京颐和路历史文化保护基金会", "F", 8, "business_supervisor", "3A", 6),
    ("南京童心关爱公益基金会", "F", 4, "fallback", "2A", 5),
    ("南京清凉山公益基金会", "F", "s2", "fallback", "4A", 9),
    ("南京市鼓楼区阳光社会工作服务中心", "S", 0, "territorial", "5A", 68),
    ("南京市鼓楼区阳光青少年成长服务中心", "S", 0, "territorial", "3A", 21),
    ("南京市鼓楼区仁爱社会工作服务中心", "S", 1, "territorial", "4A", 54),
    ("南京市鼓楼区仁爱家庭综合服务中心", "S", 1, "attached", "2A", 16),
    ("南京市鼓楼区颐养居家养老服务中心", "S", 3, "business_supervisor", "4A", 120),
    ("南京市鼓楼区夕阳红护理院", "S", 3, "business_supervisor", "3A", 85),
    ("南京市鼓楼区启明星职业培训学校", "S", 6, "business_supervisor", "3A", 32),
    ("南京市鼓楼区育才艺术培训中心", "S", 6, "business_supervisor", "none", 24),
    ("南京市鼓楼区心语心理咨询服务中心", "S", 9, "territorial", "4A", 19),
    ("南京市鼓楼区绿芽环保公益服务中心", "S", 4, "fallback", "1A", 6),
    ("南京市鼓楼区邻里守望社区服务中心", "S", 10, "territorial", "3A", 13),
    ("南京市鼓楼区乐龄助残服务中心", "S", "s0", "fallback", "none", 10),
)
_TYPES = {
    "G": (SocialOrgType.SOCIAL_GROUP, "51", "320106", "南京市鼓楼区民政局"),
    "F": (SocialOrgType.FOUNDATION, "53", "320100", "南京市民政局"),
    "S": (SocialOrgType.SOCIAL_SERVICE_AGENCY, "52", "320106", "南京市鼓楼区民政局"),
}
# The demo logins and the other staff: label, name, gender, role, held on ("gb": the 党总支).
STAFF: tuple[tuple[str, str, Gender, Role, tuple[int | str | None, ...]], ...] = (
    ("system_admin", "陈晓雯", Gender.FEMALE, Role.SYSTEM_ADMIN, (None,)),
    ("committee_admin", "王建华", Gender.MALE, Role.COMMITTEE_ADMIN, ("root",)),
    ("street_admin", "刘敏", Gender.FEMALE, Role.COMMITTEE_ADMIN, ("s0",)),
    ("instructor", "赵振国", Gender.MALE, Role.INSTRUCTOR, (2, 4, 8)),
    ("instructor_2", "孙立平", Gender.MALE, Role.INSTRUCTOR, ("gb", 3, 5)),
    ("instructor_3", "钱玉兰", Gender.FEMALE, Role.INSTRUCTOR, (6, 7, 9, 10, 11)),
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史"
    "陶黎贺顾毛郝龚邵万钱严武戴孔汤殷倪"
)
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林洋建国志文博子涵晨阳峰"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞燕玲桂丹萍红梅琳雪婷慧颖洁佳倩晶岚月莉欣怡雯璐琪瑶蕾梦诗雨馨"
# Birthplaces: mostly 鼓楼, some elsewhere in Nanjing, Jiangsu and other provinces.
# fmt: off
BIRTH_REGIONS = ("320106",) * 6 + ("320102", "320104", "320105", "320113", "320115", "320282",
                                   "320381", "321002", "320583", "340104", "370102", "420106")
# fmt: on


def _org_code(rng: random.Random) -> str:
    """A 9-character 组织机构代码 (GB 11714) of the MJ range 民政 assigns to social orgs."""
    body = "MJ" + "".join(rng.choice("0123456789") for _ in range(6))
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w
        for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)
    )
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


@dataclass(frozen=True)
class Person:
    name: str
    gender: Gender
    birth_date: date
    id_number: str
    phone: str


class _People:
    """Deterministic names, ID numbers and phones, never the same twice."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng, self.today = rng, today
        self.ids: set[str] = set()
        self.phones: set[str] = set()

    def name(self, gender: Gender) -> str:
        chars = GIVEN_MALE if gender is Gender.MALE else GIVEN_FEMALE
        given = "".join(self.rng.choice(chars) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    def phone(self) -> str:
        while (
            phone := self.rng.choice(("13", "15", "18")) + f"{self.rng.randrange(10**9):09d}"
        ) in self.phones:
            pass
        self.phones.add(phone)
        return phone

    def person(self, age: tuple[int, int], gender: Gender | None = None) -> Person:
        rng = self.rng
        gender = gender or (Gender.FEMALE if rng.random() < 0.45 else Gender.MALE)
        birth = date(self.today.year - rng.randint(*age), rng.randint(1, 12), rng.randint(1, 28))
        while True:
            sequence = rng.randrange(500) * 2 + (1 if gender is Gender.MALE else 0)
            id_number = make_id_number(rng.choice(BIRTH_REGIONS), birth, sequence)
            if id_number not in self.ids:
                break
        self.ids.add(id_number)
        return Person(self.name(gender), gender, birth, id_number, self.phone())

    def joined(self, birth: date, status: PartyStatus) -> date | None:
        rng = self.rng
        if status is PartyStatus.PROBATIONARY:  # admitted within the last year
            return self.today - timedelta(days=rng.randint(30, 330))
        if status is not PartyStatus.FULL_MEMBER:
            return None
        year = rng.randint(birth.year + 18, min(self.today.year - 2, birth.year + 60))
        return date(year, rng.randint(1, 12), rng.randint(1, 28))


async def _already_seeded(session: AsyncSession) -> bool:
    root = select(Organization.id).where(
        Organization.parent_id.is_(None), Organization.name == ROOT_NAME
    )
    admin = select(Account.id).where(Account.openid == fake_openid(DEMO_LOGINS["system_admin"]))
    return bool(await session.scalar(select(or_(root.exists(), admin.exists()))))


# The keys of the party organizations: "root", "s0".."s2" (streets), "gb" (the 党总支) and
# the branches' indexes 0..11.
OrgKey = str | int


async def _orgs(
    session: AsyncSession, rng: random.Random, now: datetime
) -> tuple[dict[OrgKey, Organization], list[Organization]]:
    """Returns the party organizations by key and the social orgs."""

    async def make(kind: OrgKind, name: str, parent: Organization | None) -> Organization:
        body = OrgCreate(kind=kind, name=name, parent_id=parent.id if parent else None)
        return await orgs_service.create(session, EVERYWHERE, body, now=now)

    party: dict[OrgKey, Organization] = {"root": await make(OrgKind.COMMITTEE, ROOT_NAME, None)}
    for i, name in enumerate(STREETS):
        party[f"s{i}"] = await make(OrgKind.COMMITTEE, name, party["root"])
    party["gb"] = await make(OrgKind.GENERAL_BRANCH, GENERAL_BRANCH, party["s0"])
    for i, (name, street, in_general, joint) in enumerate(BRANCHES):
        kind = OrgKind.JOINT_BRANCH if joint else OrgKind.BRANCH
        party[i] = await make(kind, name, party["gb" if in_general else f"s{street}"])
    social, codes = [], set()
    for name, type_key, home, affiliation, rating, staff in SOCIAL_ORGS:
        org_type, prefix, region, authority = _TYPES[type_key]
        while (code := make_credit_code(prefix + region + _org_code(rng))) in codes:
            pass
        codes.add(code)
        body = OrgCreate(
            kind=OrgKind.SOCIAL_ORG,
            name=name,
            parent_id=party[home].id,
            social_org_type=org_type,
            credit_code=code,
            registration_authority=authority,
            staff_count=staff,
            affiliation_mode=AffiliationMode(affiliation),
            rating=Rating(rating),
        )
        social.append(await orgs_service.create(session, EVERYWHERE, body, now=now))
    return party, social


async def _seed(
    session: AsyncSession,
    cipher: FieldCipher,
    today: date,
    now: datetime,
    storage: Storage | None = None,
    *,
    settings: Settings,
) -> Organization:
    """The demo city; answers the demo branch (the demo secretary's)."""
    rng = random.Random(SEED)
    party, social = await _orgs(session, rng, founded(now))
    people = _People(rng, today)
    branches = [party[i] for i in range(len(BRANCHES))]
    covering = {
        org.id: org.parent_id for org in social if org.parent_id in {b.id for b in branches}
    }

    async def add(body: MemberCreate) -> Member:
        return await members_service.create(session, EVERYWHERE, cipher, body, today=today, now=now)

    def party_member(branch: Organization, age: tuple[int, int] = (35, 60)) -> MemberCreate:
        person = people.person(age)
        return MemberCreate(
            name=person.name,
            gender=person.gender,
            birth_date=person.birth_date,
            id_number=person.id_number,
            phone=person.phone,
            party_status=PartyStatus.FULL_MEMBER,
            joined_party_on=people.joined(person.birth_date, PartyStatus.FULL_MEMBER),
            relation_org_id=branch.id,
            workplace_org_id=next(o.id for o in social if o.parent_id == branch.id),
        )

    staff: dict[str, Member] = {}
    for label, name, gender, _, _ in STAFF:  # committee staff and instructors: no org here
        birth = date(today.year - rng.randint(32, 56), rng.randint(1, 12), rng.randint(1, 28))
        joined = people.joined(birth, PartyStatus.FULL_MEMBER)
        staff[label] = Member(
            name=name,
            gender=gender,
            birth_date=birth,
            phone=people.phone(),
            party_status=PartyStatus.FULL_MEMBER,
            joined_party_on=joined,
            created_at=now,
            updated_at=now,
        )
        session.add(staff[label])
    secretaries = [await add(party_member(branch)) for branch in branches]
    staff["secretary"] = secretaries[SECRETARY_BRANCH]
    staff["member"] = await add(party_member(branches[SECRETARY_BRANCH], (26, 40)))

    weights = [min(org.staff_count or 1, 40) + 4 for org in social]
    statuses, status_weights = list(PartyStatus), (72, 8, 12, 8)
    for _ in range(TOTAL_PEOPLE - len(STAFF) - len(branches) - 1):
        status = rng.choices(statuses, status_weights)[0]
        workplace = rng.choices(social, weights)[0]
        person = people.person((23, 40) if status is not PartyStatus.FULL_MEMBER else (24, 72))
        joined = people.joined(person.birth_date, status)
        relation_org_id: int | None = None
        is_mobile: bool | None = None
        is_lost_contact: bool | None = None
        home, roll = covering.get(workplace.id), rng.random()
        if status in (PartyStatus.FULL_MEMBER, PartyStatus.PROBATIONARY):
            if home is not None and roll < 0.6:  # relation transferred in
                relation_org_id = home
            elif roll < 0.8:  # relation held by another branch of the district
                relation_org_id = rng.choice([b.id for b in branches if b.id != home])
            else:  # 流动党员: relation outside this system
                is_mobile = True
            is_lost_contact = relation_org_id is not None and rng.random() < 0.04
        elif status is PartyStatus.ACTIVIST:
            relation_org_id = home  # cultivated by the branch where they work
        body = MemberCreate(
            name=person.name,
            gender=person.gender,
            birth_date=person.birth_date,
            id_number=person.id_number,
            phone=person.phone,
            party_status=status,
            joined_party_on=joined,
            relation_org_id=relation_org_id,
            workplace_org_id=workplace.id,
            is_mobile=is_mobile,
            is_lost_contact=is_lost_contact,
        )
        await add(body)

    await session.flush()
    for label, code in DEMO_LOGINS.items():
        account = Account(
            openid=fake_openid(code), phone=staff[label].phone, created_at=now, updated_at=now
        )
        session.add(account)
        await session.flush()
        staff[label].account_id = account.id
    for label, _, _, role, keys in STAFF:
        for key in keys:
            org_id = party[key].id if key is not None else None
            session.add(
                RoleAssignment(
                    member_id=staff[label].id,
                    org_id=org_id,
                    role=role,
                    created_at=now,
                    updated_at=now,
                )
            )
    for secretary, branch in zip(secretaries, branches, strict=True):
        session.add(
            RoleAssignment(
                member_id=secretary.id,
                org_id=branch.id,
                role=Role.SECRETARY,
                created_at=now,
                updated_at=now,
            )
        )
    await session.flush()
    await _groups(session, branches[SECRETARY_BRANCH], staff, now)
    await seed_news(session, party, today, now)
    await seed_study(session, party, branches[SECRETARY_BRANCH], now, storage)
    await seed_qa(session, settings, party, staff, now)
    await seed_oversight(session, settings, cipher, party, staff, secretaries, now)
    return branches[SECRETARY_BRANCH]


async def _groups(
    session: AsyncSession, branch: Organization, staff: dict[str, Member], now: datetime
) -> None:
    """The demo branch's committee (书记 the demo secretary, 组织委员 the demo member) and one
    party group led by the demo member, so a 支委会 and a 党小组会 have someone to expect."""
    others = list(
        await session.scalars(
            select(Member.id)
            .where(
                groups_service.in_branch(branch.id),
                Member.is_lost_contact.is_(False),
                Member.id.not_in([staff["secretary"].id, staff["member"].id]),
                Member.party_status.in_([PartyStatus.FULL_MEMBER, PartyStatus.PROBATIONARY]),
            )
            .order_by(Member.id)
        )
    )
    seats = [
        SeatAssignment(member_id=staff["secretary"].id, post=CommitteePost.SECRETARY),
        SeatAssignment(member_id=staff["member"].id, post=CommitteePost.ORGANIZATION),
    ]
    if others:
        seats.append(SeatAssignment(member_id=others[0], post=CommitteePost.PROPAGANDA))
    await groups_service.replace_committee(
        session, EVERYWHERE, branch.id, CommitteeReplace(seats=seats), now=now
    )
    group = PartyGroupCreate(
        name="第一党小组", leader_member_id=staff["member"].id, member_ids=others[:4]
    )
    await groups_service.create_group(session, EVERYWHERE, branch.id, group, now=now)


async def run_seed(settings: Settings, clock: Clock | None = None) -> bool:
    """Loads the demo city; False (and nothing changed) when it is already there."""
    now = (clock or Clock()).now()
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            if await _already_seeded(session):
                return False
            today = now.astimezone(DISPLAY_ZONE).date()
            cipher = FieldCipher(settings.data_encryption_key, settings.lookup_hash_key)
            # The demo's document is stored where a local demo keeps its uploads.
            local = settings.storage_backend is StorageBackend.LOCAL
            storage = LocalStorage(settings.storage_dir) if local else None
            branch = await _seed(session, cipher, today, now, storage, settings=settings)
            await seed_demo_tasks(session, settings, branch, now=now)
            return True
    finally:
        await engine.dispose()
