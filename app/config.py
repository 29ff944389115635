"""Settings: where the inbox lives and how to sign in, from flags, environment and a TOML file.

The file is ``<user config dir>/directus-inbox/config.toml`` (``--config`` or
``DIRECTUS_INBOX_CONFIG`` point elsewhere)::

    default_profile = "work"      # optional
    unified = ["work", "staging"] # optional: these inboxes as one list (``load_profile_set``)
    theme = "textual-dark"        # optional, any Textual theme name
    [keymap]                      # optional: binding id -> keys (App.set_keymap)
    archive = "e"
    [profiles.work]
    url = "https://cms.example.com"
    token = "..."                 # or: email = "..." (password: prompt or DIRECTUS_PASSWORD)
    transport = "rest"            # or "graphql"
    timeout = 15
    ca_bundle = "~/corp-ca.pem"   # optional: trust this CA bundle (PEM) instead of the system's
    insecure_http = false         # true: allow plain http:// to a host that is not this machine

Resolution, highest first: command-line flags (``--url --token --profile --transport``), the
environment (``DIRECTUS_URL DIRECTUS_TOKEN DIRECTUS_EMAIL DIRECTUS_PASSWORD
DIRECTUS_INBOX_PROFILE DIRECTUS_INBOX_TRANSPORT``), the profile (the one named, else
``default_profile``), and with no URL anywhere the embedded inbox.

Credentials are taken as a unit from the highest layer that has any (a token, or an e-mail):
a ``--token`` is never paired with a profile's e-mail. A profile's credentials are only ever
sent to that profile's own URL: when ``--url``/``DIRECTUS_URL`` points somewhere else, the
profile's token, e-mail and password are left out (and the default profile is not used at all).

Secrets are ``SecretStr``: they never appear in ``repr``/``str`` of the settings, nor in a
``ConfigError`` (which names the file and line, and what to do, in one line). A token that cannot
go into an HTTP header (not printable ASCII) is a ``ConfigError`` before anything is sent. A config
file holding a token or password that other users may read is used, with a warning in
``Settings.warnings`` that says how to fix it.

(Past 500 lines because every setting's validation and its one-line error, naming the file and
line, belong with the setting: the profiles, the keymap, the alerts and the views are read here.)
"""

from __future__ import annotations

import os
import re
import shlex
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_core import ErrorDetails

from app import APP_NAME
from app.sanitize import clean_line
from app.secrecy import token_problem
from app.triage import Filters, View
from app.when import WHEN_HELP, TimeBound

CONFIG_ENV = "DIRECTUS_INBOX_CONFIG"
DEFAULT_TIMEOUT = 15.0
DEFAULT_POLL_INTERVAL = 30.0
"""Seconds between checks with a server that has no WebSockets (``poll_interval`` in the file)."""

Transport = Literal["rest", "graphql"]


class ConfigError(Exception):
    """The configuration cannot be used. ``str(error)`` is one line: what is wrong, what to do."""


class Profile(BaseModel):
    """One ``[profiles.NAME]`` table of the config file."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = None
    token: SecretStr | None = None
    email: str | None = None
    password: SecretStr | None = None
    transport: Transport = "rest"
    timeout: float = Field(default=DEFAULT_TIMEOUT, gt=0)
    ca_bundle: str | None = None
    insecure_http: bool = False

    @property
    def holds_secret(self) -> bool:
        return bool(self.token or self.password)


class Alerts(BaseModel):
    """``[alerts]``: how a new notification makes itself known beyond the toast (off by default)."""

    model_config = ConfigDict(extra="forbid")

    bell: bool = False
    """Ring the terminal's bell."""
    desktop: bool = False
    """A desktop notification through the terminal (OSC 9 and OSC 777; they pass through SSH)."""


MAX_VIEW_NAME = 40
"""A view's name is a tab's label."""


class ViewSettings(BaseModel):
    """One ``[views.NAME]`` table: a saved view (``app.triage.View``), its times kept as written."""

    model_config = ConfigDict(extra="forbid")

    search: str | None = None
    sender: str | None = Field(default=None, alias="from")
    """``from = "maya@example.com"``: a user id, an e-mail address or a name."""
    collection: str | None = None
    since: str | None = None
    until: str | None = None

    @field_validator("since", "until")
    @classmethod
    def _when(cls, value: str | None) -> str | None:
        if value is not None:
            TimeBound.parse(value)  # the ValueError says what a time may be (without the value)
        return value

    def view(self, name: str) -> View:
        filters = Filters.parse(sender=self.sender, collection=self.collection, since=self.since, until=self.until)
        return View(name, self.search or None, filters)

    @classmethod
    def of(cls, view: View) -> ViewSettings:
        """The table that saves *view*: its fields that are set."""
        chosen = view.filters
        return cls.model_validate(
            {
                "search": view.search or None,
                "from": chosen.sender,
                "collection": chosen.collection,
                "since": None if chosen.since is None else str(chosen.since),
                "until": None if chosen.until is None else str(chosen.until),
            }
        )


VIEW_KEYS = tuple(info.alias or name for name, info in ViewSettings.model_fields.items())
"""The keys of a ``[views.NAME]`` table, as written in the file."""


def check_view_name(name: str) -> str:
    """*name* as a view's name, or ``ValueError`` saying what a name may be."""
    if not name.strip() or clean_line(name) != name or len(name) > MAX_VIEW_NAME:
        raise ValueError(
            f"a view's name is 1 to {MAX_VIEW_NAME} characters without control characters, and not only spaces"
        )
    return name


class ConfigFile(BaseModel):
    """The whole config file."""

    model_config = ConfigDict(extra="forbid")

    default_profile: str | None = None
    theme: str | None = None
    poll_interval: float = Field(default=DEFAULT_POLL_INTERVAL, gt=0)
    keymap: dict[str, str] = Field(default_factory=dict)
    alerts: Alerts = Field(default_factory=Alerts)
    profiles: dict[str, Profile] = Field(default_factory=dict)
    unified: list[str] | None = None
    """Profiles whose inboxes the app shows as one list (``load_profile_set``)."""
    views: dict[str, ViewSettings] = Field(default_factory=dict)

    @field_validator("views")
    @classmethod
    def _view_names(cls, views: dict[str, ViewSettings]) -> dict[str, ViewSettings]:
        for name in views:
            check_view_name(name)
        return views


class Settings(BaseModel):
    """Everything the app needs to open an inbox; ``url is None`` means the embedded inbox."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = None
    token: SecretStr | None = None
    email: str | None = None
    password: SecretStr | None = None
    transport: Transport = "rest"
    timeout: float = DEFAULT_TIMEOUT
    ca_bundle: Path | None = None
    """A PEM file of the certificates to trust instead of the system's (a private CA)."""
    insecure_http: bool = False
    """Allow plain ``http://`` to a host that is not this machine (the token then travels in clear)."""
    theme: str | None = None
    keymap: dict[str, str] = Field(default_factory=dict)
    poll_interval: float = DEFAULT_POLL_INTERVAL
    """Seconds between checks with a server that has no WebSockets (and reconciliations with one)."""
    alerts: Alerts = Field(default_factory=Alerts)
    views: dict[str, ViewSettings] = Field(default_factory=dict)
    """The saved views of the config file, in its order (``saved_views`` reads them as ``View``)."""
    profile: str | None = None
    demo_size: int | None = None
    config_path: Path | None = None
    embedded_reason: str = "no server configured"
    """Why the embedded inbox is used (for the one line the CLI prints)."""
    warnings: tuple[str, ...] = ()
    """Problems worth telling the user that do not stop the app (a config file others can read)."""

    @property
    def is_embedded(self) -> bool:
        return self.url is None

    def saved_views(self) -> list[View]:
        """The ``[views.NAME]`` tables, in the file's order."""
        return [settings.view(name) for name, settings in self.views.items()]

    def secrets(self) -> list[str]:
        """The secret values, so that output can be checked (or scrubbed) for them."""
        return [
            secret.get_secret_value()
            for secret in (self.token, self.password)
            if secret is not None and secret.get_secret_value()
        ]


def default_config_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME)) / "config.toml"


def config_path(
    explicit: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> tuple[Path, bool]:
    """The config file to read, and whether it was asked for (then it must exist)."""
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit).expanduser(), True
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV]).expanduser(), True
    return default_config_path(), False


# --- reading the file --------------------------------------------------------------------------


def _line_of_table(text: str, *keys: str) -> int | None:
    """The 1-based line of the table header ``[a.b]`` (quoted or bare keys), if it is there."""
    parts = [rf"(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')" for key in keys]
    pattern = re.compile(r"^\s*\[\s*" + r"\s*\.\s*".join(parts) + r"\s*\]")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def _line_of_key(text: str, key: str, header: int | None = None) -> int | None:
    """The 1-based line of ``key = ...`` in the table whose header is on line *header*
    (``None``: the top level, before the first table)."""
    pattern = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*=")
    lines = text.splitlines()
    for index in range(header or 0, len(lines)):
        line = lines[index]
        if line.lstrip().startswith("["):
            break
        if pattern.match(line):
            return index + 1
    return None


def _where(path: Path, line: int | None) -> str:
    return f"{path}:{line}" if line else str(path)


def read_config(path: Path, *, must_exist: bool = False) -> tuple[ConfigFile, str]:
    """The parsed file and its text; an empty config when it does not exist (and need not)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if must_exist:
            raise ConfigError(
                f"The config file {path} does not exist. Create it, or fix the path given with "
                f"--config or {CONFIG_ENV}."
            ) from None
        return ConfigFile(), ""
    except IsADirectoryError:
        raise ConfigError(
            f"The config file {path} is a directory. Point --config or {CONFIG_ENV} at a TOML file."
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__
        raise ConfigError(
            f"Cannot read the config file {path} ({reason}). Check its permissions and encoding (UTF-8)."
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # The message ends with "(at line L, column C)"; it quotes no value from the file.
        raise ConfigError(f"{path} is not valid TOML: {error}. Fix that line of the file.") from None
    try:
        return ConfigFile.model_validate(data), text
    except ValidationError as error:
        raise ConfigError(_explain(error, path, text)) from None


def _explain(error: ValidationError, path: Path, text: str) -> str:
    """One line for the first problem of a validation error, with no value from the file in it."""
    problem = error.errors(include_input=False, include_url=False)[0]
    loc = [str(part) for part in problem["loc"]]
    kind = problem["type"]
    line: int | None = None
    table = "the top level"
    key = loc[-1] if loc else ""
    if loc[:1] == ["views"]:
        return _explain_view(problem, loc, path, text)
    if loc[:1] == ["profiles"] and len(loc) >= 2:
        header = _line_of_table(text, "profiles", loc[1])
        table = f"[profiles.{loc[1]}]"
        line = _line_of_key(text, loc[2], header) if len(loc) >= 3 and header else header
    elif loc[:1] in (["keymap"], ["alerts"]):
        header = _line_of_table(text, loc[0])
        table = f"[{loc[0]}]"
        line = _line_of_key(text, loc[1], header) if len(loc) >= 2 and header else header
    elif loc:
        line = _line_of_key(text, loc[0])
    where = _where(path, line)
    if kind == "extra_forbidden":
        known = {"[profiles": ", ".join(Profile.model_fields), "[alerts]": "bell, desktop"}.get(
            table.split(".")[0],
            "default_profile, theme, poll_interval, unified, [keymap], [alerts], [profiles.NAME], [views.NAME]",
        )
        return f"{where}: unknown setting '{key}' in {table}. Remove it, or use one of: {known}."
    if loc[-1:] == ["transport"]:
        return f'{where}: transport must be "rest" or "graphql". Fix it in {table}.'
    if loc[-1:] == ["timeout"] or loc[-1:] == ["poll_interval"]:
        return f"{where}: {loc[-1]} must be a positive number of seconds. Fix it in {table}."
    if loc[:1] == ["alerts"] and len(loc) == 2:
        return f"{where}: {loc[1]} in [alerts] must be true or false. Fix it in {table}."
    if loc[-1:] == ["insecure_http"]:
        return f"{where}: insecure_http must be true or false. Fix it in {table}."
    if loc[:1] == ["unified"]:
        return f'{where}: unified must be a list of profile names, like unified = ["work", "staging"]. Fix it.'
    if loc[:1] == ["keymap"]:
        return f"{where}: every [keymap] entry must be a binding id = \"keys\" string. Fix the entry '{key}'."
    if loc[:1] == ["profiles"] and len(loc) == 2:
        return f"{where}: profiles.{loc[1]} must be a table. Write it as [profiles.{loc[1]}]."
    return f"{where}: '{'.'.join(loc)}' is not valid ({problem['msg'].lower()}). Fix it in {table}."


def _explain_view(problem: ErrorDetails, loc: list[str], path: Path, text: str) -> str:
    """One line for a problem in a ``[views.NAME]`` table (no value from the file in it)."""
    if len(loc) == 1:  # the names (``ConfigFile._view_names``)
        return f"{path}: {problem['msg'].removeprefix('Value error, ')}. Rename the view."
    name = loc[1]
    header = _line_of_table(text, "views", name)
    table = f"[views.{name}]"
    if len(loc) == 2:
        line = header or _line_of_key(text, name, _line_of_table(text, "views"))
        return f"{_where(path, line)}: views.{name} must be a table. Write it as {table}."
    key = loc[2]  # as written in the file: "from", not the field's name
    where = _where(path, _line_of_key(text, key, header) if header else None)
    if problem["type"] == "extra_forbidden":
        return f"{where}: unknown setting '{key}' in {table}. Remove it, or use one of: {', '.join(VIEW_KEYS)}."
    if key in ("since", "until") and problem["type"] == "value_error":
        return f"{where}: {key} in {table} is not a time. Give {WHEN_HELP}."
    return f"{where}: {key} in {table} must be text in quotes. Fix it in {table}."


# --- resolution ----------------------------------------------------------------------------------


def _same_server(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    return a.strip().rstrip("/").lower() == b.strip().rstrip("/").lower()


def check_url(url: str, source: str) -> str:
    """The URL without trailing slash, or ``ConfigError`` saying what is wrong with it."""
    cleaned = url.strip()
    if not cleaned:
        raise ConfigError(
            f"The server URL from {source} is empty. Give the Directus URL, like https://cms.example.com."
        )
    try:
        parts = urlsplit(cleaned)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ConfigError(
            f"The server URL from {source} is not a valid URL. Give the Directus URL, like https://cms.example.com."
        ) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ConfigError(
            f"The server URL from {source} must start with http:// or https://. Give the "
            "Directus URL, like https://cms.example.com."
        )
    if parts.username is not None or parts.password is not None:
        raise ConfigError(
            f"The server URL from {source} contains credentials. Remove them from the URL and "
            "use a token (or e-mail and password) instead."
        )
    if not parts.hostname:
        raise ConfigError(
            f"The server URL from {source} has no host. Give the Directus URL, like https://cms.example.com."
        )
    if parts.query or parts.fragment:
        raise ConfigError(
            f"The server URL from {source} has a query or fragment. Give only the Directus base "
            "URL, like https://cms.example.com."
        )
    return cleaned.rstrip("/")


def _secret(value: str | None) -> SecretStr | None:
    return SecretStr(value) if value else None


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def load_settings(
    *,
    config: str | os.PathLike[str] | None = None,
    url: str | None = None,
    token: str | None = None,
    profile: str | None = None,
    transport: str | None = None,
    demo_size: int | None = None,
    embedded: bool = False,
    ca_bundle: str | os.PathLike[str] | None = None,
    insecure_http: bool = False,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve the settings: flags (the keyword arguments) > *env* > profile > embedded."""
    env = os.environ if env is None else env
    path, must_exist = config_path(config, env)
    file, text = read_config(path, must_exist=must_exist)
    warnings = _exposed_secrets(path, file)

    env_url = _text(env.get("DIRECTUS_URL"))
    env_token = _text(env.get("DIRECTUS_TOKEN"))
    env_email = _text(env.get("DIRECTUS_EMAIL"))
    env_password = env.get("DIRECTUS_PASSWORD") or None
    env_profile = _text(env.get("DIRECTUS_INBOX_PROFILE"))
    env_transport = _text(env.get("DIRECTUS_INBOX_TRANSPORT"))
    url, token, profile, transport = _text(url), _text(token), _text(profile), _text(transport)

    # Which profile, and was it asked for by name?
    if profile:
        profile_name, profile_source = profile, "--profile"
    elif env_profile:
        profile_name, profile_source = env_profile, "DIRECTUS_INBOX_PROFILE"
    elif file.default_profile:
        profile_name, profile_source = file.default_profile, "default_profile"
    else:
        profile_name, profile_source = None, None
    chosen: Profile | None = None
    if profile_name is not None:
        chosen = file.profiles.get(profile_name)
        if chosen is None:
            known = ", ".join(sorted(file.profiles)) or "none"
            line = _line_of_key(text, "default_profile") if profile_source == "default_profile" else None
            where = _where(path, line)
            raise ConfigError(
                f"There is no profile '{profile_name}' (from {profile_source}) in {where} "
                f"(profiles: {known}). Add [profiles.{profile_name}] to the file, or choose "
                "another with --profile."
            )

    common = {
        "theme": file.theme,
        "keymap": dict(file.keymap),
        "poll_interval": file.poll_interval,
        "alerts": file.alerts,
        "views": dict(file.views),
        "config_path": path,
        "warnings": warnings,
    }

    # The demo and --embedded win over any server (they are flags, the highest layer).
    if demo_size is not None or embedded:
        if url or token:
            raise ConfigError(
                "--demo-size and --embedded open the embedded inbox, so --url and --token make no "
                "sense with them. Leave out one or the other."
            )
        reason = "--demo-size" if demo_size is not None else "--embedded"
        return Settings(demo_size=demo_size, embedded_reason=f"asked for with {reason}", **common)

    override_url, url_source = (url, "--url") if url else (env_url, "DIRECTUS_URL") if env_url else (None, None)
    if chosen is not None and override_url and not _same_server(override_url, chosen.url):
        if profile_source == "default_profile":
            # The default profile is for its own server: an explicit other URL leaves it out.
            chosen, profile_name = None, None
        else:
            # A named profile still gives transport and timeout, never its credentials, nor what
            # it trusts (its CA bundle, plain http) for its own server.
            chosen = chosen.model_copy(
                update={"token": None, "email": None, "password": None, "ca_bundle": None, "insecure_http": False}
            )

    profile_where = ""
    if chosen is not None and profile_name is not None:
        profile_where = f"profile '{profile_name}' in {_where(path, _line_of_table(text, 'profiles', profile_name))}"

    final_url = override_url or (chosen.url if chosen else None)
    if final_url is None:
        if chosen is not None:
            raise ConfigError(
                f'The {profile_where} has no url. Add url = "https://..." to [profiles.{profile_name}], or pass --url.'
            )
        if token or env_token or env_email:
            source = "--token" if token else "DIRECTUS_TOKEN" if env_token else "DIRECTUS_EMAIL"
            raise ConfigError(
                f"{source} is set but no server URL is. Pass --url or set DIRECTUS_URL (or configure a profile)."
            )
        return Settings(**common)
    final_url = check_url(final_url, url_source or profile_where)

    # Credentials, as a unit from the highest layer that has any.
    cred_token: str | None = None
    cred_email: str | None = None
    cred_password: str | None = None
    if token:
        cred_token = token
    elif env_token or env_email:
        cred_token, cred_email = env_token, None if env_token else env_email
    elif chosen is not None and (chosen.token or chosen.email):
        cred_token = chosen.token.get_secret_value().strip() if chosen.token else None
        cred_email = None if cred_token else _text(chosen.email)
        if cred_email and chosen.password:
            cred_password = chosen.password.get_secret_value()
    if cred_email and env_password:
        cred_password = env_password
    if not cred_token and not cred_email:
        where = (url_source or "") if override_url else profile_where
        raise ConfigError(
            f"No credentials for {final_url} (from {where}). Set a token (--token, "
            'DIRECTUS_TOKEN, or token = "..." in the profile) or an e-mail (DIRECTUS_EMAIL, or '
            'email = "..." in the profile).'
        )
    if cred_token:
        problem = token_problem(cred_token)
        if problem is not None:
            source = "--token" if token else "DIRECTUS_TOKEN" if env_token else profile_where
            raise ConfigError(
                f"The token from {source} cannot be used: {problem}. Copy the token again from your "
                "user in the Directus Data Studio."
            )

    bundle: Path | None = None
    if ca_bundle:
        bundle = Path(ca_bundle).expanduser()
    elif chosen is not None and chosen.ca_bundle:
        # A relative path in the file is relative to the file.
        bundle = path.parent / Path(chosen.ca_bundle).expanduser()

    if transport:
        final_transport, transport_source = transport, "--transport"
    elif env_transport:
        final_transport, transport_source = env_transport, "DIRECTUS_INBOX_TRANSPORT"
    else:
        final_transport = chosen.transport if chosen else "rest"
        transport_source = profile_where
    final_transport = final_transport.lower()
    if final_transport != "rest" and final_transport != "graphql":
        raise ConfigError(
            f"The transport from {transport_source} must be rest or graphql. Fix it, or leave it out for rest."
        )

    return Settings(
        url=final_url,
        token=_secret(cred_token),
        email=cred_email,
        password=_secret(cred_password),
        transport=final_transport,
        timeout=chosen.timeout if chosen else DEFAULT_TIMEOUT,
        ca_bundle=bundle,
        insecure_http=insecure_http or (chosen.insecure_http if chosen else False),
        profile=profile_name if chosen is not None else None,
        **common,
    )


def _exposed_secrets(path: Path, file: ConfigFile) -> tuple[str, ...]:
    """A warning when *path* holds a token or password and users other than its owner may read it."""
    if os.name != "posix" or not any(profile.holds_secret for profile in file.profiles.values()):
        return ()
    try:
        mode = path.stat().st_mode
    except OSError:
        return ()
    if not mode & (stat.S_IRWXG | stat.S_IRWXO):
        return ()
    return (
        f"{path} holds a token or password and other users may read it (mode {stat.filemode(mode)}). "
        f"Run: chmod 600 {shlex.quote(str(path))}",
    )


def is_loopback(url: str) -> bool:
    """Whether *url*'s host is this machine (``localhost`` or a loopback address)."""
    import ipaddress

    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_transport_security(url: str, *, insecure_http: bool) -> None:
    """``ConfigError`` for plain ``http://`` to another machine, unless the user allowed it."""
    if urlsplit(url).scheme.lower() != "http" or insecure_http or is_loopback(url):
        return
    raise ConfigError(
        f"Refusing to connect to {url} over plain http: the token or password would cross the network "
        "unencrypted. Use https://, or pass --insecure-http (insecure_http = true in the profile) to allow it."
    )


# --- several profiles at once ------------------------------------------------------------------------

LABEL_WIDTH = 4
"""Characters of a profile's label on a row of the unified inbox."""

SET_ENV_LEFT_OUT = ("DIRECTUS_URL", "DIRECTUS_TOKEN", "DIRECTUS_EMAIL", "DIRECTUS_PASSWORD", "DIRECTUS_INBOX_PROFILE")
"""The environment that names one server and its credentials: never applied to a set of profiles,
where it would send one server's token or password to every other."""


class ProfileSet(BaseModel):
    """Several profiles of the config file, each resolved on its own (``profiles[name]``), in order."""

    model_config = ConfigDict(extra="forbid")

    profiles: dict[str, Settings]
    """Each profile's settings, as ``load_settings(profile=name)`` resolves them from the file
    alone: its URL, its own credentials, transport, timeout and trust; the app-wide parts (theme,
    keymap, poll interval, alerts) are the same in each."""
    labels: dict[str, str]
    """A short, unique label per profile for rows and status lines (``profile_labels``)."""
    config_path: Path | None = None

    @property
    def names(self) -> list[str]:
        return list(self.profiles)

    @property
    def primary(self) -> Settings:
        """The first profile's settings: where the app-wide settings are read from."""
        return next(iter(self.profiles.values()))

    def secrets(self) -> list[str]:
        return [secret for settings in self.profiles.values() for secret in settings.secrets()]


def profile_labels(names: list[str], width: int = LABEL_WIDTH) -> dict[str, str]:
    """A label of at most *width* characters per profile name, unique (ignoring case).

    The name cut to *width* ("staging" -> "stag"). Among names that would share a label the
    shortest keeps it, and each other keeps its first ``width - 1`` characters and adds a letter
    or digit of its own, preferring one where it differs from the others ("prod", "prod-eu",
    "prod-us" -> "prod", "proe", "prou"); failing that, a number ("pro2"). Control characters and
    spaces are left out: a label is one word on one line.
    """
    cleaned = {
        name: "".join(char for char in name if char.isprintable() and not char.isspace()) or "?" for name in names
    }
    labels = {name: text[:width] for name, text in cleaned.items()}
    groups: dict[str, list[str]] = {}
    for name, label in labels.items():
        groups.setdefault(label.casefold(), []).append(name)
    for group in groups.values():
        if len(group) < 2:
            continue
        _keeper, *others = sorted(group, key=lambda name: len(cleaned[name]))  # the shortest keeps its label
        used = {label.casefold() for name, label in labels.items() if name not in others}
        for name in others:
            text = cleaned[name]
            head = text[: width - 1]
            rivals = [cleaned[other] for other in group if other != name]
            positions = range(len(head), len(text))
            differing = [i for i in positions if any(i >= len(rival) or rival[i] != text[i] for rival in rivals)]
            candidates = [head + text[i] for i in (*differing, *positions) if text[i].isalnum()]
            candidates += [text[: width - len(str(number))] + str(number) for number in range(2, len(names) + 2)]
            labels[name] = next(candidate for candidate in candidates if candidate.casefold() not in used)
            used.add(labels[name].casefold())
    return labels


def load_profile_set(
    names: list[str] | None = None,
    *,
    config: str | os.PathLike[str] | None = None,
    transport: str | None = None,
    env: Mapping[str, str] | None = None,
) -> ProfileSet:
    """The settings of several profiles: *names*, or with ``None`` the config file's ``unified`` list.

    Each profile is resolved from the file alone (``--url``, ``--token`` and their environment
    variables name one server and are not applied to a set; see ``SET_ENV_LEFT_OUT``): its
    credentials go only to its own URL, as with ``--profile``. A name that is not a profile, a
    repeated name, or a profile without a URL is a ``ConfigError``.
    """
    env = os.environ if env is None else env
    path, must_exist = config_path(config, env)
    file, text = read_config(path, must_exist=must_exist)
    source = "--profiles"
    if names is None:
        if not file.unified:
            raise ConfigError(
                f'{path} has no unified list. Add unified = ["work", "staging"] at the top of the file, '
                "or name the profiles with --profiles work,staging."
            )
        names, source = list(file.unified), f"unified in {_where(path, _line_of_key(text, 'unified'))}"
    names = [name.strip() for name in names]
    if not names or any(not name for name in names):
        raise ConfigError(f"The profiles from {source} include an empty name. Give names like work,staging.")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ConfigError(f"The profiles from {source} name {', '.join(repeated)} twice. Name each profile once.")
    unknown = [name for name in names if name not in file.profiles]
    if unknown:
        known = ", ".join(file.profiles) or "none"
        raise ConfigError(
            f"There is no profile {', '.join(repr(name) for name in unknown)} (from {source}) in {path} "
            f"(profiles: {known}). Add [profiles.NAME] to the file, or fix the name."
        )
    own_env = {key: value for key, value in env.items() if key not in SET_ENV_LEFT_OUT}
    own_env[CONFIG_ENV] = str(path)
    profiles = {name: load_settings(profile=name, transport=transport, env=own_env) for name in names}
    return ProfileSet(profiles=profiles, labels=profile_labels(names), config_path=path)


def load_all_profiles(
    *, config: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> ProfileSet:
    """Every profile of the config file, in the file's order (for a picker); ``ConfigError`` as
    ``load_profile_set``, also when the file has no profile."""
    env = os.environ if env is None else env
    path, must_exist = config_path(config, env)
    file, _ = read_config(path, must_exist=must_exist)
    if not file.profiles:
        raise ConfigError(f"{path} has no profiles. Add [profiles.NAME] with a url and a token.")
    return load_profile_set(list(file.profiles), config=path, env=env)


def unified_profiles(
    *, config: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> list[str] | None:
    """The config file's ``unified`` list, or ``None`` when it has none."""
    env = os.environ if env is None else env
    path, must_exist = config_path(config, env)
    file, _ = read_config(path, must_exist=must_exist)
    return list(file.unified) if file.unified else None
