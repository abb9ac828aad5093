"""Who may read the checklist and who may fill it in.

Reading, one organization's and the subtree's list, takes ``orgs:read`` in scope: the
secretary filling in their branch's checklist reads it back, the instructor and the
committee admin read their subtrees'. (``oversight:read`` would leave the secretaries out.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Requires
from app.auth.permissions import Permission
from app.auth.scope import Principal

VenueReader = Annotated[Principal, Depends(Requires(Permission.ORGS_READ))]
VenueWriter = Annotated[Principal, Depends(Requires(Permission.VENUE_WRITE))]
