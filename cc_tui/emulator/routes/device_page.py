"""The verification page a person opens to approve or deny a device sign-in (``/activate``)."""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from cc_tui.emulator.oauth_codes import normalize_user_code
from cc_tui.emulator.routes.common import emulator_of
from cc_tui.emulator.routes.oauth import VERIFICATION_PATH

__all__ = ["ROUTES"]

_STYLE = """
body { font-family: system-ui, sans-serif; background: #f4f6f8; color: #1d2733; margin: 0; }
main { max-width: 28rem; margin: 4rem auto; background: #fff; padding: 2rem 2.5rem;
       border-radius: 12px; box-shadow: 0 2px 12px rgba(0, 0, 0, .08); }
h1 { font-size: 1.35rem; margin-top: 0; }
.brand { color: #1856ed; font-weight: 600; font-size: .85rem; letter-spacing: .04em; }
input[name=user_code] { font: 600 1.4rem ui-monospace, monospace; letter-spacing: .15em;
       width: 100%; box-sizing: border-box; padding: .6rem; text-transform: uppercase;
       border: 1px solid #b8c2cc; border-radius: 8px; }
.buttons { display: flex; gap: .75rem; margin-top: 1.25rem; }
button { flex: 1; font-size: 1rem; padding: .7rem; border-radius: 8px; border: 0; cursor: pointer; }
.approve { background: #1856ed; color: #fff; }
.deny { background: #e8ebef; color: #1d2733; }
.note { color: #5a6877; font-size: .9rem; }
.ok { color: #137333; } .bad { color: #b3261e; }
"""


def _page(title: str, content: str, status: int = 200) -> HTMLResponse:
    html = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body><main>"
        "<div class='brand'>CONSTANT CONTACT EMULATOR</div>"
        f"<h1>{escape(title)}</h1>{content}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status)


def _form(user_code: str, details: str) -> str:
    return (
        f"<form method='post' action='{VERIFICATION_PATH}'>"
        "<p class='note'>Enter the code shown by the application that wants to sign in.</p>"
        f"<input name='user_code' value='{escape(user_code)}' autocomplete='off' autofocus "
        "placeholder='ABCD-EFGH' required>"
        f"{details}<div class='buttons'>"
        "<button class='approve' name='action' value='approve'>Approve</button>"
        "<button class='deny' name='action' value='deny'>Deny</button></div></form>"
    )


async def activate_form(request: Request) -> HTMLResponse:
    """``GET /activate``; ``?user_code=`` pre-fills the form and shows who asks for what."""
    user_code = normalize_user_code(request.query_params.get("user_code", ""))
    details = ""
    if user_code:
        device = emulator_of(request).oauth.find_user_code(user_code)
        if device is None:
            details = "<p class='bad'>This code is unknown or has expired.</p>"
        else:
            details = (
                f"<p class='note'>Application <b>{escape(device.client_id)}</b> asks for: "
                f"{escape(', '.join(device.scopes))}.</p>"
            )
    return _page("Activate your device", _form(user_code, details))


async def activate_submit(request: Request) -> HTMLResponse:
    """``POST /activate``: approve or deny, then show the outcome."""
    form = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace")))
    user_code = normalize_user_code(form.get("user_code", ""))
    approve = form.get("action", "approve") == "approve"
    if not user_code or not emulator_of(request).oauth.decide(user_code, approve):
        message = (
            f"<p class='bad'>The code <b>{escape(user_code or '(empty)')}</b> is unknown, "
            "expired or already used. Start the sign-in again in the application.</p>"
        )
        return _page("Code not accepted", message + _form("", ""), status=400)
    if approve:
        text = "<p class='ok'>Device approved. You can close this page and return to the app.</p>"
        return _page("Signed in", text)
    text = "<p class='bad'>Access denied. The application will not be signed in.</p>"
    return _page("Request denied", text)


ROUTES = [
    Route(VERIFICATION_PATH, activate_form, methods=["GET"]),
    Route(VERIFICATION_PATH, activate_submit, methods=["POST"]),
]
