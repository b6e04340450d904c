"""``[notify]`` in config.toml: read, checked (unknown keys and bad values refused with the key
and the fix), kept when the file is rewritten and when an export is edited."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from cc_tui.errors import ConfigError
from cc_tui.models.notify import NotifySettings, NotifyWhen
from cc_tui.store.config import ConfigStore
from cc_tui.store.config_reader import load_config
from tests.store.test_config import GOOD

NOTIFY = """
[notify]
on = "failure"
command = ["/usr/local/bin/page-ops", "--team", "crm"]
webhook = "https://hooks.example.com/services/T0/B0/x"
webhook_text = true
timeout_s = 15

[exports.spring-promo.notify]
webhook = "http://127.0.0.1:8080/hook"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_global_and_export_notify_tables_are_read(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, GOOD + NOTIFY))

    assert config.notify == NotifySettings(
        on=NotifyWhen.FAILURE,
        command=("/usr/local/bin/page-ops", "--team", "crm"),
        webhook="https://hooks.example.com/services/T0/B0/x",
        webhook_text=True,
        timeout_s=15,
    )
    export = config.exports["spring-promo"]
    assert export.notify == NotifySettings(webhook="http://127.0.0.1:8080/hook")


def test_notify_survives_a_rewrite_of_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD + NOTIFY)
    store = ConfigStore(path)
    before = store.load()

    store.update(lambda c: replace(c, theme="cc-light"))
    after = store.load()

    assert after.notify == before.notify
    assert after.exports["spring-promo"].notify == before.exports["spring-promo"].notify


@pytest.mark.parametrize(
    ("table", "key", "says"),
    [
        ('[notify]\nwebhok = "https://x.example"\n', "notify.webhok", "rename it to 'webhook'"),
        ('[notify]\non = "always"\ncommand = ["x"]\n', "notify.on", "is not one of"),
        ("[notify]\ncommand = []\n", "notify.command", "is empty"),
        ('[notify]\ncommand = "notify-send done"\n', "notify.command", "list of strings"),
        ('[notify]\nwebhook = "http://hooks.example.com/x"\n', "notify.webhook", "https://"),
        ('[notify]\nwebhook = "https://u:p@hooks.example.com"\n', "notify.webhook", "password"),
        ('[notify]\ncommand = ["x"]\ntimeout_s = 0\n', "notify.timeout_s", "out of range"),
        ('[notify]\non = "both"\n', "notify", "neither a command nor a webhook"),
        (
            '[exports.spring-promo.notify]\ncommand = ["x"]\nshell = true\n',
            "exports.spring-promo.notify.shell",
            "unknown key",
        ),
    ],
)
def test_bad_notify_settings_are_refused_with_the_key(
    tmp_path: Path, table: str, key: str, says: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, GOOD + table))

    assert caught.value.key == key
    assert says in str(caught.value)
