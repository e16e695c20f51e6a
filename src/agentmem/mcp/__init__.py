"""agentmem over the Model Context Protocol (the optional extra ``agentmem[mcp]``).

`acting` (the acting agent's session), `tools` (agentmem's own tools), `reference` (the tool shapes
of the reference MCP memory server, mapped onto facts), `tokens` (the bearer-token file) and
`server` (the official `mcp` SDK server over stdio or streamable HTTP). See docs/mcp.md.
"""
