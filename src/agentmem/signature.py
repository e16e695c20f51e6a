"""Who wrote a commit and why: the git author plus agentmem's provenance trailers
(``Agentmem-Agent``, ``-Run``, ``-Trace``, ``-Staged``; docs/format.md)."""

from __future__ import annotations

from dataclasses import dataclass

from .fact import validate_message, validate_token


@dataclass(frozen=True)
class Signature:
    """Who wrote a commit and why: git author plus agentmem provenance trailers."""

    agent: str
    message: str
    run: str | None = None
    trace: str | None = None
    staged: tuple[str, ...] = ()  # stage batches this commit consumed (see staging.py)

    def __post_init__(self) -> None:
        # Every commit passes here: a NUL or a control character in a message would fail
        # `git fsck --strict`, a newline in a run id would forge a trailer.
        validate_message(self.message)
        for value, what in ((self.run, "run id"), (self.trace, "trace id")):
            if value is not None:
                validate_token(value, what)

    def commit_message(self) -> bytes:
        trailers = [f"Agentmem-Agent: {self.agent}"]
        if self.run:
            trailers.append(f"Agentmem-Run: {self.run}")
        if self.trace:
            trailers.append(f"Agentmem-Trace: {self.trace}")
        if self.staged:
            trailers.append(f"Agentmem-Staged: {' '.join(self.staged)}")
        body = self.message.strip() or "update memory"
        return (body + "\n\n" + "\n".join(trailers) + "\n").encode("utf-8")


def parse_trailers(message: bytes) -> dict[str, str]:
    """The ``Agentmem-*`` trailers of a commit message, keyed by lowercase name."""
    text = message.decode("utf-8", "replace").rstrip("\n")
    last = text.rsplit("\n\n", 1)[-1]
    found = {}
    for line in last.split("\n"):
        key, sep, value = line.partition(": ")
        if sep and key.startswith("Agentmem-"):
            found[key[len("Agentmem-") :].lower()] = value.strip()
    return found
