"""Why a venue, room or booking request is refused; each becomes a problem+json."""

from api.core.errors import Conflict, InvalidInput


class RoomUnavailable(Conflict):
    """The room is already booked for an overlapping time."""

    code = "room-unavailable"
    title = "The room is already booked then"


class OutsideOpeningHours(Conflict):
    """The venue is not open for the whole of the slot."""

    code = "outside-opening-hours"
    title = "The venue is not open then"


class VenueClosed(Conflict):
    """A closure (holidays, works) covers the date."""

    code = "venue-closed"
    title = "The venue is closed on that date"


class BankHoliday(Conflict):
    """The date is a bank holiday in England and the venue does not open on them."""

    code = "bank-holiday"
    title = "The venue is closed on bank holidays"


class Archived(Conflict):
    """The venue or room is archived: it keeps its history and takes no new bookings."""

    code = "archived"
    title = "Archived: no new bookings"


class InvalidLocalTime(InvalidInput):
    """A wall-clock time that does not exist, or happens twice, on a clock-change day."""

    code = "invalid-local-time"
    title = "That local time does not exist or is ambiguous"
