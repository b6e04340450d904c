"""Error answers in Constant Contact's two body shapes, and the exception that carries them.

* ``APIErrorSchema``: an array ``[{"error_key": ..., "error_message": ...}]`` - most errors.
* ``AuthorizationErrorSchema``: one object of the same two fields - 401, 403 and the two
  documented 429 bodies (``throttled``, ``quota_exceeded``).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.responses import JSONResponse

__all__ = [
    "NOT_FOUND_KEY",
    "VALIDATION_KEY",
    "ApiProblem",
    "error_array",
    "error_object",
]

VALIDATION_KEY = "contacts.api.validation.error"
NOT_FOUND_KEY = "contacts.api.not_found"
CONFLICT_KEY = "contacts.api.conflict"


def error_array(status: int, key: str, messages: str | Sequence[str]) -> JSONResponse:
    """An ``APIErrorSchema`` answer: one entry per message."""
    texts = [messages] if isinstance(messages, str) else list(messages)
    body = [{"error_key": key, "error_message": text} for text in texts]
    return JSONResponse(body, status_code=status)


def error_object(status: int, key: str, message: str) -> JSONResponse:
    """An ``AuthorizationErrorSchema`` answer (a single object)."""
    return JSONResponse({"error_key": key, "error_message": message}, status_code=status)


class ApiProblem(Exception):
    """Raised anywhere below a /v3 route; the app answers it in the array shape."""

    def __init__(self, status: int, key: str, messages: str | Sequence[str]) -> None:
        self.status = status
        self.key = key
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__(f"{status} {key}: {'; '.join(self.messages)}")

    @classmethod
    def bad_request(cls, messages: str | Sequence[str]) -> ApiProblem:
        """400 with the validation key."""
        return cls(400, VALIDATION_KEY, messages)

    @classmethod
    def not_found(cls, message: str) -> ApiProblem:
        """404."""
        return cls(404, NOT_FOUND_KEY, message)

    @classmethod
    def conflict(cls, message: str) -> ApiProblem:
        """409."""
        return cls(409, CONFLICT_KEY, message)

    def response(self) -> JSONResponse:
        """The array-shaped answer."""
        return error_array(self.status, self.key, self.messages)
