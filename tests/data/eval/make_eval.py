"""Generate agentmem's labelled retrieval evaluation sets.

Run from the repository root::

    python tests/data/eval/make_eval.py

It writes ``<set>/corpus.jsonl`` and ``<set>/queries.jsonl`` for the sets ``short``,
``conversation``, ``long``, ``paraphrase`` and ``identifiers`` plus ``README.md``, all
next to this file. Output is deterministic: every set uses its own seeded
``random.Random``, so two runs produce byte-identical files. Standard library only.
"""

from __future__ import annotations

import json
import random
import re
import string
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import vocab

HERE = Path(__file__).resolve().parent
SETS = ["short", "conversation", "long", "paraphrase", "identifiers"]
SEEDS = {"short": 1101, "conversation": 2202, "long": 3303, "paraphrase": 4404, "identifiers": 5505}
ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")
SCOPES = ["shared"] * 14 + [
    "user:alice",
    "user:tom",
    "agent:planner",
    "agent:support-bot",
    "agent:ops",
    "agent:research",
]
SOURCES = ["chat", "standup", "wiki", "email", "agent-observation", "ticket"]
NOTE_TYPE_NAMES = ["incident", "meeting", "runbook", "design", "retro"]
ALPHABETS = {
    "digits": string.digits,
    "hex": "0123456789abcdef",
    "alnum": string.ascii_uppercase + string.digits,
}

Obj = dict[str, Any]


# --------------------------------------------------------------------------- helpers


def slot_names(templates: list[str]) -> list[str]:
    """Slot names used by ``templates``, in first-seen order."""
    names: list[str] = []
    for template in templates:
        for _, name, _, _ in string.Formatter().parse(template):
            if name and name not in names:
                names.append(name)
    return names


def draw(
    rng: random.Random, names: list[str], pools: dict[str, list[str]], fixed: dict[str, str]
) -> dict[str, str]:
    """Pick a value for each slot; ``x2`` draws from pool ``x`` but differs from ``x``."""
    values = dict(fixed)
    for name in names:
        if name in values:
            continue
        base = name.rstrip(string.digits)
        taken = [v for k, v in values.items() if k.rstrip(string.digits) == base]
        values[name] = rng.choice([v for v in pools[base] if v not in taken])
    return values


def sentence_case(text: str) -> str:
    """Capitalise a leading plain word ("billing on-call..."), not a code-like one."""
    first = text.split(" ", 1)[0]
    return text if re.search(r"[-_.]", first) else text[0].upper() + text[1:]


def fact(text: str, scope: str, kind: str, meta: Obj) -> Obj:
    return {"text": text, "scope": scope, "kind": kind, "meta": meta}


def query(text: str, relevant: list[Obj], **extra: str) -> Obj:
    return {"query": text, "_rel": relevant, **extra}


def assign_ids(prefix: str, facts: list[Obj], rng: random.Random) -> None:
    """Give facts ids ``prefix-0001``...; shuffle first so ids carry no label signal."""
    rng.shuffle(facts)
    for i, f in enumerate(facts, 1):
        f["id"] = f"{prefix}-{i:04d}"


def finish_queries(name: str, queries: list[Obj], rng: random.Random) -> list[Obj]:
    """Number queries, resolve relevant ids and split them ~50/50 by a seeded shuffle."""
    order = list(range(len(queries)))
    rng.shuffle(order)
    dev = set(order[: len(order) // 2])
    out = []
    for i, q in enumerate(queries):
        rel = q.pop("_rel")
        out.append(
            {
                **q,
                "qid": f"{name}-{i + 1:04d}",
                "relevant": [f["id"] for f in rel],
                "split": "dev" if i in dev else "test",
                "category": name,
            }
        )
    return out


def content_words(text: str) -> list[str]:
    words = re.findall(r"[a-z0-9]+", text.lower().replace("'s ", " "))
    return [w[:-1] if w.endswith("s") and len(w) > 3 else w for w in words if w not in vocab.STOPWORDS]


# --------------------------------------------------------------------------- sets


def build_short(rng: random.Random) -> tuple[list[Obj], list[Obj]]:
    facts: list[Obj] = []
    queries: list[Obj] = []
    for frame in vocab.SHORT_FRAMES:
        names = slot_names(frame["facts"] + frame["queries"])
        members: list[tuple[Obj, dict[str, str]]] = []
        keys: list[tuple[str, ...]] = []
        for _ in range(400):
            if len(members) == 15:
                break
            values = draw(rng, names, vocab.POOLS, {})
            key = tuple(values[k] for k in frame["key"])
            if key in keys:
                continue
            keys.append(key)
            text = sentence_case(rng.choice(frame["facts"]).format(**values))
            members.append((fact(text, rng.choice(SCOPES), "note", {"source": rng.choice(SOURCES)}), values))
        facts += [m[0] for m in members]
        for f, values in rng.sample(members, 3):
            queries.append(query(rng.choice(frame["queries"]).format(**values), [f]))
    assign_ids("s", facts, rng)
    return facts, queries


def build_conversation(rng: random.Random) -> tuple[list[Obj], list[Obj]]:
    turns: list[tuple[date, int, str, str]] = []  # (day, order, speaker, text)
    queries: list[Obj] = []
    start = date(2024, 1, 2)

    def say(day: date, speaker: str, text: str) -> int:
        turns.append((day, len(turns), speaker, text))
        return len(turns) - 1

    names = [s for s, _ in vocab.SPEAKERS]
    for owner, pos in vocab.SPEAKERS:
        for topic in rng.sample(vocab.CONV_TOPICS, 3):
            templates = topic["owner"] + topic["replies"] + topic["queries"]
            values = draw(rng, slot_names(templates), vocab.CONV_POOLS, {"owner": owner, "pos": pos})
            others = rng.sample([n for n in names if n != owner], 2)
            replies = rng.sample(topic["replies"], 3)
            day = start + timedelta(days=rng.randrange(360))
            said = [say(day, owner, topic["owner"][0].format(**values))]
            say(day, others[0], replies[0].format(**values))
            said.append(say(day, owner, topic["owner"][1].format(**values)))
            say(day, others[1], replies[1].format(**values))
            if rng.random() < 0.4:  # the story continues on a later day
                day += timedelta(days=rng.randint(2, 21))
                say(day, rng.choice(others), replies[2].format(**values))
            said.append(say(day, owner, topic["owner"][2].format(**values)))
            template, _, idx = rng.choice(topic["queries"]).partition("|")
            rel = [said[int(i)] for i in idx.split(",")]
            queries.append({"query": template.format(**values), "_idx": rel})
    for text in vocab.CONV_SMALLTALK * 2:
        say(start + timedelta(days=rng.randrange(360)), rng.choice(names), text)

    facts: list[Obj] = []
    by_index: dict[int, Obj] = {}
    per_day: dict[date, int] = {}
    for day, index, speaker, text in sorted(turns):
        per_day[day] = per_day.get(day, 0) + 1
        iso = day.isoformat()
        f = fact(
            f"[{iso}] {speaker}: {text}",
            rng.choice(["shared"] * 6 + ["agent:scribe"]),
            "turn",
            {"speaker": speaker, "date": iso},
        )
        f["id"] = f"t-{iso.replace('-', '')}-{per_day[day]:02d}"
        facts.append(f)
        by_index[index] = f
    for q in queries:
        q["_rel"] = [by_index[i] for i in q.pop("_idx")]
    return facts, queries


def build_long(rng: random.Random) -> tuple[list[Obj], list[Obj]]:
    combos = [(t, s) for t in range(len(vocab.LONG_TAILS)) for s in vocab.SERVICES]
    rng.shuffle(combos)
    notes: list[tuple[Obj, str, str]] = []  # (fact, answer span, query)
    sentence_slots = slot_names(vocab.LONG_SENTENCES + vocab.LONG_TAIL_TRAIL)
    for tail_no, service in combos[:330]:
        type_no = rng.randrange(len(vocab.NOTE_TYPES))
        ntype, tail = vocab.NOTE_TYPES[type_no], vocab.LONG_TAILS[tail_no]
        fixed = {"service": service}
        if NOTE_TYPE_NAMES[type_no] in ("incident", "runbook", "design"):
            fixed["service2"] = service
        names = slot_names(ntype["titles"] + tail["fact"] + tail["queries"]) + sentence_slots
        values = draw(rng, names, vocab.LONG_POOLS, fixed)
        values = {k: v.format(**values) for k, v in values.items()}
        title = rng.choice(ntype["titles"]).format(**values)
        pool = rng.sample(vocab.LONG_SENTENCES, len(vocab.LONG_SENTENCES))
        blocks = [title]
        for heading in ntype["sections"]:
            picked = [pool.pop().format(**values) for _ in range(rng.randint(3, 4))]
            blocks.append(heading + "\n" + " ".join(picked))
        while len("\n\n".join(blocks)) < 1050:
            blocks[-1] += " " + pool.pop().format(**values)
        marked = rng.choice(tail["fact"]).format(**values)
        span = marked[marked.index("<<") + 2 : marked.index(">>")]
        tail_text = " ".join(
            [
                rng.choice(vocab.LONG_TAIL_LEAD),
                marked.replace("<<", "").replace(">>", ""),
                rng.choice(vocab.LONG_TAIL_TRAIL).format(**values),
            ]
        )
        blocks.append(rng.choice(ntype["tail"]) + "\n" + tail_text)
        if rng.random() < 0.5:
            blocks.append("Next review\n" + " ".join(pool.pop().format(**values) for _ in range(2)))
        meta = {"title": title, "type": NOTE_TYPE_NAMES[type_no]}
        note = fact("\n\n".join(blocks), rng.choice(SCOPES), "doc", meta)
        notes.append((note, span, rng.choice(tail["queries"]).format(**values)))
    queries = [query(q, [note], answer_span=span) for note, span, q in rng.sample(notes, 72)]
    facts = [n[0] for n in notes]
    assign_ids("doc", facts, rng)
    return facts, queries


def build_paraphrase(rng: random.Random) -> tuple[list[Obj], list[Obj]]:
    records: list[dict[str, list[str]]] = []
    for entry in vocab.entries(vocab.PARAPHRASE_BLOCK):
        tag, text = entry[0], entry[2:]
        if tag == "F":
            records.append({"F": [], "Q": [], "N": [], "T": []})
        records[-1][tag].append(text)
    facts: list[Obj] = []
    queries: list[Obj] = []
    for record in records:
        group = [
            fact(text, rng.choice(SCOPES), "note", {"source": rng.choice(SOURCES)})
            for text in record["F"] + record["N"] + record["T"]
        ]
        facts += group
        queries.append(query(record["Q"][0], [group[0]]))
    assign_ids("p", facts, rng)
    return facts, queries


def make_identifier(rng: random.Random, kind: str, parts: dict[str, str] | None) -> dict[str, str]:
    """Random id parts for ``kind``; with ``parts`` given, change one part slightly."""
    shape = vocab.ID_SHAPES[kind][1]
    if parts is None:
        out: dict[str, str] = {}
        for name, spec in shape.items():
            if isinstance(spec, list):
                out[name] = rng.choice(spec)
            else:
                alphabet, length = spec.split(":")
                out[name] = "".join(rng.choice(ALPHABETS[alphabet]) for _ in range(int(length)))
        return out
    out = dict(parts)
    name = rng.choice(list(shape))
    spec, value = shape[name], parts[name]
    if isinstance(spec, list):
        out[name] = rng.choice([w for w in spec if w != value])
    elif len(value) > 1 and rng.random() < 0.5 and value[0] != value[1]:
        i = rng.randrange(len(value) - 1)
        out[name] = value[:i] + value[i + 1] + value[i] + value[i + 2 :]
    else:
        i = rng.randrange(len(value))
        other = rng.choice([c for c in ALPHABETS[spec.split(":")[0]] if c != value[i]])
        out[name] = value[:i] + other + value[i + 1 :]
    return out


def build_identifiers(rng: random.Random) -> tuple[list[Obj], list[Obj]]:
    facts: list[Obj] = []
    queries: list[Obj] = []
    used: list[str] = []

    def fresh(kind: str, parts: dict[str, str] | None) -> tuple[dict[str, str], str]:
        while True:
            new = make_identifier(rng, kind, parts)
            ident = vocab.ID_SHAPES[kind][0].format(**new)
            if not any(ident in u or u in ident for u in used):
                used.append(ident)
                return new, ident

    for frame in vocab.IDENT_FRAMES:
        kind = frame["kind"][0]
        names = slot_names(frame["facts"] + frame["queries"])
        for _ in range(6):
            template = rng.choice(frame["facts"])
            shared = draw(rng, names, vocab.IDENT_POOLS, {"id": ""})
            base, ident = fresh(kind, None)
            cluster: list[tuple[Obj, str]] = []
            for n in range(rng.choice([4, 5])):
                if n:
                    ident = fresh(kind, base)[1]
                values = {k: v for k, v in shared.items() if k not in frame["vary"]}
                values = draw(rng, names, vocab.IDENT_POOLS, {**values, "id": ident})
                fixes, meanings = vocab.IDENT_POOLS["fix"], vocab.IDENT_POOLS["meaning"]
                if "fix" in values:  # keep each fix with its own cause
                    values["fix"] = fixes[meanings.index(values["meaning"])]
                if "cause" in values:
                    values["cause"] = vocab.ENAME_CAUSES[ident.split("_")[1]]
                text = template.format(**values)
                cluster.append((fact(text, rng.choice(SCOPES), "note", {"type": kind}), ident))
            facts += [c[0] for c in cluster]
            target, ident = rng.choice(cluster)
            text = rng.choice(frame["queries"]).format(id=ident)
            queries.append(query(text, [target], identifier=ident))
    assign_ids("i", facts, rng)
    return facts, queries


BUILDERS = {
    "short": build_short,
    "conversation": build_conversation,
    "long": build_long,
    "paraphrase": build_paraphrase,
    "identifiers": build_identifiers,
}


# --------------------------------------------------------------------------- checks


def check(name: str, corpus: list[Obj], queries: list[Obj]) -> None:
    ids = [f["id"] for f in corpus]
    assert len(ids) == len(set(ids)) >= 300, name
    assert all(ID_RE.match(i) for i in ids), name
    assert all(f["kind"] in ("note", "turn", "doc") for f in corpus), name
    assert all(re.match(r"^(shared|user:[a-z-]+|agent:[a-z-]+)$", f["scope"]) for f in corpus)
    assert len(queries) >= 60, name
    by_id = {f["id"]: f for f in corpus}
    dev = sum(q["split"] == "dev" for q in queries)
    assert abs(2 * dev - len(queries)) <= 1, name
    for q in queries:
        assert q["relevant"] and all(r in by_id for r in q["relevant"]), q
        texts = [by_id[r]["text"] for r in q["relevant"]]
        if name == "long":
            assert all(len(t) > 1000 and t.index(q["answer_span"]) > 1000 for t in texts), q
            assert sum(q["answer_span"] in f["text"] for f in corpus) == 1, q
        if name == "identifiers":
            assert sum(q["identifier"] in f["text"] for f in corpus) == 1, q
            assert q["identifier"] in q["query"] and q["identifier"] in texts[0], q
        if name == "conversation":
            assert all(by_id[r]["meta"]["speaker"] in q["query"] for r in q["relevant"]), q
        if name == "paraphrase":
            shared = set(content_words(q["query"])) & set(content_words(texts[0]))
            assert len(shared) <= 1, (q, shared)


# --------------------------------------------------------------------------- output


def dump(path: Path, objs: list[Obj]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(o, ensure_ascii=False, sort_keys=True) + "\n" for o in objs]
    path.write_text("".join(lines), encoding="utf-8", newline="\n")


def main() -> None:
    rows = []
    for name in SETS:
        rng = random.Random(SEEDS[name])
        corpus, raw = BUILDERS[name](rng)
        queries = finish_queries(name, raw, rng)
        check(name, corpus, queries)
        dump(HERE / name / "corpus.jsonl", corpus)
        dump(HERE / name / "queries.jsonl", queries)
        dev = sum(q["split"] == "dev" for q in queries)
        rows.append(f"| {name} | {len(corpus)} | {dev} | {len(queries) - dev} | {vocab.DESCRIPTIONS[name]} |")
        print(f"{name}: {len(corpus)} facts, {dev} dev + {len(queries) - dev} test queries")
    readme = vocab.README_TEMPLATE.replace("{table}", "\n".join(rows))
    (HERE / "README.md").write_text(readme, encoding="utf-8", newline="\n")
    total = sum(p.stat().st_size for p in HERE.rglob("*") if p.suffix in (".jsonl", ".md"))
    assert total < 3_000_000, total


if __name__ == "__main__":
    main()
