"""``channels.yaml``: mistakes are reported with the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopstream.core import InvalidConfigFile
from shopstream.deliver import (
    InvalidChannelConfig,
    example_channels,
    load_deliver_config,
    parse_deliver_config,
)

GOOD = """\
retry: {max_attempts: 5, base_seconds: 0.5}
channels:
  webhook:
    url: http://127.0.0.1:9000/hook
    secret: s3
    rate: 20
  email:
    url: http://127.0.0.1:9000/email
    secret_env: EMAIL_SECRET
    templates:
      default: {subject: "Hi {{ traits.first_name }}", body: "{{ items | length }} items"}
  associate: {}
"""


def test_a_good_file_parses() -> None:
    config = parse_deliver_config(GOOD)
    assert config.retry.backoff().max_attempts == 5
    assert set(config.channels.configured()) == {"webhook", "email", "associate"}
    assert config.channels.webhook is not None
    assert config.channels.webhook.rate == 20
    email = config.channels.email
    assert email is not None
    assert email.resolve_secret({"EMAIL_SECRET": "x"}, "channels.email") == "x"
    with pytest.raises(InvalidChannelConfig, match="EMAIL_SECRET, which is not set"):
        email.resolve_secret({}, "channels.email")


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (GOOD.replace("rate: 20", "rate: -1"), "channels.yaml:6: channels.webhook.rate"),
        (GOOD.replace("max_attempts: 5", "max_attempts: lots"),
         "channels.yaml:1: retry.max_attempts"),
        (GOOD.replace("  associate: {}", "  fax: {}"), "channels.yaml:12: channels.fax"),
        (GOOD.replace("    url: http://127.0.0.1:9000/hook\n", ""), "channels.yaml:3: channels.webhook.url"),
        (GOOD.replace("secret: s3", "secret: s3\n    colour: red"),
         "channels.yaml:6: channels.webhook.colour"),
        ("channels: [", "channels.yaml:1"),
    ],
)  # fmt: skip
def test_mistakes_name_file_line_and_field(text: str, where: str) -> None:
    with pytest.raises(InvalidConfigFile) as raised:
        parse_deliver_config(text)
    assert raised.value.field is not None
    assert raised.value.field.startswith(where)


def test_a_broken_template_fails_when_the_file_is_loaded(tmp_path: Path) -> None:
    path = tmp_path / "channels.yaml"
    path.write_text(GOOD.replace("{{ items | length }}", "{% for %}"))
    with pytest.raises(InvalidChannelConfig) as raised:
        load_deliver_config(path)
    assert raised.value.field == "channels.email.templates.default.body"
    assert load_deliver_config(tmp_path / "absent.yaml").channels.configured() == {}


def test_the_example_file_is_valid() -> None:
    config = parse_deliver_config(example_channels())
    assert set(config.channels.configured()) == {"associate", "audience"}
