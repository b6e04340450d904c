"""A URL with ``user:password@`` is refused wherever a URL is configured, password unshown."""

from __future__ import annotations

from pathlib import Path

import pytest

from cc_tui.cli.entry import main
from cc_tui.engine.services import Services
from cc_tui.errors import InsecureUrlError
from cc_tui.models.connection import url_is_secure_enough, url_without_credentials
from cc_tui.paths import AppPaths

PASSWORD = "hunter2-secret"
WITH_PASSWORD = f"https://bob:{PASSWORD}@api.example.com/v3"


@pytest.mark.parametrize("option", ["--api-base-url", "--auth-base-url"])
def test_connection_add_refuses_a_password_in_a_url(
    cc_home: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    argv = ["connection", "add", "x", "--client-id", "c", "--accept-privacy", option]
    assert main([*argv, WITH_PASSWORD]) == 2
    err = capsys.readouterr().err
    assert "user:password@" in err and "https://api.example.com/v3" in err
    assert PASSWORD not in err and "bob" not in err
    assert not AppPaths.resolve().config_file.exists() or PASSWORD not in (
        AppPaths.resolve().config_file.read_text()
    )


def test_connection_edit_refuses_a_password_in_a_url(cc_home: Path) -> None:
    services = Services.open(AppPaths.resolve())
    try:
        services.connections.add("x", client_id="c", accept_privacy=True)
        with pytest.raises(InsecureUrlError) as refused:
            services.connections.edit("x", auth_base_url=f"http://bob:{PASSWORD}@127.0.0.1:1")
        assert PASSWORD not in str(refused.value)
        assert PASSWORD not in services.paths.config_file.read_text()
    finally:
        services.close()


def test_config_file_with_a_password_in_a_url_is_refused(
    cc_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    AppPaths.resolve().config_file.write_text(
        f'schema_version = 1\n[connections.x]\nclient_id = "c"\napi_base_url = "{WITH_PASSWORD}"\n'
    )
    assert main(["connection", "list"]) == 2
    err = capsys.readouterr().err
    assert "api_base_url" in err and "user:password@" in err
    assert PASSWORD not in err


def test_user_info_is_never_secure_enough() -> None:
    assert not url_is_secure_enough(WITH_PASSWORD)
    assert not url_is_secure_enough("https://token@api.example.com")
    assert url_is_secure_enough("https://api.example.com/v3")
    assert url_without_credentials(WITH_PASSWORD) == "https://api.example.com/v3"
