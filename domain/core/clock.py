""""Today" is a calendar date in the company's time zone; instants are UTC."""

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=32)
def zone(name: str) -> ZoneInfo:
    """ZoneInfo, cached."""
    return ZoneInfo(name or "Europe/Paris")


def today_in(tz_name: str, now: datetime | None = None) -> date:
    """The calendar date it is now in that time zone (an invoice issued at 00:30 in Paris is dated that day)."""
    now = now or datetime.now(UTC)
    return now.astimezone(zone(tz_name)).date()
