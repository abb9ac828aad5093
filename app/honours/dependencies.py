"""Who may read, nominate and decide.

Reading (the list, one nomination, the sheet) takes ``orgs:read`` over the nomination's
organization: a secretary follows their branch's nominations, a committee admin its whole
subtree's. Nominating takes ``honours:nominate`` over the subject, deciding
``honours:decide`` over the committee that decides."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Requires
from app.auth.permissions import Permission
from app.auth.scope import Principal

HonoursReader = Annotated[Principal, Depends(Requires(Permission.ORGS_READ))]
Nominator = Annotated[Principal, Depends(Requires(Permission.HONOURS_NOMINATE))]
Decider = Annotated[Principal, Depends(Requires(Permission.HONOURS_DECIDE))]
