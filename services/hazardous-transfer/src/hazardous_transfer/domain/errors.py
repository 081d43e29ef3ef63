"""Every reason the domain refuses a command. The API maps each to a 4xx with its message;
a refused command changes no state."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule violation. ``code`` is a stable machine-readable reason."""

    code = "domain_error"
    http_status = 422


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class Conflict(DomainError):
    """The command does not fit the record's current state."""

    code = "conflict"
    http_status = 409


class Forbidden(DomainError):
    code = "forbidden"
    http_status = 403


class CalendarYearUnknown(DomainError):
    code = "calendar_year_unknown"

    def __init__(self, year: int, first: int, last: int) -> None:
        super().__init__(
            f"the official holiday calendar for {year} is not known (known: {first}-{last}); "
            "working-day deadlines cannot be computed: update the chinesecalendar package"
        )
        self.year = year


class UnknownProvince(DomainError):
    code = "unknown_province"


class UnknownPrefecture(DomainError):
    code = "unknown_prefecture"


class InvalidWasteCode(DomainError):
    code = "invalid_waste_code"


class WasteCodeNotInEdition(DomainError):
    code = "waste_code_not_in_edition"


class NoEditionInForce(DomainError):
    code = "no_edition_in_force"


class OutOfOrder(Conflict):
    code = "out_of_order"


class AlreadyDone(Conflict):
    """The same step was already signed or decided (by another command)."""

    code = "already_done"


class WrongParty(Forbidden):
    code = "wrong_party"


class QuantityExceedsApproval(DomainError):
    code = "quantity_exceeds_approval"


class LicenceDoesNotCover(DomainError):
    code = "licence_does_not_cover"


class ApprovalExpired(DomainError):
    code = "approval_expired"


class NewApplicationRequired(DomainError):
    code = "new_application_required"


class InvalidCommand(DomainError):
    code = "invalid_command"


class SerialExhausted(Conflict):
    code = "serial_exhausted"
