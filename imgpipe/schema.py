"""Load TOML tables into dataclasses, with errors that name file, key and fix.

Both `imgpipe.toml` (settings.py) and the platform profiles (profiles.py) are
plain dataclasses; this module is the one place that checks unknown keys,
types and ranges, so both report problems the same way.
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from imgpipe.errors import ConfigError
from imgpipe.messages import t


def read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(t("config.toml_syntax", detail=exc), file=path) from None


def _type_name(tp) -> str:
    if tp is bool:
        return "true/false"
    if tp is int:
        return "an integer"
    if tp is float:
        return "a number"
    if tp is str:
        return "text"
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        return "a list"
    if origin is dict:
        return "a table"
    return getattr(tp, "__name__", str(tp))


def _coerce(value, tp, key: str, file: Path):
    """Check `value` against annotation `tp`; ints are accepted where floats are."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, key, file)
            except ConfigError:
                continue
        raise ConfigError(
            t("config.wrong_type", key=key, expected=" or ".join(_type_name(a) for a in args if a is not type(None)), got=value),
            file=file, field=key,
        )
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(t("config.wrong_type", key=key, expected="a table", got=value), file=file, field=key)
        return load_dataclass(tp, value, file, prefix=key + ".")
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise ConfigError(t("config.wrong_type", key=key, expected="a list", got=value), file=file, field=key)
        (inner, *_) = typing.get_args(tp) or (object,)
        items = [_coerce(v, inner, f"{key}[{i}]", file) for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(t("config.wrong_type", key=key, expected="a table", got=value), file=file, field=key)
        _, inner = typing.get_args(tp)
        return {k: _coerce(v, inner, f"{key}.{k}", file) for k, v in value.items()}
    if tp is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if tp is object or tp is typing.Any:
        return value
    if tp in (bool, int, str) and (type(value) is tp):
        return value
    raise ConfigError(t("config.wrong_type", key=key, expected=_type_name(tp), got=value), file=file, field=key)


def load_dataclass(cls, data: dict, file: Path, prefix: str = ""):
    """Build dataclass `cls` from a TOML table; unknown keys and wrong types are errors.

    A dataclass may define `check(self) -> list[tuple[key, why]]` for ranges;
    the first problem found is raised with the full dotted key.
    """
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    known = ", ".join(sorted(fields))
    values = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        if name not in fields:
            raise ConfigError(
                t("config.unknown_key", key=prefix + key), file=file, field=prefix + key,
                fix=t("config.unknown_key.fix", known=known),
            )
        values[name] = _coerce(value, hints[name], prefix + key, file)
    try:
        obj = cls(**values)
    except TypeError as exc:  # a required key is missing
        raise ConfigError(str(exc), file=file) from None
    for key, why in getattr(obj, "check", lambda: [])():
        raise ConfigError(
            t("config.bad_value", key=prefix + key, got=_value_at(obj, key), why=why),
            file=file, field=prefix + key,
        )
    return obj


def _value_at(obj, key: str):
    """The value a dotted key ("roles.main.height") names in a loaded dataclass; None when absent."""
    for part in key.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else getattr(obj, part, None)
    return obj


def merge(base: dict, override: dict) -> dict:
    """Deep-merge two TOML tables; `override` wins key by key."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out
