"""Settings resolution: flags > environment > profile > embedded, and errors that help."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from app.config import ConfigError, Settings, check_url, default_config_path, load_settings

TOKEN = "tok-SECRET-1234567890"
OTHER_TOKEN = "tok-OTHER-abcdefghij"
PASSWORD = "pw-SECRET-0987654321"

CONFIG = f"""
default_profile = "work"
theme = "nord"

[keymap]
archive = "e"
delete = "d,delete"

[profiles.work]
url = "https://work.example.com/"
token = "{TOKEN}"
transport = "graphql"
timeout = 5

[profiles.home]
url = "http://home.example.com:8055"
email = "me@example.com"
password = "{PASSWORD}"
"""


def secret(value: SecretStr | None) -> str | None:
    return None if value is None else value.get_secret_value()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def config_file() -> Path:
    """The config at its default place (XDG_CONFIG_HOME is a temporary dir, see conftest)."""
    return write(default_config_path(), CONFIG)


def test_default_path_is_under_xdg_config(isolated_dirs: Path) -> None:
    assert default_config_path() == isolated_dirs / "config" / "directus-inbox" / "config.toml"


def test_nothing_configured_means_embedded() -> None:
    settings = load_settings()
    assert settings.url is None and settings.is_embedded
    assert settings.token is None and settings.email is None
    assert settings.embedded_reason == "no server configured"


def test_default_profile_is_used(config_file: Path) -> None:
    settings = load_settings()
    assert settings.profile == "work"
    assert settings.url == "https://work.example.com"
    assert secret(settings.token) == TOKEN
    assert settings.transport == "graphql"
    assert settings.timeout == 5
    assert settings.theme == "nord"
    assert settings.keymap == {"archive": "e", "delete": "d,delete"}
    assert settings.config_path == config_file


def test_named_profile_beats_default(config_file: Path) -> None:
    settings = load_settings(profile="home")
    assert settings.url == "http://home.example.com:8055"
    assert settings.token is None
    assert settings.email == "me@example.com"
    assert secret(settings.password) == PASSWORD
    assert settings.transport == "rest"
    assert settings.timeout == 15


def test_env_profile_and_flag_profile(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIRECTUS_INBOX_PROFILE", "home")
    assert load_settings().profile == "home"
    assert load_settings(profile="work").profile == "work"


def test_precedence_flags_over_env_over_profile(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIRECTUS_INBOX_TRANSPORT", "rest")
    assert load_settings().transport == "rest"  # env beats the profile's graphql
    assert load_settings(transport="graphql").transport == "graphql"  # flag beats env

    monkeypatch.setenv("DIRECTUS_TOKEN", OTHER_TOKEN)
    assert secret(load_settings().token) == OTHER_TOKEN  # env beats the profile
    assert secret(load_settings(token="flag-token").token) == "flag-token"  # flag beats env

    monkeypatch.setenv("DIRECTUS_URL", "https://work.example.com")  # the profile's own server
    settings = load_settings()
    assert settings.profile == "work" and settings.timeout == 5
    assert load_settings(url="https://work.example.com/").url == "https://work.example.com"


def test_env_alone_without_config() -> None:
    settings = load_settings(
        env={"DIRECTUS_URL": "http://localhost:8055", "DIRECTUS_EMAIL": "a@b.c", "DIRECTUS_PASSWORD": PASSWORD}
    )
    assert settings.url == "http://localhost:8055"
    assert settings.email == "a@b.c" and settings.token is None
    assert secret(settings.password) == PASSWORD
    assert settings.profile is None


def test_token_flag_is_not_mixed_with_email(config_file: Path) -> None:
    settings = load_settings(profile="home", token="flag-token")
    assert secret(settings.token) == "flag-token"
    assert settings.email is None and settings.password is None


def test_profile_credentials_never_go_to_another_server(config_file: Path) -> None:
    # The default profile is not applied at all to an explicit other URL.
    with pytest.raises(ConfigError) as caught:
        load_settings(url="https://elsewhere.example.org")
    assert "No credentials for https://elsewhere.example.org" in str(caught.value)
    assert "--url" in str(caught.value)
    # A named profile still gives its transport and timeout, not its token.
    settings = load_settings(url="https://elsewhere.example.org", profile="work", token="other")
    assert secret(settings.token) == "other"
    assert settings.transport == "graphql" and settings.timeout == 5


def test_demo_size_and_embedded_win_over_a_profile(config_file: Path) -> None:
    settings = load_settings(demo_size=500)
    assert settings.is_embedded and settings.demo_size == 500
    assert "--demo-size" in settings.embedded_reason
    assert settings.theme == "nord"  # the file's look still applies
    assert load_settings(embedded=True).is_embedded
    with pytest.raises(ConfigError, match="--demo-size"):
        load_settings(demo_size=5, url="https://x.example.com")


def test_config_path_from_env_and_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = write(tmp_path / "other.toml", '[profiles.x]\nurl = "https://x.example.com"\ntoken = "t"\n')
    monkeypatch.setenv("DIRECTUS_INBOX_CONFIG", str(elsewhere))
    assert load_settings(profile="x").url == "https://x.example.com"
    flag = write(tmp_path / "flag.toml", '[profiles.y]\nurl = "https://y.example.com"\ntoken = "t"\n')
    assert load_settings(config=flag, profile="y").url == "https://y.example.com"


def test_explicit_config_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as caught:
        load_settings(config=missing)
    assert str(missing) in str(caught.value) and "does not exist" in str(caught.value)


def test_malformed_toml_names_the_file_and_line(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.toml", f'default_profile = "work"\n[profiles.work]\ntoken = "{TOKEN}\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config=bad)
    text = str(caught.value)
    assert str(bad) in text and "line 3" in text
    assert "\n" not in text
    assert TOKEN not in text


def test_unknown_profile(config_file: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(profile="play")
    text = str(caught.value)
    assert "'play'" in text and str(config_file) in text
    assert "home, work" in text and "[profiles.play]" in text


def test_unknown_default_profile_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '\n\ndefault_profile = "gone"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config=path)
    assert f"{path}:3" in str(caught.value)


def test_profile_without_url(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", f'# comment\n[profiles.p]\ntoken = "{TOKEN}"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config=path, profile="p")
    text = str(caught.value)
    assert f"{path}:2" in text and "no url" in text
    assert TOKEN not in text


def test_bad_transport_in_file_flag_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(
        tmp_path / "c.toml", f'[profiles.p]\nurl = "https://x.example.com"\ntoken = "{TOKEN}"\ntransport = "soap"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(config=path, profile="p")
    text = str(caught.value)
    assert f"{path}:4" in text and "rest" in text and "graphql" in text
    assert TOKEN not in text

    monkeypatch.setenv("DIRECTUS_INBOX_TRANSPORT", "soap")
    with pytest.raises(ConfigError, match="DIRECTUS_INBOX_TRANSPORT"):
        load_settings(url="https://x.example.com", token="t")
    with pytest.raises(ConfigError, match="--transport"):
        load_settings(url="https://x.example.com", token="t", transport="carrier-pigeon")


def test_unknown_key_is_reported_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", f'[profiles.p]\nurl = "https://x.example.com"\ntokn = "{TOKEN}"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config=path, profile="p")
    text = str(caught.value)
    assert f"{path}:3" in text and "'tokn'" in text
    assert TOKEN not in text


def test_wrong_types_do_not_echo_values(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", f'[profiles.p]\nurl = "https://x.example.com"\ntoken = ["{TOKEN}"]\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config=path, profile="p")
    assert TOKEN not in str(caught.value) and str(path) in str(caught.value)
    path = write(tmp_path / "d.toml", "[keymap]\narchive = 5\n")
    with pytest.raises(ConfigError, match=r"d\.toml:2"):
        load_settings(config=path)


def test_url_without_credentials(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '[profiles.p]\nurl = "https://x.example.com"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config=path, profile="p")
    text = str(caught.value)
    assert "No credentials" in text and "profile 'p'" in text and "DIRECTUS_TOKEN" in text
    with pytest.raises(ConfigError, match="DIRECTUS_URL"):
        load_settings(env={"DIRECTUS_URL": "https://x.example.com"})
    with pytest.raises(ConfigError, match="no server URL"):
        load_settings(token=TOKEN)


@pytest.mark.parametrize(
    "url, problem",
    [
        ("ftp://x.example.com", "http:// or https://"),
        ("https://", "no host"),
        ("example.com", "http:// or https://"),
        ("https://user:pw@x.example.com", "credentials"),
        ("https://x.example.com:99999", "not a valid URL"),
        ("https://x.example.com/?a=1", "query"),
    ],
)
def test_bad_urls(url: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(url=url, token=TOKEN)
    assert problem in str(caught.value) and "--url" in str(caught.value)
    assert "pw@" not in str(caught.value) or "pw" not in url


def test_check_url_keeps_a_path() -> None:
    assert check_url(" https://x.example.com/directus/ ", "test") == "https://x.example.com/directus"


def test_secrets_are_not_in_repr_or_str(config_file: Path) -> None:
    for settings in (load_settings(), load_settings(profile="home")):
        for text in (repr(settings), str(settings), settings.model_dump_json()):
            assert TOKEN not in text and PASSWORD not in text
    settings = load_settings(profile="home")
    assert settings.secrets() == [PASSWORD]


def test_settings_can_be_built_by_hand() -> None:
    settings = Settings(url="https://x.example.com", token="abc")
    assert secret(settings.token) == "abc" and "abc" not in repr(settings)


# --- from settings to a backend (no I/O happens when opening) -------------------------------------


async def test_open_backend_embedded_and_servers() -> None:
    from app.api import GraphQLBackend, PasswordLogin, RestBackend, StaticToken
    from app.connect import open_backend

    embedded = open_backend(Settings(demo_size=12))
    try:
        assert embedded.info.kind == "embedded" and "embedded-inbox-12" in embedded.info.location
    finally:
        await embedded.aclose()

    for transport in ("rest", "graphql"):
        backend = open_backend(Settings(url="https://x.example.com/", token=TOKEN, transport=transport, timeout=3))
        try:
            assert isinstance(backend, {"rest": RestBackend, "graphql": GraphQLBackend}[transport])
            assert backend.info.kind == transport and backend.info.location == "https://x.example.com"
            assert isinstance(backend.client.auth, StaticToken)
            assert TOKEN not in repr(backend.client.auth)
        finally:
            await backend.aclose()

    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return PASSWORD

    backend = open_backend(Settings(url="https://x.example.com", email="me@example.com"), password_prompt=prompt)
    try:
        assert isinstance(backend, RestBackend) and isinstance(backend.client.auth, PasswordLogin)
        assert asked == ["Password for me@example.com at https://x.example.com: "]
    finally:
        await backend.aclose()  # never logged in: nothing to log out of, no request made


def test_open_backend_password_problems() -> None:
    from app.connect import open_backend

    settings = Settings(url="https://x.example.com", email="me@example.com")
    with pytest.raises(ConfigError, match="DIRECTUS_PASSWORD"):
        open_backend(settings, password_prompt=None)
    with pytest.raises(ConfigError, match="No password given"):
        open_backend(settings, password_prompt=lambda prompt: "")
    with pytest.raises(ConfigError, match="No credentials"):
        open_backend(Settings(url="https://x.example.com"))


def test_open_backend_checks_the_url() -> None:
    from app.connect import open_backend

    with pytest.raises(ConfigError, match="http:// or https://"):
        open_backend(Settings(url="file:///etc/passwd", token=TOKEN))
    with pytest.raises(ConfigError, match="no host"):
        open_backend(Settings(url="http://", token=TOKEN))


# --- secrets and transport -------------------------------------------------------------------------


def test_a_config_file_with_a_secret_that_others_may_read_is_warned_about(config_file: Path, tmp_path: Path) -> None:
    config_file.chmod(0o644)
    [warning] = load_settings().warnings
    assert str(config_file) in warning and "chmod 600" in warning and TOKEN not in warning
    config_file.chmod(0o600)
    assert load_settings().warnings == ()
    without_secret = write(tmp_path / "plain.toml", 'theme = "nord"\n')
    without_secret.chmod(0o644)
    assert load_settings(config=without_secret).warnings == ()


@pytest.mark.parametrize(
    "token, problem",
    [("tök-1234567890", "not ASCII at position 2"), ("tok\x1b[2J-123", "a control character at position 4")],
)
def test_a_token_unfit_for_a_header_is_refused_naming_where_it_came_from(token: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(url="https://x.example.com", token=token)
    assert "The token from --token cannot be used" in str(caught.value) and problem in str(caught.value)
    assert token not in str(caught.value)
    with pytest.raises(ConfigError, match="from DIRECTUS_TOKEN"):
        load_settings(env={"DIRECTUS_URL": "https://x.example.com", "DIRECTUS_TOKEN": token})


def test_plain_http_is_refused_unless_loopback_or_allowed() -> None:
    from app.config import check_transport_security

    for url in ("http://127.0.0.1:8055", "http://localhost", "http://[::1]:8055", "https://cms.example.com"):
        check_transport_security(url, insecure_http=False)
    with pytest.raises(ConfigError, match="--insecure-http"):
        check_transport_security("http://cms.example.com", insecure_http=False)
    check_transport_security("http://cms.example.com", insecure_http=True)


def test_ca_bundle_and_insecure_http_come_from_flags_or_the_profile_of_that_server(tmp_path: Path) -> None:
    config = write(
        tmp_path / "conf" / "config.toml",
        f'[profiles.p]\nurl = "http://cms.example.com"\ntoken = "{TOKEN}"\n'
        'ca_bundle = "ca.pem"\ninsecure_http = true\n',
    )
    settings = load_settings(config=config, profile="p")
    assert settings.ca_bundle == tmp_path / "conf" / "ca.pem", "relative to the config file"
    assert settings.insecure_http
    elsewhere = load_settings(config=config, profile="p", url="http://other.example.com", token="t")
    assert elsewhere.ca_bundle is None and not elsewhere.insecure_http, "never carried to another server"
    flagged = load_settings(url="https://x.example.com", token="t", ca_bundle="~/ca.pem", insecure_http=True)
    assert flagged.ca_bundle == Path("~/ca.pem").expanduser() and flagged.insecure_http
