"""The codes the outbox, the inbox, the preferences and the dead letters may answer."""

from __future__ import annotations

from app.errors import Conflict, NotFound, Unprocessable


class DailyCapReached(Conflict):
    """The organization has used today's bulk sends (settings.notify_org_daily_bulk_cap)."""

    code = "notify.daily_cap_reached"
    message_zh = "本组织今日群发次数已达上限，请明天再发"
    message_en = "This organization has used today's bulk sends"


class MessageNotFound(NotFound):
    """No such message in the caller's own inbox."""

    code = "notify.message_not_found"
    message_zh = "消息不存在"
    message_en = "Message not found"


class DeliveryNotFound(NotFound):
    """No such delivery among the organizations in the caller's scope."""

    code = "notify.delivery_not_found"
    message_zh = "投递记录不存在"
    message_en = "Delivery not found"


class DeliveryNotDead(Conflict):
    """Only a dead delivery goes round again (details.status: the one it has)."""

    code = "notify.not_dead"
    message_zh = "只能重试失败的投递"
    message_en = "Only a dead delivery can be retried"


class InboxAlwaysOn(Unprocessable):
    code = "notify.inbox_always_on"
    message_zh = "站内消息不能关闭"
    message_en = "The in-app inbox cannot be off"


class ChannelUnavailable(Unprocessable):
    """The channel is not configured here (details.channel)."""

    code = "notify.channel_unavailable"
    message_zh = "该渠道未启用"
    message_en = "This channel is not in use here"


class KindIsCritical(Unprocessable):
    """A moved or cancelled meeting must reach the member (details.kind)."""

    code = "notify.kind_is_critical"
    message_zh = "重要通知不能关闭"
    message_en = "Critical notifications cannot be turned off"


class UnknownTemplate(Unprocessable):
    """Template ids the settings do not configure (details.template_ids)."""

    code = "notify.unknown_template"
    message_zh = "订阅消息模板不存在"
    message_en = "No such subscribe-message template"


class CommitteeNotFound(NotFound):
    """No such committee among the organizations in the caller's scope (a branch has no
    committee settings: its committee's apply)."""

    code = "notify.committee_not_found"
    message_zh = "党委不存在"
    message_en = "Committee not found"
