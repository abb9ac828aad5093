"""The codes of the transfer routes, one class each."""

from __future__ import annotations

from app.errors import Conflict, Forbidden, NotFound, Unprocessable


class TransferNotFound(NotFound):
    """No such transfer, or one the caller may not see."""

    code = "transfer.not_found"
    message_zh = "转接记录不存在"
    message_en = "Transfer not found"


class BranchNotFound(NotFound):
    """The in-branch named does not exist."""

    code = "transfer.branch_not_found"
    message_zh = "转入的党支部不存在"
    message_en = "Branch not found"


class NotABranch(Unprocessable):
    code = "transfer.not_a_branch"
    message_zh = "组织关系只能转入党支部或联合党支部"
    message_en = "A relation can only move into a branch or a joint branch"


class SameBranch(Unprocessable):
    code = "transfer.same_branch"
    message_zh = "转入支部与转出支部相同"
    message_en = "The in-branch is the out-branch"


class DestinationRequired(Unprocessable):
    """Exactly one of ``to_org_id`` and ``to_outside_name`` names where the relation goes
    (a member with no relation in the system can only move into one of its branches)."""

    code = "transfer.destination_required"
    message_zh = "请填写转入支部，或系统外的转入组织名称（二者选一）"
    message_en = "Name either the in-branch or the organization outside the system"


class OutsideDetails(Unprocessable):
    """A transfer to or from outside the system needs the letter number and the other
    side's name; one inside the system names no outside organization."""

    code = "transfer.outside_details"
    message_zh = "系统外转接须填写介绍信编号和对方组织名称；系统内转接不填写系统外组织名称"
    message_en = "Outside transfers need the letter number and the other side's name"


class NotAPartyMember(Unprocessable):
    code = "transfer.not_a_party_member"
    message_zh = "只有正式党员和预备党员可以转接组织关系"
    message_en = "Only full and probationary members transfer a relation"


class MemberDeparted(Unprocessable):
    code = "transfer.member_departed"
    message_zh = "该党员已登记离开，不能转接"
    message_en = "The member has left"


class AlreadyOpen(Conflict):
    code = "transfer.already_open"
    message_zh = "该党员已有正在办理的转接"
    message_en = "The member already has a transfer under way"


class OutOfReach(Forbidden):
    """A starter may start a transfer only out of or into an organization of their scope."""

    code = "transfer.out_of_reach"
    message_zh = "只能发起转出或转入本组织的转接"
    message_en = "Only transfers out of or into your organization"


class NotYourStep(Forbidden):
    """The caller sees the transfer but is not the one to decide the step waiting."""

    code = "transfer.not_your_step"
    message_zh = "当前步骤不由您审批"
    message_en = "This step is not yours to decide"


class AlreadyDecided(Conflict):
    """The step named is not the one waiting: decided already (perhaps a moment ago by
    someone else), or the transfer is no longer pending."""

    code = "transfer.already_decided"
    message_zh = "该步骤已处理，请刷新后查看"
    message_en = "This step has already been decided"


class RelationChanged(Conflict):
    """The member's relation is no longer where the transfer takes it from (edited by hand
    while it was under way): the approvals given were for another move."""

    code = "transfer.relation_changed"
    message_zh = "该党员的组织关系已变更，请退回或撤回后重新发起"
    message_en = "The member's relation has changed since the transfer started"


class NotStarter(Forbidden):
    code = "transfer.not_starter"
    message_zh = "只有发起人可以撤回或重新提交"
    message_en = "Only the starter may withdraw or resubmit"


class NotReturned(Conflict):
    code = "transfer.not_returned"
    message_zh = "只有退回修改的转接可以重新提交"
    message_en = "Only a returned transfer can be resubmitted"


class TransferClosed(Conflict):
    code = "transfer.closed"
    message_zh = "转接已办结，不能撤回"
    message_en = "The transfer is closed"
