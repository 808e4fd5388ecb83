"""Settings resolution: flags > %config traits > environment > config file > defaults."""

from __future__ import annotations

import pytest

from linkis_magic.config import (
    DEFAULT_LOCAL_DATA_DIR,
    ConfigError,
    Settings,
    load_settings,
    profile_names,
    read_config_file,
    resolve_settings,
)

FILE = {
    "default": "prod",
    "creator": "FILE",
    "profiles": {
        "prod": {"url": "http://prod:9001", "user": "alice", "token": "prod-token",
                 "versions": {"spark": "3.4.4"}},
        "dev": {"url": "http://dev:9001", "user": "bob", "password": "dev-pass"},
    },
}


def resolve(flags=None, traits=None, environ=None, file_data=None) -> Settings:
    return resolve_settings(flags or {}, traits or {}, environ or {}, file_data or {})


def test_defaults_mean_the_embedded_local_linkis():
    settings = resolve()
    assert settings.is_local
    assert settings.creator == "LINKISMAGIC"
    assert settings.progress == "auto"
    assert settings.local_data_dir == DEFAULT_LOCAL_DATA_DIR


def test_each_layer_outranks_the_ones_below():
    file_data = {"progress": "none", "timeout": 40}
    environ = {"LINKIS_PROGRESS": "text"}
    assert resolve(file_data=file_data).progress == "none"
    assert resolve(environ=environ, file_data=file_data).progress == "text"
    traits = {"progress": "widget"}
    assert resolve(traits=traits, environ=environ, file_data=file_data).progress == "widget"
    flags = {"progress": "none"}
    assert resolve(flags, traits, environ, file_data).progress == "none"
    assert resolve(flags, traits, environ, file_data).timeout == 40.0


def test_empty_values_count_as_unset():
    settings = resolve(flags={"progress": None}, traits={"url": "", "progress": ""},
                       environ={"LINKIS_URL": "", "LINKIS_USER": "carol"})
    assert settings.url is None and settings.user == "carol" and settings.progress == "auto"


def test_default_profile_ranks_with_the_file_below_the_environment():
    settings = resolve(environ={"LINKIS_URL": "http://env:9001"}, file_data=FILE)
    assert settings.profile == "prod"
    assert settings.url == "http://env:9001"
    assert settings.user == "alice"
    assert settings.versions == {"spark": "3.4.4"}
    assert settings.creator == "FILE"


def test_environment_picks_a_profile():
    settings = resolve(environ={"LINKIS_PROFILE": "dev"}, file_data=FILE)
    assert (settings.url, settings.user, settings.password) == ("http://dev:9001", "bob", "dev-pass")


def test_explicit_profile_outranks_the_environment():
    environ = {"LINKIS_URL": "http://env:9001", "LINKIS_USER": "eve"}
    settings = resolve(traits={"profile": "dev"}, environ=environ, file_data=FILE)
    assert (settings.url, settings.user) == ("http://dev:9001", "bob")


def test_local_profile_always_exists():
    assert resolve(traits={"profile": "local"}, environ={"LINKIS_URL": "http://x"}).is_local
    assert "local" in profile_names(FILE) and "dev" in profile_names(FILE)


def test_unknown_profile_names_the_known_ones():
    with pytest.raises(ConfigError, match="unknown profile 'qa'.*dev, prod"):
        resolve(traits={"profile": "qa"}, file_data=FILE)


def test_unknown_key_in_the_file_is_refused():
    with pytest.raises(ConfigError, match="unknown setting 'urll' in profile 'x'"):
        resolve(traits={"profile": "x"}, file_data={"profiles": {"x": {"urll": "http://x"}}})


@pytest.mark.parametrize(
    ("name", "value"),
    [("timeout", "-1"), ("limit", "0"), ("limit", "many"), ("progress", "fancy"),
     ("creator", "my-app"), ("verify", "maybe")],
)
def test_bad_values_are_config_errors(name, value):
    with pytest.raises(ConfigError, match=f"bad value for {name}"):
        resolve(flags={name: value})


def test_environment_strings_are_typed():
    settings = resolve(file_data={"timeout": "2.5", "limit": "10", "verify": "false"})
    assert (settings.timeout, settings.limit, settings.verify) == (2.5, 10, False)


def test_secrets_stay_out_of_repr_and_errors():
    settings = resolve(environ={"LINKIS_PASSWORD": "hunter2", "LINKIS_TOKEN": "t0ken"})
    assert "hunter2" not in repr(settings) and "t0ken" not in repr(settings)
    with pytest.raises(ConfigError) as info:
        resolve(file_data={"password": 123456})
    assert "123456" not in str(info.value)


def test_needs_password_only_for_a_remote_user_without_secrets():
    assert resolve(environ={"LINKIS_URL": "http://x", "LINKIS_USER": "a"}).needs_password
    assert not resolve(environ={"LINKIS_URL": "http://x", "LINKIS_USER": "a",
                                "LINKIS_TOKEN": "t"}).needs_password
    assert not resolve(environ={"LINKIS_USER": "a"}).needs_password


def test_load_settings_reads_the_file_named_by_the_environment(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('default = "dev"\n[profiles.dev]\nurl = "http://dev:9001"\nuser = "bob"\n')
    settings = load_settings({}, {}, {"LINKIS_CONFIG": str(path)})
    assert (settings.profile, settings.url) == ("dev", "http://dev:9001")


def test_a_missing_default_file_is_empty_but_a_named_one_is_an_error(tmp_path):
    assert read_config_file(tmp_path / "absent.toml") == {}
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings({}, {"config_file": str(tmp_path / "absent.toml")}, {})


def test_invalid_toml_is_a_config_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("url = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        read_config_file(path)


def test_a_url_with_a_password_is_refused_and_not_shown():
    with pytest.raises(ConfigError, match="bad value for url: 'http://\\*\\*\\*@gw:9001'") as info:
        resolve(environ={"LINKIS_URL": "http://bob:hunter2@gw:9001"})
    assert "hunter2" not in str(info.value)
