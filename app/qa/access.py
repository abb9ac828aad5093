"""Who sees a question, and what they may do with it. Every question route loads its question
through ``access`` and asks the answer; nothing else decides.

- **The asker** sees it in every state (审核中 while held, 未通过审核 once rejected), follows
  up and accepts an answer; they do not answer their own question.
- **Routed to the caller**: its assignee, or staff whose ``qa:answer`` scope holds the
  organization it is routed to (its instructors there, and everyone above them). They see
  the asker even of an anonymous question, answer, reassign and close it.
- **Overseeing it**: staff whose ``qa:answer`` scope holds the asker's organization but not
  the one it is routed to (it was passed on above them, or elsewhere). They see it and its
  asker, and may not act on it: ``qa.not_routed_to_you``.
- **A member answerer**: a current member whose relation or workplace lies in the subtree
  of the committee whose Q&A setting lets members answer the question's organization
  (app/qa/settings.py). They see it, without the asker of an anonymous one, and answer it.
- Anyone else, and everyone but its asker while it is held or rejected: 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Permission
from app.auth.scope import Principal
from app.models import Member, OrgClosure, QaCategory, Question, QuestionStatus
from app.qa import settings as qa_settings
from app.qa.errors import NotRoutedToYou, QuestionNotFound, QuestionNotOpen

# The states a question is public in: seen by others than its asker.
PUBLIC = frozenset({QuestionStatus.OPEN, QuestionStatus.ANSWERED, QuestionStatus.CLOSED})
# The states it takes answers, follow-ups and reassignments in.
ACTIVE = frozenset({QuestionStatus.OPEN, QuestionStatus.ANSWERED})


@dataclass(frozen=True)
class Access:
    question: Question
    category_name: str
    asker: bool
    routed: bool
    overseer: bool
    member_answerer: bool

    @property
    def staff(self) -> bool:
        return self.routed or self.overseer

    @property
    def visible(self) -> bool:
        public = self.question.status in PUBLIC
        return self.asker or (public and (self.staff or self.member_answerer))

    @property
    def sees_asker(self) -> bool:
        return self.asker or self.staff or not self.question.anonymous

    @property
    def may_answer(self) -> bool:
        return not self.asker and (self.routed or self.member_answerer)

    def check_active(self) -> None:
        if self.question.status not in ACTIVE:
            raise QuestionNotOpen(details={"status": self.question.status.value})

    def check_may_answer(self) -> None:
        if not self.may_answer:
            raise NotRoutedToYou()
        self.check_active()

    def check_routed(self) -> None:
        """Reassigning and closing: routed to the caller (the asker closes too, apart)."""
        if not self.routed:
            raise NotRoutedToYou()


async def _member_answerer(session: AsyncSession, member_id: int, question: Question) -> bool:
    allowed, committee = await qa_settings.members_may_answer(session, question.org_id)
    if not allowed or committee is None:
        return False
    found = await session.scalar(
        select(
            exists().where(
                Member.id == member_id,
                Member.current(),
                OrgClosure.ancestor_id == committee,
                OrgClosure.descendant_id.in_([Member.relation_org_id, Member.workplace_org_id]),
            )
        )
    )
    return bool(found)


async def access(session: AsyncSession, caller: Principal, question_id: int) -> Access:
    """The question as the caller may see it; 404 when they may not see it at all."""
    scope = caller.scope(Permission.QA_ANSWER)
    routed = scope.covers(Question.routed_org_id)
    if caller.member_id is not None:
        routed = routed | (Question.assignee_member_id == caller.member_id)
    statement = (
        select(
            Question,
            QaCategory.name,
            routed.label("routed"),
            scope.covers(Question.org_id).label("overseen"),
        )
        .join(QaCategory, QaCategory.id == Question.category_id)
        .where(Question.id == question_id)
    )
    row = (await session.execute(statement)).first()
    if row is None:
        raise QuestionNotFound()
    question: Question = row[0]
    asker = caller.member_id is not None and question.asker_member_id == caller.member_id
    is_routed = bool(row.routed)
    answerer = (
        not asker
        and not is_routed
        and caller.member_id is not None
        and question.status in PUBLIC
        and await _member_answerer(session, caller.member_id, question)
    )
    found = Access(
        question,
        row.name,
        asker=asker,
        routed=is_routed,
        overseer=bool(row.overseen) and not is_routed,
        member_answerer=answerer,
    )
    if not found.visible:
        raise QuestionNotFound()
    return found
