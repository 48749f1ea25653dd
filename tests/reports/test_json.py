"""The JSON writer lets orjson walk the result's dataclasses itself: the same text as serialising their plain
values (``scanner.serial.to_plain``), on every fixture app and on the large and hostile synthetic results."""

from __future__ import annotations

import dataclasses
import enum

import pytest

from reports.base import outputs
from reports.json import JsonWriter, _converted, dumps
from scanner.model import Severity
from scanner.serial import to_plain
from tests.conftest import KB
from tests.reports.conftest import EVERY_FIXTURE, big_audit, nasty_audit, scan


def _same(audit: object) -> None:
    text = dumps(to_plain(audit))
    assert JsonWriter().render(audit, KB) == text  # type: ignore[arg-type]
    # the file: the same text, as UTF-8 bytes straight from orjson (outputs() takes the writer's files)
    assert outputs(JsonWriter(), audit, KB) == ((".json", text.encode("utf-8")),)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", EVERY_FIXTURE)
def test_every_fixture_app_is_written_as_its_plain_values(name: str) -> None:
    _same(scan(name, "short_video"))


def test_a_large_and_a_hostile_result_are_written_as_their_plain_values() -> None:
    base = scan("sdks.apk")
    _same(big_audit(base))
    _same(nasty_audit(base))


class _Level(enum.IntEnum):
    LOW = 1


@dataclasses.dataclass(frozen=True)
class _Odd:
    level: _Level
    levels: tuple[_Level, ...]
    by_level: dict[int, str]
    anything: object
    plain: tuple[str, ...]
    nested: dict[str, list[int]]


def test_the_values_orjson_would_write_otherwise_go_through_to_plain() -> None:
    odd = _Odd(_Level.LOW, (_Level.LOW,), {1: "a"}, Severity.HIGH, ("x",), {"k": [1]})
    _same(odd)
    assert _converted(_Level) and _converted(tuple[_Level, ...]) and _converted(dict[int, str])
    assert _converted(object) and not _converted(tuple[str, ...]) and not _converted(dict[str, list[int]])
    assert _converted(_Level | None) and not _converted(str | None)


@dataclasses.dataclass(frozen=True, slots=True)
class _One:
    only: str


@dataclasses.dataclass(frozen=True)
class _Empty:
    pass


def test_dataclasses_of_one_field_and_of_none_are_written_as_their_plain_values() -> None:
    _same({"one": _One("x"), "none": _Empty(), "nested": [_One("y")]})
