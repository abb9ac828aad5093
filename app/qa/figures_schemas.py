from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from app.kit.time import ShownTime

READ = ConfigDict(from_attributes=True)


class QaFigure(BaseModel):
    model_config = READ

    asked: int = Field(
        description="Questions asked in the period (pending review and rejected ones are not "
        "counted)"
    )
    answered: int = Field(description="Of them, those with a visible answer before the cutoff")
    median_seconds: int | None = Field(
        description="Time from asking to the first visible answer, in seconds: the median of "
        "the answered ones (linear interpolation between the two middle values, rounded to "
        "the second); null where none was answered"
    )
    p90_seconds: int | None = Field(
        description="The same times' 90th percentile, in seconds (as PostgreSQL's "
        "percentile_cont(0.9): linear interpolation between the nearest ranks, rounded to "
        "the second); null where none was answered"
    )
    open_over_48h: int = Field(
        description="Of the asked, those that at the cutoff had waited more than 48 hours "
        "with no visible answer and were not closed"
    )


class OrgQaFigure(QaFigure):
    org_id: int = Field(validation_alias="id", description="The organization routed to")
    name: str


class InstructorQaFigure(QaFigure):
    member_id: int = Field(
        validation_alias="id",
        description="Who wrote the first visible answer (an instructor, or an admin who "
        "answered); for a question unanswered at the cutoff, its assignee",
    )
    name: str


class QaFigures(BaseModel):
    org_id: int
    name: str
    from_: date = Field(serialization_alias="from")
    to: date
    cutoff: ShownTime = Field(
        description="The instant the figures are read at: the end of the period (00:00 of the "
        "day after `to`, Beijing time) or now, whichever is earlier"
    )
    total: QaFigure = Field(description="Every question routed into the subtree")
    by_org: list[OrgQaFigure] = Field(
        description="Each organization of the subtree questions of the period were routed to, by id"
    )
    by_instructor: list[InstructorQaFigure] = Field(
        description="Each member whose figures the period's questions joined, by id"
    )
