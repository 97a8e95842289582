"""Twilio's error answers: an HTTP status and a JSON body with code, message, more_info, status."""

from __future__ import annotations

from starlette.responses import JSONResponse


class TwilioError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> JSONResponse:
        body = {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }
        headers = {"WWW-Authenticate": 'Basic realm="Twilio API"'} if self.status == 401 else None
        return JSONResponse(body, status_code=self.status, headers=headers)


def authenticate() -> TwilioError:
    return TwilioError(401, 20003, "Authenticate")


def not_found(path: str) -> TwilioError:
    return TwilioError(404, 20404, f"The requested resource {path} was not found")


def too_many_requests() -> TwilioError:
    return TwilioError(429, 20429, "Too Many Requests")


def invalid_to(number: str) -> TwilioError:
    return TwilioError(400, 21211, f"Invalid 'To' Phone Number: {number}")


def not_mobile(number: str) -> TwilioError:
    return TwilioError(400, 21614, f"'To' number {number} is not a valid mobile number")


def unsubscribed() -> TwilioError:
    return TwilioError(400, 21610, "Attempt to send to unsubscribed recipient")


def missing(code: int, message: str) -> TwilioError:
    return TwilioError(400, code, message)
