"""Small builders, valid by default: set only what the test is about."""

import itertools
from dataclasses import dataclass, field

import httpx

from api.core import clock
from api.core.actor import Actor, Role
from api.identity import accounts
from api.identity.schemas import StaffUserCreate, StaffUserRead

DEFAULT_PASSWORD = "a-long-test-passphrase-1"
_numbers = itertools.count(1)


@dataclass
class SignedIn:
    """A staff member with a live token."""

    user: StaffUserRead
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header for their requests."""
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class StaffFactory:
    """Creates accounts through the service and signs them in through the API."""

    client: httpx.AsyncClient
    made: list[SignedIn] = field(default_factory=list)

    async def create(
        self, *roles: Role, email: str | None = None, password: str = DEFAULT_PASSWORD
    ) -> StaffUserRead:
        """An account with these roles (facilitator by default) and a known password."""
        new = StaffUserCreate(
            email=email or f"staff{next(_numbers)}@test.example",
            full_name="Test Staff",
            roles=list(roles or (Role.FACILITATOR,)),
        )
        user, _ = await accounts.create_staff_user(
            new, by=Actor.system(), now=clock.now(), password=password
        )
        return user

    async def login(self, email: str, password: str = DEFAULT_PASSWORD) -> httpx.Response:
        """POST /api/v1/auth/login."""
        return await self.client.post(
            "/api/v1/auth/login", json={"email": email, "password": password}
        )

    async def signed_in(self, *roles: Role, email: str | None = None) -> SignedIn:
        """An account with these roles, signed in."""
        user = await self.create(*roles, email=email)
        response = await self.login(user.email)
        assert response.status_code == 200, response.text
        signed = SignedIn(
            user=user, password=DEFAULT_PASSWORD, token=response.json()["access_token"]
        )
        self.made.append(signed)
        return signed
