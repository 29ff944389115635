"""Several profiles at once: each resolved on its own, its credentials for its own server only."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.api.auth import PasswordLogin, StaticToken
from app.api.rest import RestBackend
from app.config import ConfigError, load_all_profiles, load_profile_set, profile_labels, unified_profiles
from app.connect import open_backends, open_unified

WORK_TOKEN = "tok-WORK-1234567890"
STAGING_TOKEN = "tok-STAGING-abcdefgh"

CONFIG = f"""
default_profile = "work"
unified = ["work", "staging"]
poll_interval = 12

[profiles.work]
url = "https://work.example.com/"
token = "{WORK_TOKEN}"

[profiles.staging]
url = "https://staging.example.com"
token = "{STAGING_TOKEN}"
transport = "graphql"
timeout = 4

[profiles.home]
url = "https://home.example.com"
email = "me@example.com"
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    path.chmod(0o600)
    return path


def test_each_profile_of_the_set_is_resolved_from_the_file_alone(config: Path):
    # A token and URL in the environment name one server: never sent to every profile's.
    env = {"DIRECTUS_URL": "https://evil.example.com", "DIRECTUS_TOKEN": "tok-ENV-0000000000", "DIRECTUS_PASSWORD": "x"}
    profiles = load_profile_set(["staging", "work"], config=config, env=env)
    assert profiles.names == ["staging", "work"]
    work, staging = profiles.profiles["work"], profiles.profiles["staging"]
    assert (work.url, work.token and work.token.get_secret_value(), work.transport) == (
        "https://work.example.com",
        WORK_TOKEN,
        "rest",
    )
    assert (staging.url, staging.transport, staging.timeout) == ("https://staging.example.com", "graphql", 4)
    assert staging.token is not None and staging.token.get_secret_value() == STAGING_TOKEN
    assert profiles.primary.poll_interval == 12
    assert sorted(profiles.secrets()) == sorted([WORK_TOKEN, STAGING_TOKEN])
    assert profiles.labels == {"staging": "stag", "work": "work"}


def test_the_files_unified_list_and_every_profile(config: Path):
    assert load_profile_set(config=config, env={}).names == ["work", "staging"]
    assert unified_profiles(config=config, env={}) == ["work", "staging"]
    assert load_all_profiles(config=config, env={}).names == ["work", "staging", "home"]


@pytest.mark.parametrize(
    ("names", "fragment"),
    [
        (["work", "nope"], "There is no profile 'nope' (from --profiles)"),
        (["work", "work"], "name work twice"),
        (["work", " "], "empty name"),
    ],
)
def test_a_set_that_cannot_be_opened_says_why(config: Path, names: list[str], fragment: str):
    with pytest.raises(ConfigError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        load_profile_set(names, config=config, env={})


def test_a_file_without_a_unified_list_or_with_a_wrong_one(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text('[profiles.work]\nurl = "https://w.example.com"\ntoken = "tok-1234567890"\n')
    with pytest.raises(ConfigError, match="has no unified list"):
        load_profile_set(config=path, env={})
    path.write_text('unified = "work"\n')
    with pytest.raises(ConfigError, match=r"config.toml:1: unified must be a list of profile names"):
        load_profile_set(config=path, env={})
    path.write_text(
        'unified = ["work", "gone"]\n[profiles.work]\nurl = "https://w.example.com"\ntoken = "t-1234567890"\n'
    )
    with pytest.raises(ConfigError, match=r"There is no profile 'gone' \(from unified in .*config.toml:1\)"):
        load_profile_set(config=path, env={})


def test_labels_are_short_unique_and_one_word():
    assert profile_labels(["work", "staging"]) == {"work": "work", "staging": "stag"}
    assert profile_labels(["prod", "prod-eu", "prod-us"]) == {"prod": "prod", "prod-eu": "proe", "prod-us": "prou"}
    labels = profile_labels(["Client", "client", "client-two", "x\x1b[31m y"])
    assert len({label.casefold() for label in labels.values()}) == 4
    assert all(len(label) <= 4 and label.isprintable() and " " not in label for label in labels.values())


async def test_each_backend_gets_its_own_server_and_credentials(config: Path):
    profiles = load_profile_set(["work", "home"], config=config, env={"DIRECTUS_PASSWORD": "not-for-home"})
    prompts: list[str] = []

    def prompt(text: str) -> str:
        prompts.append(text)
        return "home-password"

    backends = open_backends(profiles, password_prompt=prompt)
    try:
        work, home = backends["work"], backends["home"]
        assert isinstance(work, RestBackend) and isinstance(home, RestBackend)
        assert work.client.url == "https://work.example.com" and home.client.url == "https://home.example.com"
        assert isinstance(work.client.auth, StaticToken) and work.client.auth._token == WORK_TOKEN
        assert isinstance(home.client.auth, PasswordLogin) and home.client.auth._password == "home-password"
        # The environment's password was not taken for home: asked for, naming the server.
        assert prompts == ["Password for me@example.com at https://home.example.com: "]
    finally:
        for backend in backends.values():
            await backend.aclose()

    unified = open_unified(load_profile_set(config=config, env={}))
    try:
        assert unified.profiles == ["work", "staging"] and unified.labels == {"work": "work", "staging": "stag"}
        assert unified.info.kind == "unified"
    finally:
        await unified.aclose()
