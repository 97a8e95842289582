"""People who use the gateway, their roles, and the territory they act on."""

from enum import StrEnum

from pydantic import Field, field_validator

from contracts.base import Contract


class Role(StrEnum):
    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    MAYOR = "mayor"
    DRIVER = "driver"
    FAMILY = "family"
    RESIDENT = "resident"
    # A regional journey planner's account: only the carpool interoperability searches.
    PARTNER = "partner"


USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._@-]{1,62}$"


class Commune(Contract):
    code: str = Field(pattern=r"^[0-9][0-9AB][0-9]{3}$", description="INSEE code, e.g. 59350")
    name: str = Field(min_length=1, max_length=120)


class Tenant(Contract):
    """The intercommunality and its communes."""

    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    name: str = Field(min_length=1, max_length=200)
    communes: tuple[Commune, ...] = ()


class UserCreate(Contract):
    username: str = Field(pattern=USERNAME_PATTERN)
    password: str = Field(min_length=10, max_length=200)
    role: Role
    full_name: str = Field(default="", max_length=200)
    communes: tuple[str, ...] = Field(
        default=(), description="INSEE codes; required for a mayor, who acts only on these"
    )

    @field_validator("communes")
    @classmethod
    def _unique(cls, codes: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(codes))


class UserPublic(Contract):
    username: str
    role: Role
    full_name: str = ""
    communes: tuple[str, ...] = ()
    disabled: bool = Field(default=False, description="a disabled user cannot log in")


class LoginRequest(Contract):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class PasswordChange(Contract):
    """`POST /auth/password`: the user changes their own password; every session ends."""

    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=10, max_length=200)


class PasswordReset(Contract):
    """`POST /users/{username}/password`: an admin sets a new password; the user's sessions end."""

    new_password: str = Field(min_length=10, max_length=200)


class StreamTicketRequest(Contract):
    """`POST /auth/stream-ticket`: the event stream (its path) the ticket will open."""

    path: str = Field(
        min_length=1,
        max_length=200,
        # The event streams a page opens with EventSource (which cannot send headers).
        pattern=(
            r"^(/campaigns/[A-Za-z0-9_-]{1,64}/events|/welfare-cases/live"
            r"|/seniors/[A-Za-z0-9_.-]{1,64}/tracking/live)$"
        ),
        description="e.g. /campaigns/cmp-1/events, /welfare-cases/live, /seniors/s-1/tracking/live",
    )


class StreamTicket(Contract):
    """Opens the named stream once, as `?ticket=`, within `expires_in` seconds."""

    ticket: str
    path: str
    expires_in: int


class TokenResponse(Contract):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds until the token stops working")
    user: UserPublic
