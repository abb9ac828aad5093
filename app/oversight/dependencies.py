"""Who may read the oversight figures and who may set what they are measured against, and
the query parameters the figures share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from app.auth.dependencies import Requires
from app.auth.permissions import Permission
from app.auth.scope import Principal
from app.kit.types import INT32_MAX, Digits
from app.kit.validation import IsoDate

OversightReader = Annotated[Principal, Depends(Requires(Permission.OVERSIGHT_READ))]
OversightManager = Annotated[Principal, Depends(Requires(Permission.OVERSIGHT_MANAGE))]

OrgQuery = Annotated[
    int,
    Query(ge=1, le=INT32_MAX, description="The organization whose subtree is counted"),
    Digits,
]
AsOfQuery = Annotated[
    IsoDate | None,
    Query(description="The day counted (Beijing time), not after today; today by default"),
]
