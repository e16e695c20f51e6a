"""The fact file format is a contract: canonical, round-trips, rejects what it cannot hold."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentmem import CorruptObject, Fact, InvalidInput, Scope
from agentmem.fact import FIELDS, content_id, new_id, validate_id
from agentmem.layout import fact_path, parse_fact_path

ids = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,30}", fullmatch=True)
names = st.from_regex(r"[a-z0-9][a-z0-9_@+-]{0,20}", fullmatch=True)
scopes = st.one_of(
    st.just("shared"),
    st.builds(lambda k, n: f"{k}:{n}", st.sampled_from(["user", "agent", "run", "app"]), names),
)
# Fact text: any Unicode but surrogates and controls other than tab and newline (docs/format.md).
texts = st.text(
    alphabet=st.characters(exclude_categories=("Cs", "Cc"), include_characters="\n\t"), min_size=1
).filter(lambda t: t.strip())
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=10)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
facts = st.builds(
    Fact,
    id=ids,
    text=texts,
    scope=scopes,
    kind=st.sampled_from(["note", "preference", "turn"]),
    tags=st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), max_size=4).map(tuple),
    agent=st.none() | names,
    run=st.none() | st.from_regex(r"r[0-9]{1,4}", fullmatch=True),
    derived_from=st.lists(ids, max_size=3).map(tuple),
    meta=st.dictionaries(st.text(min_size=1, max_size=8), json_values, max_size=3),
    # front-matter keys of a later version: kept and written back unchanged
    extra=st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True).filter(
            lambda k: k not in FIELDS and k not in ("text", "extra")
        ),
        json_values,
        max_size=2,
    ),
)


@settings(max_examples=200, deadline=None)
@given(facts)
def test_serialisation_round_trips_and_is_canonical(fact: Fact) -> None:
    fact = fact.validated()
    data = fact.to_bytes()
    back = Fact.from_bytes(data)
    assert back == fact
    assert back.to_bytes() == data  # the same fact always gives the same blob


def test_file_form_is_readable_front_matter() -> None:
    fact = Fact(id="pref-lang", text="Alice writes in [French]", scope="user:alice", agent="support",
                tags=("lang", "a"), created_at="2026-01-02T03:04:05Z").validated()  # fmt: skip
    assert fact.to_bytes().decode() == (
        "---\n"
        'id: "pref-lang"\n'
        'scope: "user:alice"\n'
        'kind: "note"\n'
        'tags: ["a", "lang"]\n'
        'agent: "support"\n'
        'created_at: "2026-01-02T03:04:05.000Z"\n'
        'updated_at: "2026-01-02T03:04:05.000Z"\n'
        "---\n"
        "Alice writes in [French]\n"
    )


@pytest.mark.parametrize(
    "bad", ["", "../x", "a/b", "A", "x" * 129, "a\0b", "-x", "a..b", " x", "x\n", "é"], ids=repr
)
def test_bad_ids_are_rejected(bad: str) -> None:
    with pytest.raises(InvalidInput):
        validate_id(bad)


@pytest.mark.parametrize(
    "bad",
    ["", "agent", "agent:", "agent:../x", "agent:a/b", "bot:x", "user:A", "shared:x", "run:" + "x" * 65],
)
def test_bad_scopes_are_rejected(bad: str) -> None:
    with pytest.raises(InvalidInput):
        Scope.parse(bad)


@pytest.mark.parametrize(
    "field,value",
    [
        ("text", "   "),
        ("text", "a\0b"),
        ("text", "x" * (256 * 1024 + 1)),
        ("kind", "bad kind"),
        ("tags", ("ok", "no spaces")),
        ("agent", "Bad"),
        ("run", "r 1"),
        ("derived_from", ("../etc",)),
        ("meta", {"x": object()}),
        ("meta", {"big": "x" * 20_000}),
        ("created_at", "yesterday"),
        ("expires_at", "2026-01-01T00:00:00"),
        ("source", "two\nlines"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 20 else "value",
)
def test_bad_fields_are_rejected(field: str, value: object) -> None:
    with pytest.raises(InvalidInput):
        Fact(id="x", **{"text": "ok", field: value}).validated()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "data",
    [
        b"no front matter",
        b"---\nid: \"x\"\n",
        b"---\nid: x\n---\ntext\n",
        b"---\nid: \"x\"\nEvil: 1\n---\ntext\n",
        b"---\nid: \"x\"\ntext: \"y\"\n---\ntext\n",
        b"---\nid: \"x\"\nid: \"y\"\n---\ntext\n",
        b"\xff\xfe",
    ],
)
def test_unreadable_files_raise_corrupt_object(data: bytes) -> None:
    with pytest.raises(CorruptObject):
        Fact.from_bytes(data)


def test_paths_fan_out_and_parse_back() -> None:
    path = fact_path("agent:planner", "abc")
    assert path.startswith(b"facts/agent/planner/")
    assert len(path.split(b"/")) == 6
    assert parse_fact_path(path) == ("agent:planner", "abc")
    assert parse_fact_path(fact_path("shared", "k")) == ("shared", "k")
    assert parse_fact_path(b".agentmem/repo.toml") is None


def test_generated_ids_are_valid_and_distinct() -> None:
    generated = {new_id() for _ in range(1000)}
    assert len(generated) == 1000
    for fact_id in list(generated)[:50]:
        validate_id(fact_id)
    assert content_id("shared", "x") == content_id("shared", "x")
    assert content_id("shared", "x") != content_id("user:a", "x")
    assert content_id("shared", "x", 0) != content_id("shared", "x", 1)
