"""The codes of the nominations (an organization or member outside the caller's scope
answers their own ``org.not_found`` / ``member.not_found``)."""

from __future__ import annotations

from app.errors import Conflict, NotFound, Unprocessable


class NominationNotFound(NotFound):
    """No such nomination, or one outside the caller's scope."""

    code = "honours.nomination_not_found"
    message_zh = "推荐不存在"
    message_en = "Nomination not found"


class AlreadyDecided(Conflict):
    """details.status is the decision taken, details.decided_at when."""

    code = "honours.already_decided"
    message_zh = "该推荐已作出决定，不能重复决定"
    message_en = "The nomination has already been decided"


class WrongSubject(Unprocessable):
    """双强党支部 names a branch or joint branch (``org_id``); 双强党员 and 党员示范岗 a current
    party member (``member_id``); exactly one of the two. details.reason says which rule."""

    code = "honours.wrong_subject"
    message_zh = "推荐对象不符合要求：双强党支部应为党支部，双强党员和党员示范岗应为在册党员"
    message_en = "Wrong subject for this honour"


class AlreadyNominated(Conflict):
    """details.nomination_id is the earlier nomination of the same subject, honour and year."""

    code = "honours.already_nominated"
    message_zh = "该对象本年度已被推荐过此项荣誉"
    message_en = "Already nominated for this honour this year"


class NoCommittee(Unprocessable):
    code = "honours.no_committee"
    message_zh = "推荐对象上级没有党委，无法决定"
    message_en = "No committee above the subject to decide"
