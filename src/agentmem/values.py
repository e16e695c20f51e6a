"""The values a fact holds and how they are spelt: names, ids, text, commit messages, JSON,
times. Pure: no I/O. Every writer checks through here; the rules are in docs/format.md."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .errors import AmbiguousFactId, InvalidInput

MAX_TEXT_BYTES = 256 * 1024
MAX_META_BYTES = 16 * 1024
MAX_LIST_ITEMS = 256
MAX_JSON_DEPTH = 32  # nesting of meta (and of unknown front-matter values)
MAX_MESSAGE_BYTES = 64 * 1024
INT_RANGE = (-(2**63), 2**63 - 1)  # integers in meta: signed 64-bit, so every reader can hold them

_ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,127}")
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9._@+-]{0,63}")
_TOKEN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}")
_TAG_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+-]{0,63}")
# C0 controls but tab and newline, DEL, and C1 controls: never in fact text (docs/format.md).
CONTROL_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_NOT_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f]")  # CONTROL_CHARS with tab and newline
_DURATION_RE = re.compile(r"([0-9]{1,9})([dhms])")
_DURATION_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def short(value: str) -> str:
    """`value` cut to 40 characters for an error message."""
    return value if len(value) <= 40 else value[:37] + "..."


def validate_id(fact_id: str) -> str:
    """Return `fact_id` if it can name a file safely, else raise `InvalidInput`.

    Ids are lowercase so two ids never collide on a case-insensitive file system when a memory
    repository is checked out, and may not contain '..' or '/' so they never escape their folder.
    """
    if not isinstance(fact_id, str) or not _ID_RE.fullmatch(fact_id) or ".." in fact_id:
        raise InvalidInput(
            f"invalid fact id {short(repr(fact_id))}: use 1-128 lowercase letters, digits, "
            "'.', '_' or '-', starting with a letter or digit"
        )
    return fact_id


# The shortest start of a fact id that `complete_id` completes (git's for commit ids).
MIN_ID_PREFIX = 4


def complete_id(prefix: str, ids: Iterable[str]) -> str:
    """The one id of `ids` that starts with `prefix`, as git takes a short commit id; `prefix`
    itself when it is one of `ids`, none starts with it, or it is shorter than `MIN_ID_PREFIX`
    (so the caller's own "no fact" follows). `AmbiguousFactId` (exit 2) when several do."""
    validate_id(prefix)
    found = sorted({i for i in ids if i.startswith(prefix)}) if len(prefix) >= MIN_ID_PREFIX else []
    if prefix in found or not found:
        return prefix
    if len(found) > 1:
        more = f" and {len(found) - 6} more" if len(found) > 6 else ""
        names = ", ".join(found[:6])
        raise AmbiguousFactId(f"fact id {prefix} is ambiguous: {names}{more}; give more characters")
    return found[0]


# The command line's acting agent when none is named: its stage, bisection and merge in progress
# are the checkout's own files (`.agentmem/stage.jsonl`, `BISECT.json`, `MERGE.json`), as before
# agents had their own; another agent's live under `.agentmem/stages/<agent>/`, `bisect/`, `merge/`.
DEFAULT_AGENT = "cli"


def agent_option(agent: str | None) -> str:
    """`` --agent A`` for a command that acts as agent A; nothing for `DEFAULT_AGENT` (or None),
    as which the bare command acts. Hints name it: each agent's stage, merge and bisection are
    its own."""
    return "" if agent in (None, DEFAULT_AGENT) else f" --agent {agent}"


def author_filter(author: str | None, agent: str | None) -> str | None:
    """The author filter of `Repo.search` and `Repo.log`, whose old name ``agent=`` read as
    "search as this agent" though it only kept that agent's facts: still taken, with a warning."""
    if agent is None:
        return author
    if author is not None and author != agent:
        raise InvalidInput("give author= alone: agent= is its old name")
    warnings.warn(
        "agent= keeps only that agent's facts or commits and is now author=; to read as an agent "
        "(its permissions and receipts) use repo.as_agent(name)", DeprecationWarning, stacklevel=3,
    )
    return agent


def validate_str(value: object, what: str) -> str:
    """`value` if it is a string, else `InvalidInput` naming what was given instead (an API
    caller's int or None, not a TypeError from deep inside)."""
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a string, not {type(value).__name__}")
    return value


def validate_count(value: Any, what: str) -> int | None:
    """A count the caller may leave out (None): a whole number, zero or more."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise InvalidInput(f"{what} must be a whole number, zero or more, not {repr(value)[:20]}")
    return value


def validate_flag(value: Any, what: str) -> bool:
    """A yes/no argument: True or False only, since a truthy string ("no") or a falsy number
    would read the other way (a `purge(yes="no")` erases)."""
    if not isinstance(value, bool):
        raise InvalidInput(f"{what} must be True or False, not {short(repr(value))}")
    return value


def validate_name(value: str, what: str) -> str:
    """Validate an agent or scope name (it becomes a path component)."""
    if not isinstance(value, str) or not _NAME_RE.fullmatch(value) or ".." in value:
        raise InvalidInput(
            f"invalid {what} {short(repr(value))}: use 1-64 lowercase letters, digits, "
            "'.', '_', '@', '+' or '-'"
        )
    return value


def validate_token(value: str, what: str) -> str:
    """Validate a run id, trace id or similar opaque token (kept on one line)."""
    if not isinstance(value, str) or not _TOKEN_RE.fullmatch(value):
        raise InvalidInput(f"invalid {what} {short(repr(value))}: use 1-128 letters, digits or "
                           ". _ : @ / + = -, starting with a letter or digit")  # fmt: skip
    return value


def validate_label(value: str, what: str) -> str:
    """Validate a kind or a tag: a short word, safe in a file and in a search filter."""
    if not isinstance(value, str) or not _TAG_RE.fullmatch(value):
        raise InvalidInput(f"invalid {what} {short(repr(value))}")
    return value


def validate_labels(values: Any, what: str) -> tuple[str, ...]:
    """A list of tags or fact ids: a list or tuple of strings, never one string (which would
    otherwise become one item per character)."""
    if isinstance(values, str | bytes) or not isinstance(values, list | tuple):
        raise InvalidInput(f"{what} must be a list of strings, not {type(values).__name__}")
    if len(values) > MAX_LIST_ITEMS:
        raise InvalidInput(f"too many {what} (at most {MAX_LIST_ITEMS})")
    return tuple(values)


def validate_unicode(value: str, what: str) -> str:
    """`value` if it encodes as UTF-8: no lone surrogates (which a non-UTF-8 argument or file
    decoded with 'surrogateescape' turns into)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{what} is not valid UTF-8 text (it holds a lone surrogate)") from None
    return value


def validate_text(text: object) -> str:
    """Fact text: non-blank, valid Unicode, at most 256 KiB, no control characters but tab and
    newline (they would reach terminals raw and carriage returns would hide lines)."""
    text = validate_str(text, "fact text")
    if not text.strip():
        raise InvalidInput("fact text is empty")
    validate_unicode(text, "fact text")
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise InvalidInput(f"fact text is over {MAX_TEXT_BYTES // 1024} KiB")
    bad = CONTROL_CHARS.search(text)
    if bad:
        raise InvalidInput(
            f"fact text contains control character U+{ord(bad.group()):04X} at offset "
            f"{bad.start()} (only tab and newline are allowed)"
        )
    return text


def validate_line(value: object, what: str, limit: int) -> str:
    """One line of text of at most `limit` characters, no control characters (a reason kept in a
    committed file: it reaches tables, logs and other checkouts)."""
    value = validate_unicode(validate_str(value, what), what)
    if len(value) > limit:
        raise InvalidInput(f"{what} is over {limit} characters")
    bad = _NOT_ONE_LINE.search(value)
    if bad:
        where = f"U+{ord(bad.group()):04X} at offset {bad.start()}"
        raise InvalidInput(f"{what} must be one line without control characters: it holds {where}")
    return value


def validate_message(message: Any) -> str:
    """A commit message: valid Unicode, no NUL or other control character but tab and newline,
    so `git fsck --strict` stays clean and a log never drives the terminal."""
    if not isinstance(message, str):
        raise InvalidInput("commit message must be text")
    validate_unicode(message, "commit message")
    if len(message.encode("utf-8")) > MAX_MESSAGE_BYTES:
        raise InvalidInput(f"commit message is over {MAX_MESSAGE_BYTES // 1024} KiB")
    bad = CONTROL_CHARS.search(message)
    if bad:
        raise InvalidInput(
            f"commit message contains control character U+{ord(bad.group()):04X} "
            "(only tab and newline are allowed)"
        )
    return message


def loads_json(text: str | bytes) -> Any:
    """`json.loads` that refuses NaN and Infinity (not JSON numbers; a fact could not be stored
    or printed as valid JSON with them). Raises ValueError (JSONDecodeError is one) or
    RecursionError, for the caller to word."""
    if isinstance(text, str):  # one decoder for every call: `json.loads` with an argument makes one each time
        return _DECODER.decode(text)
    return json.loads(text, parse_constant=_refuse_constant)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (NaN and Infinity cannot be stored)")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def validate_json(value: Any, what: str) -> Any:
    """Check a JSON value as stored in front matter: objects with string keys, arrays, strings
    (valid Unicode), finite floats, 64-bit integers, booleans, null; at most MAX_JSON_DEPTH deep.
    Walks iteratively, so a hostile nesting depth never raises RecursionError."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise InvalidInput(f"{what} is nested more than {MAX_JSON_DEPTH} levels deep")
        if item is None or isinstance(item, bool):
            continue
        if isinstance(item, int):
            if not INT_RANGE[0] <= item <= INT_RANGE[1]:
                raise InvalidInput(f"{what} holds an integer outside the signed 64-bit range")
        elif isinstance(item, float):
            if item != item or item in (float("inf"), float("-inf")):
                raise InvalidInput(f"{what} holds NaN or Infinity, which JSON cannot spell")
        elif isinstance(item, str):
            validate_unicode(item, what)
        elif isinstance(item, list | tuple):
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, dict):
            for key, v in item.items():
                if not isinstance(key, str):
                    raise InvalidInput(f"{what} has a key that is not a string: {short(repr(key))}")
                validate_unicode(key, what)
                stack.append((v, depth + 1))
        else:
            raise InvalidInput(f"{what} holds a {type(item).__name__}, which is not JSON")
    return value


def now_iso() -> str:
    """UTC time with millisecond precision, the one timestamp spelling in fact files."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _spell_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def validate_time(value: str, what: str) -> str:
    """An ISO 8601 time with a time zone, spelt the one way fact files use (UTC, milliseconds)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError, TypeError):
        raise InvalidInput(f"invalid {what} {short(repr(value))}: use ISO 8601") from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"invalid {what} {short(repr(value))}: include a time zone, e.g. 'Z'")
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"invalid {what} {short(repr(value))}: out of range") from None
    return _spell_time(parsed)


def parse_expiry(value: str, now: datetime | None = None) -> str:
    """An expiry as given to ``--expires``: an ISO 8601 time with a zone, a date (midnight
    UTC), or a duration from now (``7d``, ``12h``, ``30m``, ``45s``). Returns the stored spelling."""
    if not isinstance(value, str):
        raise InvalidInput(f"invalid expiry {short(repr(value))}")
    duration = _DURATION_RE.fullmatch(value.strip())
    if duration:
        amount, unit = int(duration.group(1)), duration.group(2)
        try:
            moment = (now or datetime.now(UTC)) + timedelta(**{_DURATION_UNITS[unit]: amount})
        except OverflowError:
            raise InvalidInput(f"invalid expiry {value!r}: too far in the future") from None
        return _spell_time(moment)
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"invalid expiry {value!r}: not a date") from None
        return _spell_time(datetime(day.year, day.month, day.day, tzinfo=UTC))
    try:
        return validate_time(value, "expiry")
    except InvalidInput:
        raise InvalidInput(
            f"invalid expiry {short(repr(value))}: use an ISO 8601 time with a zone, "
            "a date (YYYY-MM-DD, midnight UTC) or a duration such as 7d, 12h, 30m, 45s"
        ) from None
