"""Every `agentmem` command: the one table the lazy root group (lazy.py) reads.

Adding a command: one line here, and the function in `agentmem/cli/<module>.py` registered with
``@app.command()`` (or a sub-app with ``app.add_typer``). The summary is the first line of the
command's help; tests/test_cli_table.py fails when a line and its command disagree.
"""

# ruff: noqa: E501  (one line per command)

from .lazy import Command

# name: Command(module, panel, one-line help). Panels appear in the order of their first command.
COMMANDS: dict[str, Command] = {
    "init": Command("write", "Write", "Create a memory repository (a git repository plus a local .agentmem/ folder)."),
    "remember": Command("write", "Write", "Add one fact and commit at once; print its id. The same text again is a no-op."),
    "update": Command("write", "Write", "Change a fact (text, tags, metadata...) and commit at once; its id stays."),
    "forget": Command("write", "Write", "Remove a fact from the branch in one commit (history keeps it)."),
    "add": Command("write", "Write", "Stage a write (new fact, --update ID, or --forget ID) for the agent's next `agentmem commit`."),
    "status": Command("write", "Write", "Show the current branch, the agent's staged writes, and a merge or bisection in progress."),
    "commit": Command("write", "Write", "Commit every write the agent staged atomically (all or nothing)."),
    "unstage": Command("write", "Write", "Drop every write the agent staged."),
    "import": Command("write", "Write", "Import facts from JSON lines in one commit (all or nothing), with a progress bar."),
    "show": Command("read", "Read", "Show one fact as stored (front matter and text)."),
    "ls": Command("read", "Read", "List the facts on a branch or commit, newest change first (expired facts are hidden)."),
    "log": Command("read", "Read", "History of the branch, or of one fact, or of one scope (--scope without ID)."),
    "cat-commit": Command("read", "Read", "Show a commit's provenance and the facts it changed."),
    "branch": Command("vcs", "Version control", "List branches (current marked *), create one, or delete one with -d."),
    "switch": Command("vcs", "Version control", "Make NAME the current branch (writes and reads without --at use it)."),
    "tag": Command("vcs", "Version control", "List tags, or tag a commit (tags never move)."),
    "diff": Command("vcs", "Version control", "Facts added, removed and changed. No args: what HEAD changed; A: A..HEAD; A B or A..B."),
    "merge": Command("vcs", "Version control", "Three-way merge of BRANCH into the current branch, fact by fact."),
    "resolve": Command("vcs", "Version control", "Settle one conflict of the merge or revert in progress."),
    "revert": Command("vcs", "Version control", "A new commit undoing COMMIT fact by fact; a later change of one of its facts conflicts."),
    "reset": Command("vcs", "Version control", "Move the current branch to REF; the old head stays in the reflog."),
    "reflog": Command("vcs", "Version control", "Every move of a branch (default: current), newest first."),
    "blame": Command("vcs", "Version control", "Who introduced and last changed a fact, and the same for its derived_from sources."),
    "bisect": Command("vcs_bisect", "Version control", "Find the commit that introduced a bad fact (binary search, first-parent chain)."),
    "search": Command("search", "Search", "Facts ranked by meaning (and keywords); each result names the commit it was read from."),
    "index": Command("search", "Search", "Bring the search index up to date (it also catches up on every search)."),
    "dedupe": Command("search", "Search", "List pairs of near-duplicate facts in a scope."),
    "service": Command("search", "Search", "The warm search service of this user."),
    "export": Command("write", "Write", "Write the facts (every field) as JSON lines that `agentmem import` reads back."),
    "policy": Command("governance", "Governance", "The committed access policy (.agentmem/policy.toml)."),
    "promote": Command("governance", "Governance", "Write a copy of a fact in a wider scope, derived from it (needs the promote right)."),
    "review": Command("governance", "Governance", "Proposed promotions (branches proposals/<agent>)."),
    "expire": Command("governance", "Governance", "Commit the removal of every expired fact (own expiry or the scope's time to live)."),
    "reads": Command("governance", "Governance", "Read receipts: who read which facts, in which run, at which commit, when."),
    "trace": Command("governance", "Governance", "A fact's blast radius: its origin, the facts derived from it, and who read them."),
    "quarantine": Command("governance", "Governance", "Hide a fact and its blast radius from every read (a committed list)."),
    "purge": Command("governance", "Governance", "Erase a fact from every branch, tag, reflog, index and receipt (rewrites history)."),
    "remote": Command("remote", "Remotes", "Manage the remotes this memory is shared through."),
    "clone": Command("remote", "Remotes", "Copy a memory repository, every branch and tag, with upstreams set; ready to use."),
    "fetch": Command("remote", "Remotes", "Bring a remote's branches (as REMOTE/BRANCH) and new tags here; no merge."),
    "pull": Command("remote", "Remotes", "Fetch and merge fact by fact into the current branch (default: its upstream)."),
    "push": Command("remote", "Remotes", "Send the current branch (and new tags) to a remote; only a fast-forward unless --force."),
    "serve": Command("serve", "Remotes", "Serve the memory to agents over MCP (stdio, or --http with bearer tokens)."),
}  # fmt: skip
