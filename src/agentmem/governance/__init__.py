"""Governance: who may read and write which scopes (policy), what stays visible (retention,
quarantine), what was read (receipts), a fact's blast radius (trace) and true erasure (purge).

Everything here reads its committed state from the tree of a commit (``.agentmem/policy.toml``,
``.agentmem/quarantine.json``, ``.agentmem/purged``) and its local state from ``.agentmem/``.
"""
