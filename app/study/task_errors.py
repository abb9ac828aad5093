"""The codes study tasks may answer."""

from __future__ import annotations

from app.errors import Conflict, NotFound, TooManyRequests, Unprocessable


class TaskNotFound(NotFound):
    """No such task, one of an organization outside the caller's scope, or, for a member,
    one whose audience does not hold them."""

    code = "study.task_not_found"
    message_zh = "学习任务不存在"
    message_en = "Study task not found"


# Named as the materials' own errors are, so the two declarations of a code agree.
class MaterialNotFound(NotFound):
    """details.material_ids: the ids no material has."""

    code = "study.material_not_found"
    message_zh = "学习资料不存在"
    message_en = "Study material not found"


class TaskMaterialNotPublished(Unprocessable):
    """details.material_ids: drafts or archived materials, which members cannot open."""

    code = "study.material_not_published"
    message_zh = "只能布置已发布的学习资料"
    message_en = "Only published materials can be assigned"


class MaterialOutOfReach(Unprocessable):
    """details.material_ids: materials some of the audience cannot open (their owner is not
    above or at every audience organization)."""

    code = "study.material_out_of_reach"
    message_zh = "部分学习对象无法查看所选学习资料"
    message_en = "Some of the audience cannot open a material"


class DueInPast(Unprocessable):
    code = "study.due_in_past"
    message_zh = "截止时间应晚于当前时间"
    message_en = "The due time must lie in the future"


class TaskCancelled(Conflict):
    code = "study.task_cancelled"
    message_zh = "学习任务已取消"
    message_en = "The study task is cancelled"


class TaskOverdue(Conflict):
    code = "study.task_overdue"
    message_zh = "学习任务已过截止时间"
    message_en = "The study task is past its due time"


class TaskStarted(Conflict):
    code = "study.task_started"
    message_zh = "已有人开始学习，不能再更改学习资料或学习对象"
    message_en = "Someone has studied the task: its materials and audience are fixed"


class RemindedRecently(TooManyRequests):
    code = "study.reminded_recently"
    message_zh = "每小时只能提醒一次，请稍后再试"
    message_en = "A task's audience can be reminded once an hour"
    retry_after_seconds = 3600
