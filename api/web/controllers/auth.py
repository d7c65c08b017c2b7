"""Sign in, sign out, who am I, change my password."""

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from api.core import clock
from api.core.actor import Actor
from api.core.context import request_id_var
from api.core.settings import get_settings
from api.identity import accounts, sessions
from api.identity.schemas import LoginRequest, PasswordChange, StaffUserRead, TokenRead
from api.web.openapi_docs import problems
from api.web.security import PASSWORD_CHANGE_OPT, PUBLIC_OPT, STAFF_AUTH_STATE, issue_token

_PENDING_OK = {PASSWORD_CHANGE_OPT: True}


class AuthController(Controller):
    """/api/v1/auth."""

    path = "/auth"
    tags = ("auth",)

    @post(
        "/login",
        status_code=HTTP_200_OK,
        opt={PUBLIC_OPT: True, **problems(401, 429)},
        summary="Sign in with email and password",
    )
    async def login(
        self,
        data: JSONBody[LoginRequest],
        request: Request[Any, Any, Any],
    ) -> TokenRead:
        """Answers a bearer token; repeated failures are slowed per account and per address."""
        now = clock.now()
        grant = await sessions.log_in(
            data.email,
            data.password,
            client_address=request.client.host if request.client else "unknown",
            request_id=request_id_var.get(),
            now=now,
        )
        token = issue_token(
            request.app.state[STAFF_AUTH_STATE],
            user_id=grant.user_id,
            session_id=grant.session_id,
            expires_at=grant.expires_at,
            settings=get_settings(),
        )
        return TokenRead(
            access_token=token,
            expires_in=int((grant.expires_at - now).total_seconds()),
            password_change_required=grant.password_change_required,
        )

    @post("/logout", status_code=HTTP_204_NO_CONTENT, opt=_PENDING_OK, summary="Sign out")
    async def logout(self, actor: NamedDependency[Actor]) -> None:
        """Revokes the token this request carries, at once."""
        await sessions.log_out(by=actor, now=clock.now())

    @get("/me", opt=_PENDING_OK, summary="The signed-in staff member")
    async def me(self, actor: NamedDependency[Actor]) -> StaffUserRead:
        """Your own account."""
        return await accounts.get_own_account(by=actor)

    @post(
        "/password",
        status_code=HTTP_204_NO_CONTENT,
        opt={**_PENDING_OK, **problems(400)},
        summary="Change your password",
    )
    async def change_password(
        self, data: JSONBody[PasswordChange], actor: NamedDependency[Actor]
    ) -> None:
        """Your other sessions are signed out; this one stays."""
        await accounts.change_own_password(
            data.current_password, data.new_password, by=actor, now=clock.now()
        )
