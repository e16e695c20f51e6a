"""The MCP server driven by the official `mcp` client, over stdio and streamable HTTP, against a
real repository: tools and their annotations, errors that leave the server up, identity that a
tool argument cannot change, bearer tokens, and two servers writing at once."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

mcp = pytest.importorskip("mcp")

from mcp import ClientSession, StdioServerParameters  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402
from mcp.shared._httpx_utils import create_mcp_http_client  # noqa: E402

from agentmem import Repo  # noqa: E402
from agentmem.mcp import tokens  # noqa: E402
from conftest import AGENTMEM  # noqa: E402


def fake_model(repo: Repo) -> Repo:
    path = repo.local_dir / "config"
    path.write_text(path.read_text().replace('model = "all-MiniLM-L6-v2"', 'model = "fake:64"'))
    return Repo(repo.root)


@asynccontextmanager
async def stdio(repo: Repo, agent: str = "planner") -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "agentmem", "-C", str(repo.root), "serve", "--mcp", "--agent", agent],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    with open(os.devnull, "w") as quiet:
        async with stdio_client(params, errlog=quiet) as streams, ClientSession(streams[0], streams[1]) as s:
            await s.initialize()
            yield s


async def call(session: ClientSession, tool: str, **args: Any) -> Any:
    result = await session.call_tool(tool, args)
    assert not result.is_error, result.content
    return json.loads(result.content[0].text)


async def error(session: ClientSession, tool: str, **args: Any) -> str:
    result = await session.call_tool(tool, args)
    assert result.is_error
    return str(result.content[0].text)


def test_stdio_tools_remember_search_blame_and_errors(repo: Repo) -> None:
    repo = fake_model(repo)

    async def run() -> None:
        async with stdio(repo) as s:
            listed = {t.name: t for t in (await s.list_tools()).tools}
            expected = {"remember", "update", "forget", "get", "recent", "search", "log", "blame", "trace",
                        "diff", "branch", "merge", "promote", "create_entities", "search_nodes"}  # fmt: skip
            assert expected <= set(listed)
            assert listed["search"].annotations.read_only_hint is True
            assert listed["forget"].annotations.destructive_hint is True
            assert listed["remember"].input_schema["required"] == ["text"]
            written = await call(s, "remember", text="The staging database runs Postgres 16",
                                 scope="app:infra", agent="root")  # fmt: skip
            recent = await call(s, "recent", n=1)
            assert recent["total"] == 1 and recent["facts"][0]["id"] == written["id"]
            assert "InvalidInput" in await error(s, "recent", n=-1)
            hits = await call(s, "search", query="staging database", k=1)
            assert hits[0]["fact"]["id"] == written["id"]
            blame = await call(s, "blame", id=written["id"])
            assert blame["introduced"]["agent"] == "planner"  # not "root": identity is the server's
            assert "InvalidInput" in await error(s, "get", id="../etc/passwd")
            assert "NotFound" in await error(s, "get", id="nosuchfact")
            assert await error(s, "remember", text=["not", "text"])  # schema violation
            assert await error(s, "search", query="x", mode="telepathy")
            assert (await call(s, "get", id=written["id"]))["text"].startswith("The staging")  # still up

    asyncio.run(run())
    assert repo.log(n=1)[0].agent == "planner"


def test_reference_memory_server_shapes(repo: Repo) -> None:
    async def run() -> None:
        async with stdio(repo) as s:
            await call(s, "create_entities", entities=[
                {"name": "Alice", "entityType": "person", "observations": ["prefers email"]},
                {"name": "Acme", "entityType": "company", "observations": []}])  # fmt: skip
            await call(s, "create_relations", relations=[{"from": "Alice", "to": "Acme",
                                                          "relationType": "works_at"}])  # fmt: skip
            added = await call(s, "add_observations", observations=[
                {"entityName": "Alice", "contents": ["prefers email", "lives in Lyon"]}])  # fmt: skip
            assert added == [{"entityName": "Alice", "addedObservations": ["lives in Lyon"]}]
            found = await call(s, "search_nodes", query="lyon")
            assert [e["name"] for e in found["entities"]] == ["Alice"]
            both = await call(s, "open_nodes", names=["Alice", "Acme"])
            assert both["relations"] == [{"from": "Alice", "to": "Acme", "relationType": "works_at"}]
            assert "not found" in await error(s, "add_observations", observations=[
                {"entityName": "Bob", "contents": ["x"]}])  # fmt: skip
            await call(s, "delete_observations", deletions=[{"entityName": "Alice",
                                                             "observations": ["prefers email"]}])  # fmt: skip
            await call(s, "delete_entities", entityNames=["Acme"])
            graph = await call(s, "read_graph")
            assert graph == {"entities": [{"name": "Alice", "entityType": "person",
                                           "observations": ["lives in Lyon"]}], "relations": []}  # fmt: skip

    asyncio.run(run())
    assert {f.kind for f in repo.facts()} == {"entity", "observation"}


POLICY = """
default = "deny"
admins = ["admin"]
[agents.support]
read = ["shared", "agent:{agent}"]
write = ["shared", "agent:{agent}"]
[agents.planner]
read = ["shared"]
write = ["shared"]
"""


def test_policy_applies_to_every_call(repo: Repo) -> None:
    repo.policy.set(POLICY, agent="admin")
    private = repo.as_agent("support").remember("escalation password is hunter2", "agent:support").id

    async def run() -> None:
        async with stdio(repo, "planner") as s:
            assert "PermissionDenied" in await error(s, "remember", text="x", scope="agent:support")
            assert "NotFound" in await error(s, "get", id=private)  # unreadable looks absent
            assert await call(s, "search_nodes", query="hunter2") == {"entities": [], "relations": []}
            assert all(c["agent"] != "support" for c in await call(s, "log"))
            # a branch tip's subject quotes the fact it wrote; a proposal is not memory
            assert [b["subject"] for b in await call(s, "branch")] == ["", ""]
            assert "a proposal is not memory" in await error(s, "branch", name="x", start=proposal)
            assert "a proposal is not memory" in await error(s, "get", id=proposed, at=proposal)
            made = await call(s, "branch", name="planner-side")  # the new branch, listed the same way
            assert made["name"] == "planner-side" and made["subject"] == ""
            await call(s, "remember", text="shared note")  # still up, and allowed where allowed

    proposed = repo.as_agent("support").promote(private, "shared", propose=True).id
    proposal = repo.resolve("proposals/support")
    asyncio.run(run())
    assert repo.log(n=1)[0].agent == "planner"
    assert [b.name for b in repo.branches()] == ["main", "planner-side", "proposals/support"]


def test_two_stdio_servers_writing_at_once_lose_nothing(repo: Repo) -> None:
    async def writer(agent: str) -> None:
        async with stdio(repo, agent) as s:
            await asyncio.gather(*(call(s, "remember", text=f"{agent} fact {i}") for i in range(15)))

    async def run() -> None:
        await asyncio.gather(writer("alpha"), writer("beta"))

    asyncio.run(run())
    texts = {f.text for f in Repo(repo.root).facts()}
    assert texts == {f"{a} fact {i}" for a in ("alpha", "beta") for i in range(15)}


def test_stdio_server_needs_an_agent(repo: Repo) -> None:
    done = subprocess.run([*AGENTMEM, "-C", str(repo.root), "serve", "--mcp"], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=60)  # fmt: skip
    assert done.returncode == 2 and "--agent" in done.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_token_file_is_hashed_and_private(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    token = tokens.issue(path, "planner")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert token not in path.read_text() and tokens.token_hash(token) in path.read_text()
    assert tokens.agent_for(tokens.load(path), token) == "planner"
    assert tokens.agent_for(tokens.load(path), token + "x") is None
    path.chmod(0o644)
    with pytest.raises(Exception, match="readable by others"):
        tokens.load(path)


@pytest.fixture
def http_server(repo: Repo, tmp_path: Path) -> Any:
    path = tmp_path / "tokens.json"
    keys = {agent: tokens.issue(path, agent) for agent in ("planner", "support")}
    port = free_port()
    proc = subprocess.Popen(
        [*AGENTMEM, "-C", str(repo.root), "serve", "--mcp", "--http", f"127.0.0.1:{port}",
         "--tokens", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}/mcp", keys
    proc.terminate()
    proc.wait(timeout=20)


@asynccontextmanager
async def http(url: str, token: str) -> AsyncIterator[ClientSession]:
    client = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with (
        client,
        streamable_http_client(url, http_client=client) as streams,
        ClientSession(streams[0], streams[1]) as s,
    ):
        await s.initialize()
        yield s


def test_http_bearer_token_names_the_agent(repo: Repo, http_server: Any) -> None:
    url, keys = http_server

    async def run() -> None:
        async with http(url, keys["support"]) as s:
            written = await call(s, "remember", text="Alice prefers email", agent="planner")
            assert (await call(s, "blame", id=written["id"]))["introduced"]["agent"] == "support"
            await call(s, "create_entities", entities=[{"name": "Alice", "entityType": "person"}])
        async with http(url, keys["planner"]) as s:
            await call(s, "remember", text="Deploys on Tuesday")

    asyncio.run(run())
    assert [c.agent for c in repo.log(n=3)] == ["planner", "support", "support"]


def test_http_wrong_or_missing_token_is_refused(repo: Repo, http_server: Any) -> None:
    url, keys = http_server
    import httpx2

    for header in ({"Authorization": "Bearer " + keys["planner"] + "x"}, {}):
        answer = httpx2.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                             headers={**header, "Accept": "application/json, text/event-stream"})  # fmt: skip
        assert answer.status_code == 401

    async def run() -> None:
        async with http(url, "am_wrong"):
            pass

    with pytest.raises(Exception):  # noqa: B017 (the SDK raises its transport error)
        asyncio.run(run())
    assert len(repo.log()) == 1  # nothing written


@pytest.mark.slow
def test_search_with_the_real_model(repo: Repo) -> None:
    async def run() -> None:
        async with stdio(repo) as s:
            await call(s, "remember", text="Alice would rather get an email than a phone call")
            await call(s, "remember", text="The staging database runs Postgres 16")
            hits = await call(s, "search", query="how should I contact Alice?", k=1, mode="vector")
            assert hits[0]["fact"]["text"].startswith("Alice would rather")

    asyncio.run(run())
