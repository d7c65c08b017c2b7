"""The pure iCalendar builder: what RFC 5545 asks of a subscribed feed, read back with icalendar."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from scheduling.feeds.ical import FeedEvent, build_calendar

LONDON = ZoneInfo("Europe/London")
STAMP = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
FIRST, LAST = date(2026, 11, 5), date(2028, 2, 8)


def event(uid: str = "session-1@stepwise", **fields: object) -> FeedEvent:
    values: dict[str, object] = {
        "uid": uid,
        "starts_at": datetime(2027, 3, 22, 18, 0, tzinfo=UTC),
        "ends_at": datetime(2027, 3, 22, 19, 30, tzinfo=UTC),
        "summary": "Group session 1",
        "sequence": 0,
        "last_modified": STAMP,
        **fields,
    }
    return FeedEvent(**values)  # type: ignore[arg-type]


def build(*events: FeedEvent, name: str = "My group sessions") -> Calendar:
    body = build_calendar(name, events, zone=LONDON, first_day=FIRST, last_day=LAST)
    assert body.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))  # folded (RFC 5545 3.1)
    return Calendar.from_ical(body)


def test_calendar_has_version_prodid_name_and_refresh_interval() -> None:
    calendar = build()

    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == "-//Stepwise//Calendar feeds//EN"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert (str(calendar["NAME"]), str(calendar["X-WR-CALNAME"])) == ("My group sessions",) * 2
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/London"
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert calendar.decoded("REFRESH-INTERVAL") == timedelta(hours=1)
    assert calendar.walk("VEVENT") == []
    assert calendar.walk("VTIMEZONE") == []  # no event names a zone: none needed


def test_event_has_uid_stamp_sequence_status_in_local_time_with_its_vtimezone() -> None:
    calendar = build(
        event(sequence=2, location="Library, Plymouth Road, PL19 8AB", description="Room: A\nB")
    )

    (timezone,) = calendar.walk("VTIMEZONE")
    (vevent,) = calendar.walk("VEVENT")
    assert str(timezone["TZID"]) == "Europe/London"
    assert {str(part["TZNAME"]) for part in timezone.walk("DAYLIGHT")} == {"BST"}
    assert str(vevent["UID"]) == "session-1@stepwise"
    assert vevent.decoded("DTSTAMP") == STAMP
    assert vevent.decoded("LAST-MODIFIED") == STAMP
    assert vevent["DTSTART"].params["TZID"] == "Europe/London"
    assert vevent.decoded("DTSTART") == datetime(2027, 3, 22, 18, 0, tzinfo=LONDON)
    assert vevent.decoded("DTEND") == datetime(2027, 3, 22, 19, 30, tzinfo=LONDON)
    assert (int(vevent["SEQUENCE"]), str(vevent["STATUS"])) == (2, "CONFIRMED")
    assert str(vevent["TRANSP"]) == "OPAQUE"
    assert str(vevent["SUMMARY"]) == "Group session 1"
    assert str(vevent["LOCATION"]) == "Library, Plymouth Road, PL19 8AB"
    assert str(vevent["DESCRIPTION"]) == "Room: A\nB"


def test_cancelled_event_stays_marked_cancelled_and_free_tentative_is_tentative() -> None:
    calendar = build(event("a@x", cancelled=True), event("b@x", tentative=True))

    cancelled, tentative = calendar.walk("VEVENT")
    assert (str(cancelled["STATUS"]), str(cancelled["TRANSP"])) == ("CANCELLED", "TRANSPARENT")
    assert str(cancelled["SUMMARY"]) == "Cancelled: Group session 1"
    assert str(tentative["STATUS"]) == "TENTATIVE"


def test_events_without_location_or_description_leave_them_out() -> None:
    (vevent,) = build(event()).walk("VEVENT")

    assert "LOCATION" not in vevent
    assert "DESCRIPTION" not in vevent


def test_same_events_give_the_same_bytes() -> None:
    events = [event(f"session-{n}@stepwise") for n in range(3)]

    first = build_calendar("x", events, zone=LONDON, first_day=FIRST, last_day=LAST)
    second = build_calendar("x", list(events), zone=LONDON, first_day=FIRST, last_day=LAST)

    assert first == second


def test_text_with_commas_semicolons_and_newlines_round_trips() -> None:
    awkward = 'Room 1, "Annexe"; back door\nring twice \\ wait'

    (vevent,) = build(event(summary=awkward, location=awkward, description=awkward)).walk("VEVENT")

    assert (str(vevent["SUMMARY"]), str(vevent["LOCATION"])) == (awkward, awkward)
    assert str(vevent["DESCRIPTION"]) == awkward


# Any instant from 2026 to 2028, in whole minutes: an event there reads back as the same
# instant and as the wall-clock time London shows for it.
instants = st.datetimes(
    min_value=datetime(2026, 11, 5),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=datetime(2028, 2, 7),  # noqa: DTZ001
    timezones=st.just(UTC),
).map(lambda at: at.replace(second=0, microsecond=0))


@settings(max_examples=60, deadline=None)
@given(start=instants, minutes=st.integers(min_value=15, max_value=240))
def test_any_instant_reads_back_as_the_same_instant_and_london_wall_clock(
    start: datetime, minutes: int
) -> None:
    end = start + timedelta(minutes=minutes)

    (vevent,) = build(event(starts_at=start, ends_at=end)).walk("VEVENT")

    read_start, read_end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
    assert (read_start, read_end) == (start, end)
    local = start.astimezone(LONDON)
    assert (read_start.hour, read_start.minute) == (local.hour, local.minute)
    assert read_start.utcoffset() == local.utcoffset()
