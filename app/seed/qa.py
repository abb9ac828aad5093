"""Demo Q&A (issue 12, item 7): questions of members of the demo city in every state, and
one FAQ entry, written through the Q&A services as members and the demo instructor would
have written them over the past days, so the search index, the routing timeline, the
content reviews, the outbox's notifications and the answer's points are what the app
itself writes.

- 已关闭: the demo member's 党费 question, answered by the demo instructor, followed up,
  answered again, the second answer accepted; published (edited) to the demo branch's FAQ.
- 已回答: a 流动党员 working in the demo branch's organization, and another member of the
  branch asking about 组织关系转接.
- 待回答: an anonymous 党费 question from the 联合党支部 (waiting over 24 h: the worker's
  reminder is due), a 学习 question from the 文化艺术类 branch (over 48 h: in the figures'
  waiting list), and one of the 养老服务行业 branch routed to its own instructor.
- 审核中: the demo member's 政策 question, held as WeChat holds political topics.
- 未通过审核: a question naming a fellow member's conduct, rejected by the demo instructor
  with the reason its asker is told.

Texts that are shown pass the local word list (as the default backend would judge them);
held ones carry the verdict WeChat's msg_sec_check gives such texts (review, with a label).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Permission
from app.auth.scope import Principal
from app.config import Settings
from app.integrations.content_check import Outcome, Scene, Verdict
from app.integrations.content_check.verdict import POLITICAL_LABEL, label_name
from app.integrations.content_check.wordlist import WordListContentCheck
from app.models import (
    ContentReview,
    Member,
    Organization,
    PartyStatus,
    QaCategory,
    ReviewDecision,
    ReviewSubject,
    RoleAssignment,
)
from app.qa import faq, moderation, reviews, service, thread
from app.qa.faq_schemas import FaqPublish
from app.qa.schemas import QuestionCreate

OTHER_LABEL = 21000


def held_by_wechat(label: int) -> Verdict:
    """What msg_sec_check v2 answers for a text it leaves to a person."""
    name = label_name(Outcome.REVIEW, label)
    return Verdict(Outcome.REVIEW, label, name, "wechat_review", "wechat")


@dataclass(frozen=True)
class Reply:
    """A message on a question's thread, ``after`` the previous step."""

    after: timedelta
    body: str
    follow_up: bool = False  # the asker's; else the demo instructor's answer


@dataclass(frozen=True)
class InBranch:
    """The ``n``-th (by id) current full or probationary member whose relation is the
    branch (a key of the demo's party organizations), staff apart."""

    branch: int
    n: int = 0


@dataclass(frozen=True)
class MobileUnder:
    """The first 流动党员 (relation outside the district) working in an organization the
    branch covers."""

    branch: int


DEMO_MEMBER = "member"


@dataclass(frozen=True)
class DemoQuestion:
    asker: InBranch | MobileUnder | str  # str: a key of the demo's staff
    category: str
    title: str
    body: str
    asked_ago: timedelta
    anonymous: bool = False
    held: Verdict | None = None  # the check's verdict when it held the question
    thread: tuple[Reply, ...] = ()
    accepted_after: timedelta | None = None  # the last answer, accepted by the asker
    rejected: tuple[timedelta, str] | None = None  # decided after, with the reason
    # Published to the demo branch's FAQ after, by the demo instructor: its question put
    # for any member (FAQ_QUESTION_TEXT), both answers in one (FAQ_ANSWER_TEXT).
    published_after: timedelta | None = None


FAQ_QUESTION_TEXT = (
    "在社会组织工作的党员，每月工资由基本工资和绩效组成，有时还有项目补贴。"
    "党费按哪部分收入计算，交纳比例是多少？"
)
DUES_ANSWER = (
    "按照《关于中国共产党党费收缴、使用和管理的规定》，在职党员以每月工资收入（税后）为计算"
    "基数：月工资收入3000元以下（含3000元）的，交纳月工资收入的0.5%；3000元以上至5000元"
    "（含5000元）的，交纳1%；5000元以上至10000元（含10000元）的，交纳1.5%；10000元以上的，"
    "交纳2%。"
)
DUES_FOLLOW_UP_ANSWER = (
    "计算基数包括基本工资、绩效工资等按月发放的收入，一般每年核定一次：以上一年度月平均工资"
    "收入为基数，确定当年每月交纳的数额。不固定发放的项目补贴、一次性奖励不计入基数。具体数额"
    "可以请支部组织委员帮您核对。"
)

# The FAQ entry's answer: both answers in one.
FAQ_ANSWER_TEXT = f"{DUES_ANSWER}\n\n{DUES_FOLLOW_UP_ANSWER}"

QUESTIONS: tuple[DemoQuestion, ...] = (
    DemoQuestion(
        asker=DEMO_MEMBER,
        category="党费",
        title="党费的交纳基数和比例怎么确定？",
        body="我在志愿者协会做项目主管，每月工资由基本工资和绩效组成，有时还有项目补贴。"
        "想问一下党费按哪部分收入计算，交纳比例是多少？",
        asked_ago=timedelta(days=9, hours=5),
        thread=(
            Reply(timedelta(hours=3), DUES_ANSWER),
            Reply(
                timedelta(hours=1),
                "绩效和项目补贴每个月都不一样，是每个月重新算一次吗？",
                follow_up=True,
            ),
            Reply(timedelta(hours=2), DUES_FOLLOW_UP_ANSWER),
        ),
        accepted_after=timedelta(hours=20),
        published_after=timedelta(days=1),
    ),
    DemoQuestion(
        asker=InBranch(2, 1),
        category="组织关系",
        title="组织关系从外省转入需要多长时间？",
        body="我去年从安徽调到南京工作，组织关系还在原单位党支部。现在想转到我们机构所在的"
        "支部，组织关系转接大概需要多长时间？需要我自己跑哪些地方？",
        asked_ago=timedelta(days=6, hours=2),
        thread=(
            Reply(
                timedelta(days=1, hours=1),
                "跨省转接组织关系现在通过全国党员管理信息系统办理：您先向原单位党支部提出申请，"
                "原党组织审核后在系统中发起转出，我们支部在系统中接收即可，一般一个月内能办完，"
                "不需要本人来回跑。接收后请到支部报到，从转入当月起在新支部交纳党费。",
            ),
        ),
    ),
    DemoQuestion(
        asker=MobileUnder(2),
        category="组织关系",
        title="流动党员在外地怎样参加组织生活？",
        body="我的组织关系还在老家县里的支部，现在在鼓楼区志愿者协会工作，已经两年没回去参加"
        "组织生活了。像我这样的流动党员，可以在这边参加支部活动吗？需要办什么手续？",
        asked_ago=timedelta(days=3, hours=4),
        thread=(
            Reply(
                timedelta(hours=20),
                "可以。流动党员外出前应向原党组织领取《流动党员活动证》，到这里后持证向工作单位"
                "或社区的党组织报到，参加流入地党组织的组织生活，党费也可以交给流入地党组织。"
                "还没有领证的，请先联系老家的支部补办，也可以先到我们支部登记，由支部帮助联系。"
                "外出时间较长、工作相对稳定的，建议把组织关系正式转接到工作单位所在的党组织。",
            ),
        ),
    ),
    DemoQuestion(
        asker=InBranch(4),
        category="党费",
        title="家里经济困难，党费可以少交或者缓交吗？",
        body="今年家里老人住院，开销很大，收入也减少了。想问问这种情况下党费可以申请减免"
        "或者缓交吗？需要向谁申请？",
        asked_ago=timedelta(hours=30),
        anonymous=True,
    ),
    DemoQuestion(
        asker=InBranch(8),
        category="学习",
        title="“三会一课”的党课可以线上参加吗？",
        body="我经常外出参加展览布展，支部的党课有时赶不上。请问党课能不能通过线上方式学习？"
        "线上参加算不算出勤，学习记录怎么登记？",
        asked_ago=timedelta(days=3),
    ),
    DemoQuestion(
        asker=InBranch(3),
        category="组织关系",
        title="退休后组织关系应该转到哪里？",
        body="我明年就要从护理院退休了，退休以后组织关系是留在单位的支部，还是转回居住地的"
        "社区党组织？",
        asked_ago=timedelta(hours=20),
    ),
    DemoQuestion(
        asker=DEMO_MEMBER,
        category="政策咨询",
        title="社会组织党组织怎样参与基层治理？",
        body="最近学习了关于加强社会组织党的建设的政策文件，提到要引导社会组织参与基层治理。"
        "我们志愿者协会主要做社区服务，支部在这方面可以开展哪些具体工作？有没有可以参考的做法？",
        asked_ago=timedelta(hours=2),
        held=held_by_wechat(POLITICAL_LABEL),
    ),
    DemoQuestion(
        asker=InBranch(2),
        category="其他",
        title="能不能在这里公开说说我们单位一名党员的问题？",
        body="我们机构有一名党员长期不参加组织生活，还经常在朋友圈发牢骚。我想把他的名字和"
        "具体情况发出来，让大家评评理。",
        asked_ago=timedelta(days=4),
        held=held_by_wechat(OTHER_LABEL),
        rejected=(
            timedelta(hours=5),
            "提问涉及他人的个人情况，不宜公开讨论。请直接向支部书记反映，支部会按程序了解处理。",
        ),
    ),
)

_WORDLIST = WordListContentCheck()


async def _check(text: str, scene: Scene, title: str | None = None) -> Verdict:
    """The local word list's verdict; a demo text it would hold or refuse is a bug here."""
    verdict = await moderation.check(_WORDLIST, text, openid=None, scene=scene, title=title)
    if moderation.held(verdict):
        raise RuntimeError(f"the demo text is held by the word list: {title or text[:20]}")
    return verdict


async def _principal(session: AsyncSession, member: Member) -> Principal:
    """The member signed in: their account with the roles they hold."""
    assert member.account_id is not None
    roles = (
        await session.execute(
            select(RoleAssignment.role, RoleAssignment.org_id).where(
                RoleAssignment.member_id == member.id
            )
        )
    ).all()
    return Principal(
        account_id=member.account_id,
        member_id=member.id,
        roles=tuple((role, org_id) for role, org_id in roles),
    )


class _Askers:
    def __init__(
        self,
        session: AsyncSession,
        party: Mapping[str | int, Organization],
        staff: Mapping[str, Member],
    ) -> None:
        self.session, self.party, self.staff = session, party, staff

    async def __call__(self, who: InBranch | MobileUnder | str) -> Member:
        if isinstance(who, str):
            return self.staff[who]
        staff_ids = [member.id for member in self.staff.values()]
        query = select(Member).where(Member.current(), Member.id.not_in(staff_ids))
        branch_id = self.party[who.branch].id
        if isinstance(who, MobileUnder):
            covered = select(Organization.id).where(Organization.parent_id == branch_id)
            query = query.where(
                Member.is_mobile.is_(True),
                Member.relation_org_id.is_(None),
                Member.workplace_org_id.in_(covered),
            )
            n = 0
        else:
            query = query.where(
                Member.relation_org_id == branch_id,
                Member.party_status.in_([PartyStatus.FULL_MEMBER, PartyStatus.PROBATIONARY]),
                Member.is_lost_contact.is_(False),
            )
            n = who.n
        found = (await self.session.scalars(query.order_by(Member.id).offset(n).limit(1))).first()
        if found is None:
            raise RuntimeError(f"the demo city has no asker {who!r}")
        return found


async def seed_qa(
    session: AsyncSession,
    settings: Settings,
    party: Mapping[str | int, Organization],
    staff: Mapping[str, Member],
    now: datetime,
) -> None:
    """The demo's questions (QUESTIONS) and FAQ entry. ``staff`` holds the demo member
    ("member", of the demo branch) and the demo instructor ("instructor", who holds the
    instructor role on the demo branch), with their accounts."""
    categories = dict(
        (
            await session.execute(
                select(QaCategory.name, QaCategory.id).where(QaCategory.org_id.is_(None))
            )
        ).all()
    )
    instructor = await _principal(session, staff["instructor"])
    member = await _principal(session, staff["member"])
    branch_id = staff["member"].relation_org_id
    assert branch_id is not None
    askers = _Askers(session, party, staff)
    for demo in QUESTIONS:
        asker = await askers(demo.asker)
        at = now - demo.asked_ago
        verdict = demo.held or await _check(demo.body, moderation.QUESTION_SCENE, demo.title)
        body = QuestionCreate(
            category_id=categories[demo.category],
            title=demo.title,
            body=demo.body,
            anonymous=demo.anonymous,
        )
        found = await service.asking(session, asker.id, body.category_id)
        view = await service.ask(
            session, settings, member_id=asker.id, found=found, body=body, verdict=verdict, now=at
        )
        question_id = view.question.id
        last_answer: int | None = None
        for reply in demo.thread:
            at += reply.after
            if reply.follow_up:
                assert asker.id == member.member_id, "only the demo member signs in"
                text = await _check(reply.body, moderation.FOLLOW_UP_SCENE)
                await thread.follow_up(
                    session, settings, member, question_id, reply.body, text, now=at
                )
            else:
                text = await _check(reply.body, moderation.ANSWER_SCENE)
                written = await thread.answer(
                    session, settings, instructor, question_id, reply.body, text, now=at
                )
                last_answer = written.message.id
        if demo.accepted_after is not None:
            assert last_answer is not None
            assert asker.id == member.member_id, "only the demo member signs in"
            at += demo.accepted_after
            await thread.accept(session, member, question_id, last_answer, now=at)
        if demo.rejected is not None:
            after, reason = demo.rejected
            review_id = await session.scalar(
                select(ContentReview.id).where(
                    ContentReview.subject == ReviewSubject.QUESTION,
                    ContentReview.subject_id == question_id,
                )
            )
            assert review_id is not None
            at += after
            await reviews.decide(
                session,
                settings,
                instructor,
                review_id,
                decision=ReviewDecision.REJECTED,
                reason=reason,
                now=at,
            )
        if demo.published_after is not None:
            at += demo.published_after
            await faq.publish(
                session,
                instructor.scope(Permission.QA_ANSWER),
                question_id,
                FaqPublish(
                    org_id=branch_id, question_text=FAQ_QUESTION_TEXT, answer_text=FAQ_ANSWER_TEXT
                ),
                account_id=instructor.account_id,
                now=at,
            )
