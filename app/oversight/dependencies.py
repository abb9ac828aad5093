"""Who may read the oversight figures and who may set what they are measured against."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Requires
from app.auth.permissions import Permission
from app.auth.scope import Principal

OversightReader = Annotated[Principal, Depends(Requires(Permission.OVERSIGHT_READ))]
OversightManager = Annotated[Principal, Depends(Requires(Permission.OVERSIGHT_MANAGE))]
