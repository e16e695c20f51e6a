"""Remotes against real git servers on loopback, started and stopped by the tests: `git daemon`
(receive-pack enabled) and `git http-backend` behind a small CGI-speaking HTTP server, each
serving a bare repository. Two clones write, push and pull until they converge."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from agentmem import Conflict, InvalidInput, NotFound, Repo, merge_state
from agentmem.incoming import PURGED_PATH, PurgeNeeded
from agentmem.layout import fact_path
from agentmem.remotes import RemoteError
from agentmem.signature import Signature
from conftest import AGENTMEM


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bare(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    subprocess.run(["git", "-C", str(path), "config", "http.receivepack", "true"], check=True)
    return path


@pytest.fixture
def daemon_url(tmp_path: Path) -> Iterator[str]:
    """git:// URL of a bare repository served by a real `git daemon` on 127.0.0.1."""
    served = tmp_path / "served"
    bare(served / "memory.git")
    port = free_port()
    proc = subprocess.Popen(
        ["git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack",
         f"--base-path={served}", "--listen=127.0.0.1", f"--port={port}", str(served)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "git daemon did not start"
            time.sleep(0.05)
    yield f"git://127.0.0.1:{port}/memory.git"
    proc.terminate()
    proc.wait(timeout=10)


class _GitCGI(BaseHTTPRequestHandler):
    """Runs `git http-backend` (CGI) per request; optional HTTP basic auth."""

    root = ""
    auth: str | None = None  # "user:password" when required

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._cgi()

    def do_POST(self) -> None:
        self._cgi()

    def _cgi(self) -> None:
        if (
            self.auth
            and self.headers.get("Authorization") != "Basic " + base64.b64encode(self.auth.encode()).decode()
        ):
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="memory"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        body = self._body()
        env = {
            **os.environ, "GIT_PROJECT_ROOT": self.root, "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": "127.0.0.1", "REMOTE_USER": "tester",
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
        }  # fmt: skip
        done = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True)
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode().split("\r\n"):
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.split()[0])
            elif key:
                headers.append((key, value.strip()))
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))


def serve_http(root: Path, auth: str | None = None) -> tuple[ThreadingHTTPServer, str]:
    handler = type("Handler", (_GitCGI,), {"root": str(root), "auth": auth})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def http_url(tmp_path: Path) -> Iterator[str]:
    """http:// URL of a bare repository behind `git http-backend`."""
    bare(tmp_path / "http" / "memory.git")
    server, base = serve_http(tmp_path / "http")
    yield f"{base}/memory.git"
    server.shutdown()
    server.server_close()


def texts(repo: Repo) -> set[str]:
    return {f.text for f in repo.facts()}


def start(tmp_path: Path, url: str) -> tuple[Repo, Repo]:
    """Machine A makes the memory and pushes it; machine B clones it."""
    a = Repo.init(tmp_path / "a")
    a.remember("The deploy window is Tuesday", agent="planner")
    a.tag("v1")
    a.add_remote("origin", url)
    assert a.push().upstream_set
    return a, Repo.clone(url, tmp_path / "b")


@pytest.mark.parametrize("server", ["daemon_url", "http_url"])
def test_two_clones_converge(tmp_path: Path, server: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(server)
    a, b = start(tmp_path, url)
    assert texts(b) == {"The deploy window is Tuesday"} and b.branch == "main"
    assert [t.name for t in b.tags()] == ["v1"]
    a.remember("Staging runs Postgres 16", agent="ops")
    b.remember("Alice prefers email", "user:alice", agent="support")
    assert b.push().status == "pushed"
    with pytest.raises(Conflict, match=r"not a fast-forward.*pull"):
        a.push()
    assert a.pull().merge.status == "merged"  # no arguments: the upstream push -u set
    assert a.push().status == "pushed"
    assert b.pull().merge.status == "fast-forward"
    assert (
        texts(a)
        == texts(b)
        == {"The deploy window is Tuesday", "Staging runs Postgres 16", "Alice prefers email"}
    )
    assert a.resolve() == b.resolve()
    subprocess.run(["git", "fsck", "--strict"], cwd=b.root, check=True, capture_output=True)


def test_cli_push_refused_then_pull_and_push(tmp_path: Path, daemon_url: str) -> None:
    a, b = start(tmp_path, daemon_url)
    b.remember("from b", agent="b")
    b.push()
    a.remember("from a", agent="a")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*AGENTMEM, "-C", str(a.root), *args], capture_output=True, text=True)

    refused = run("push")
    assert refused.returncode == 4 and "not a fast-forward" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
    assert run("pull", "--strategy", "fail").returncode == 0
    assert run("push").returncode == 0
    forced = subprocess.run([*AGENTMEM, "-C", str(b.root), "push", "--force"], capture_output=True,
                            text=True)  # fmt: skip
    assert forced.returncode == 0 and "up-to-date" not in forced.stdout


def conflicting(tmp_path: Path, url: str) -> tuple[Repo, Repo, str]:
    a, b = start(tmp_path, url)
    fact = a.facts()[0].id
    b.update(fact, agent="b", text="The deploy window is Thursday")
    b.push()
    a.update(fact, agent="a", text="The deploy window is Wednesday")
    return a, b, fact


def test_conflict_fail_strategy_merges_nothing(tmp_path: Path, http_url: str) -> None:
    a, _, fact = conflicting(tmp_path, http_url)
    head = a.resolve()
    with pytest.raises(Conflict, match="conflicting") as caught:
        a.pull(strategy="fail")
    assert caught.value.fact_ids == [fact]
    assert a.resolve() == head
    assert not merge_state.state_paths(a.local_dir)  # no half merge left behind


def test_conflict_reported_then_resolved_or_settled(tmp_path: Path, http_url: str) -> None:
    a, _, fact = conflicting(tmp_path, http_url)
    pending = a.pull()
    assert pending.merge.status == "conflicts" and [c.id for c in pending.merge.conflicts] == [fact]
    a.resolve_conflict(fact, "theirs")
    assert a.merge_continue().status == "merged"
    assert a.get(fact).text == "The deploy window is Thursday"


def test_strategy_settles_conflict(tmp_path: Path, daemon_url: str) -> None:
    a, b, fact = conflicting(tmp_path, daemon_url)
    assert a.pull(strategy="ours").merge.status == "merged"
    a.push()
    b.pull()
    assert a.get(fact).text == b.get(fact).text == "The deploy window is Wednesday"


def test_http_credentials_from_url_and_git_credential_helper(tmp_path: Path) -> None:
    bare(tmp_path / "secure" / "memory.git")
    server, base = serve_http(tmp_path / "secure", auth="agent:s3cret")
    try:
        url = f"{base}/memory.git"
        a = Repo.init(tmp_path / "a")
        a.remember("guarded fact", agent="a")
        a.add_remote("origin", url)
        with pytest.raises(RemoteError, match="authentication failed"):
            a.push()
        home = Path(os.environ["HOME"])
        home.mkdir(exist_ok=True)
        subprocess.run(["git", "config", "--global", "credential.helper", "store"], check=True)
        (home / ".git-credentials").write_text(f"http://agent:s3cret@127.0.0.1:{server.server_address[1]}\n")
        assert a.push().status == "pushed"  # asked `git credential fill` on the 401
        (home / ".git-credentials").unlink()
        inline = base.replace("http://", "http://agent:s3cret@") + "/memory.git"
        assert texts(Repo.clone(inline, tmp_path / "b")) == {"guarded fact"}
    finally:
        server.shutdown()
        server.server_close()


def test_unreachable_remote_is_one_line_error(tmp_path: Path) -> None:
    a = Repo.init(tmp_path / "a")
    a.add_remote("origin", f"git://127.0.0.1:{free_port()}/nothing.git")
    with pytest.raises(RemoteError, match="cannot talk to"):
        a.fetch()
    done = subprocess.run([*AGENTMEM, "-C", str(a.root), "pull"], capture_output=True, text=True)
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1


def test_pull_never_brings_purged_content_back(tmp_path: Path, daemon_url: str) -> None:
    """The purge record mechanism (issue 13's purge writes the record; here it is committed
    directly): a clone whose tree lists a blob as purged refuses a fetch carrying that blob,
    and the refused objects do not stay in its object store."""
    a, b = start(tmp_path, daemon_url)
    secret = a.remember("the root password is hunter2", agent="leaky")
    a.push()
    blob = a.store.lookup(a.store.commit(a.store.resolve()).tree, fact_path("shared", secret.id))
    assert blob is not None
    record = b"# purged blob ids\n" + blob + b"\n"
    base = b.store.resolve()
    b.store.commit_changes(b.store.current_branch(), base, {PURGED_PATH: record}, Signature("gov", "purge"))
    with pytest.raises(Conflict, match="purged content"):
        b.pull()
    assert blob not in b.store.objects
    check = subprocess.run(["git", "cat-file", "-e", blob.decode()], cwd=b.root, capture_output=True)
    assert check.returncode != 0
    assert not list((b.root / ".git").glob("agentmem-incoming-*"))


def test_remote_purge_record_refuses_until_purged_here(tmp_path: Path, daemon_url: str) -> None:
    a, b = start(tmp_path, daemon_url)
    secret = a.remember("api key sk-123", agent="leaky")
    a.push()
    b.pull()
    blob = b.store.lookup(b.store.commit(b.store.resolve()).tree, fact_path("shared", secret.id))
    assert blob is not None
    a.store.commit_changes(a.store.current_branch(), a.store.resolve(), {PURGED_PATH: blob + b"\n"},
                           Signature("gov", "purge"))  # fmt: skip
    a.push()
    with pytest.raises(PurgeNeeded, match="purged content this clone still holds") as caught:
        b.fetch()
    assert caught.value.fact_ids == [secret.id]
    with pytest.raises(Conflict, match="bring back purged content"):
        b.pull()  # applies the record (purges here), then refuses: A never rewrote its history
    check = subprocess.run(["git", "cat-file", "-e", blob.decode()], cwd=b.root, capture_output=True)
    assert check.returncode != 0


def test_clone_index_catches_up_embedding_only_new_texts(tmp_path: Path, daemon_url: str) -> None:
    a, b = start(tmp_path, daemon_url)
    config = b.local_dir / "config"
    settings = config.read_text().replace('model = "all-MiniLM-L6-v2"', 'model = "fake:64"')
    config.write_text(settings.replace("daemon = true", "daemon = false"))  # the index in this process
    b = Repo(b.root)
    assert b.search("deploy", k=1)[0].fact.text == "The deploy window is Tuesday"
    index = b.__dict__["_search_index"]
    assert index.embedded_texts == 1
    a.remember("Backups run nightly", agent="ops")
    a.push()
    b.pull()
    assert b.search("backups", k=1)[0].fact.text == "Backups run nightly"
    assert index.embedded_texts == 2  # only the pulled text was embedded


def test_a_local_path_that_is_no_repository_is_one_line_error(tmp_path: Path) -> None:
    a = Repo.init(tmp_path / "a")
    a.add_remote("origin", str(tmp_path / "nothing.git"))
    with pytest.raises(RemoteError, match="no git repository there"):
        a.fetch()
    done = subprocess.run([*AGENTMEM, "-C", str(a.root), "push", "origin"], capture_output=True, text=True)
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr and "no git repository" in done.stderr


def test_a_relative_local_path_is_recorded_from_where_it_was_given(tmp_path: Path) -> None:
    """`clone hub.git b` and `remote add origin ../hub.git` record the path as git clone does,
    absolute: a later push from inside the clone must not look for hub.git there."""
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "hub.git")], check=True)
    first = Repo.init(tmp_path / "first")
    first.remember("The API uses port 8443", agent="coder")
    env = {k: v for k, v in os.environ.items() if k != "AGENTMEM_REPO"}

    def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*AGENTMEM, *args], cwd=cwd, env=env, capture_output=True, text=True)

    assert run(first.root, "remote", "add", "origin", "../hub.git").returncode == 0
    assert run(first.root, "push", "origin").returncode == 0
    assert run(tmp_path, "clone", "hub.git", "b").returncode == 0
    clone = Repo(tmp_path / "b")
    assert [(r.name, r.url) for r in clone.remotes()] == [("origin", str(tmp_path / "hub.git"))]
    clone.remember("Staging DB is db-stg-2", agent="coder")
    pushed = run(clone.root, "push")
    assert pushed.returncode == 0, pushed.stderr
    assert run(first.root, "pull").returncode == 0 and len(first.facts()) == 2


def test_bad_remote_input(tmp_path: Path) -> None:
    a = Repo.init(tmp_path / "a")
    for name in ("-x", "a/b", "", "bad..name"):
        with pytest.raises(Exception, match="invalid remote name"):
            a.add_remote(name, "/tmp/x")
    with pytest.raises(Exception, match="invalid remote URL"):
        a.add_remote("origin", "--upload-pack=evil")
    with pytest.raises(Exception, match="no upstream"):
        a.push()
    with pytest.raises(Exception, match="unknown strategy"):
        a.pull("origin", strategy="mine")
    # a name no remote can have is refused as such (it was "no remote 'x...'" with every character)
    for name in ("x" * 300, "../x", "-x"):
        for verb in (a.fetch, a.push, a.pull, a.remove_remote):
            with pytest.raises(InvalidInput, match=r"^invalid remote name '.{1,40}'$"):
                verb(name)
    with pytest.raises(NotFound, match="no remote 'origin'"):
        a.fetch("origin")


def test_purged_secret_does_not_return_through_a_pull(tmp_path: Path, daemon_url: str) -> None:
    """Real purge (issue 13) on A, force-pushed; B, which pulled the secret before, pulls the
    purge record and has the purge applied; a stale clone C pushing the secret back cannot make
    it return to A or B, and `git cat-file` finds it nowhere in A or B."""
    a, b = start(tmp_path, daemon_url)
    c = Repo.clone(daemon_url, tmp_path / "c")
    secret = a.remember("the root password is hunter2", agent="leaky")
    a.remember("kept fact", agent="ops")
    a.push()
    b.pull()
    c.pull()
    blob = a.store.lookup(a.store.commit(a.store.resolve()).tree, fact_path("shared", secret.id))
    assert blob is not None
    a.purge(secret.id, agent="admin", yes=True)
    with pytest.raises(Conflict, match="not a fast-forward"):
        a.push()
    assert a.push(force=True).status == "forced"
    b.pull(agent="admin")  # the record applies here: B's copy is purged before the merge
    for repo in (a, b):
        assert texts(repo) == {"The deploy window is Tuesday", "kept fact"}
        assert subprocess.run(["git", "cat-file", "-e", blob.decode()], cwd=repo.root).returncode != 0
    c.push(force=True)  # a stale clone puts the secret back on the server
    for repo in (a, b):
        with pytest.raises(Conflict, match="bring back purged content"):
            repo.pull()
        assert subprocess.run(["git", "cat-file", "-e", blob.decode()], cwd=repo.root).returncode != 0


def test_purge_record_travels_to_clones_that_never_held_the_secret(tmp_path: Path, daemon_url: str) -> None:
    a, b = start(tmp_path, daemon_url)
    secret = a.remember("token sk-live-42", agent="leaky")
    a.purge(secret.id, agent="admin", yes=True)
    a.push(force=True)
    b.pull()  # b never held it: the record (.agentmem/purged) passes validation and is merged
    assert (a.resolve() == b.resolve()) and texts(b) == {"The deploy window is Tuesday"}
    c = Repo.clone(daemon_url, tmp_path / "c")
    assert texts(c) == texts(b)


def test_plain_git_clone_of_the_remote_opens_in_agentmem(tmp_path: Path, daemon_url: str) -> None:
    pytest.importorskip("agentmem.adopt", reason="opening a git clone comes with issue 15's adopt.py")
    a, _ = start(tmp_path, daemon_url)
    subprocess.run(["git", "clone", "-q", daemon_url, str(tmp_path / "plain")], check=True)
    plain = Repo.open(tmp_path / "plain")
    assert texts(plain) == texts(a)
    plain.remember("written in a plain clone", agent="c")
    assert plain.push().status == "pushed"  # git clone set the upstream already
    a.pull()
    assert "written in a plain clone" in texts(a)
