"""The tool shapes of the reference MCP memory server (modelcontextprotocol/servers, `memory`),
mapped onto facts, so an agent configured for that server works unchanged.

| reference          | facts (scope `shared` unless the server says otherwise)                        |
|--------------------|--------------------------------------------------------------------------------|
| entity             | kind ``entity``, text ``NAME (TYPE)``, meta ``{"entity": NAME, "entityType": TYPE}`` |
| observation        | kind ``observation``, text ``NAME: CONTENT``, meta ``{"entity", "observation"}``  |
| relation           | kind ``relation``, text ``FROM RELATION TO``, meta ``{"from", "relationType", "to"}`` |

Each call is one commit (a transaction when the session offers one); deleting an entity forgets
its observations and relations too. Unlike the reference server's one JSON file, several server
processes on one repository lose no write: every commit goes through compare-and-swap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, Field

from .tools import DESTROY, READ, WRITE, as_tool_errors

SCOPE = "shared"


class Entity(BaseModel):
    name: str
    entityType: str
    observations: list[str] = Field(default_factory=list)


class Relation(BaseModel):
    from_: str = Field(alias="from")
    to: str
    relationType: str

    model_config = {"populate_by_name": True}


class Observation(BaseModel):
    entityName: str
    contents: list[str]


class Deletion(BaseModel):
    entityName: str
    observations: list[str]


class _Graph:
    """The graph as it stands in the session's facts."""

    def __init__(self, facts: list[Any]) -> None:
        self.entities: dict[str, Any] = {}
        self.observations: dict[str, list[Any]] = {}
        self.relations: list[Any] = []
        for fact in facts:
            meta = fact.meta or {}
            if fact.kind == "entity" and "entity" in meta:
                self.entities[meta["entity"]] = fact
            elif fact.kind == "observation" and "entity" in meta:
                self.observations.setdefault(meta["entity"], []).append(fact)
            elif fact.kind == "relation" and "from" in meta:
                self.relations.append(fact)

    def entity(self, name: str) -> dict[str, Any]:
        fact = self.entities[name]
        seen = sorted(self.observations.get(name, []), key=lambda f: f.created_at)
        return {"name": name, "entityType": fact.meta.get("entityType", ""),
                "observations": [f.meta.get("observation", f.text) for f in seen]}  # fmt: skip

    @staticmethod
    def relation(fact: Any) -> dict[str, Any]:
        meta = fact.meta
        return {"from": meta["from"], "to": meta["to"], "relationType": meta["relationType"]}

    def view(self, names: set[str]) -> dict[str, Any]:
        """Entities in `names` and the relations between them (the reference server's answer)."""
        return {
            "entities": [self.entity(n) for n in sorted(names) if n in self.entities],
            "relations": [self.relation(r) for r in self.relations
                          if r.meta["from"] in names and r.meta["to"] in names],
        }  # fmt: skip


def register(server: MCPServer, session: Callable[[], Any]) -> None:
    def graph(acting: Any) -> _Graph:
        return _Graph(acting.facts(SCOPE))

    def observe(acting: Any, name: str, content: str) -> None:
        acting.remember(f"{name}: {content}", SCOPE, kind="observation",
                        meta={"entity": name, "observation": content})  # fmt: skip

    def tool(annotations: Any) -> Callable[[Any], Any]:
        add = server.tool(annotations=annotations, structured_output=False)
        return lambda func: add(as_tool_errors(func))

    @tool(WRITE)
    def create_entities(entities: list[Entity]) -> Any:
        """Create entities with their observations; existing names are left as they are."""
        acting = session()
        known = graph(acting).entities
        created = []
        for entity in entities:
            if entity.name in known:
                continue
            acting.remember(f"{entity.name} ({entity.entityType})", SCOPE, kind="entity",
                            meta={"entity": entity.name, "entityType": entity.entityType})  # fmt: skip
            for content in entity.observations:
                observe(acting, entity.name, content)
            created.append(entity.model_dump())
        return created

    @tool(WRITE)
    def create_relations(relations: list[Relation]) -> Any:
        """Create relations (FROM RELATION-TYPE TO) between entities; duplicates are skipped."""
        acting = session()
        existing = {(r.meta["from"], r.meta["relationType"], r.meta["to"]) for r in graph(acting).relations}
        created = []
        for rel in relations:
            if (rel.from_, rel.relationType, rel.to) in existing:
                continue
            meta = {"from": rel.from_, "relationType": rel.relationType, "to": rel.to}
            acting.remember(f"{rel.from_} {rel.relationType} {rel.to}", SCOPE, kind="relation", meta=meta)
            created.append(rel.model_dump(by_alias=True))
        return created

    @tool(WRITE)
    def add_observations(observations: list[Observation]) -> Any:
        """Add observations to existing entities; an unknown entity is an error."""
        acting = session()
        current = graph(acting)
        added = []
        for item in observations:
            if item.entityName not in current.entities:
                raise _missing(item.entityName)
            have = set(current.entity(item.entityName)["observations"])
            new = [c for c in item.contents if c not in have]
            for content in new:
                observe(acting, item.entityName, content)
            added.append({"entityName": item.entityName, "addedObservations": new})
        return added

    @tool(DESTROY)
    def delete_entities(entityNames: list[str]) -> Any:
        """Forget entities with their observations and the relations that name them."""
        acting = session()
        current = graph(acting)
        names = set(entityNames)
        doomed = [current.entities[n] for n in names if n in current.entities]
        doomed += [f for n in names for f in current.observations.get(n, [])]
        doomed += [r for r in current.relations if r.meta["from"] in names or r.meta["to"] in names]
        for fact in doomed:
            acting.forget(fact.id)
        return "Entities deleted successfully"

    @tool(DESTROY)
    def delete_observations(deletions: list[Deletion]) -> Any:
        """Forget the given observations of entities."""
        acting = session()
        current = graph(acting)
        for item in deletions:
            for fact in current.observations.get(item.entityName, []):
                if fact.meta.get("observation") in item.observations:
                    acting.forget(fact.id)
        return "Observations deleted successfully"

    @tool(DESTROY)
    def delete_relations(relations: list[Relation]) -> Any:
        """Forget the given relations."""
        acting = session()
        wanted = {(r.from_, r.relationType, r.to) for r in relations}
        for fact in graph(acting).relations:
            if (fact.meta["from"], fact.meta["relationType"], fact.meta["to"]) in wanted:
                acting.forget(fact.id)
        return "Relations deleted successfully"

    @tool(READ)
    def read_graph() -> Any:
        """The whole knowledge graph: every entity, its observations, every relation."""
        current = graph(session())
        return current.view(set(current.entities))

    @tool(READ)
    def search_nodes(query: str) -> Any:
        """Entities whose name, type or observations contain `query` (case-insensitive), with
        the relations between them, as the reference server matches."""
        current = graph(session())
        needle = query.lower()
        names = {
            name for name in current.entities
            if needle in " ".join([name, current.entity(name)["entityType"],
                                   *current.entity(name)["observations"]]).lower()
        }  # fmt: skip
        return current.view(names)

    @tool(READ)
    def open_nodes(names: list[str]) -> Any:
        """The named entities and the relations between them."""
        return graph(session()).view(set(names))


def _missing(name: str) -> Exception:
    from ..errors import NotFound

    return NotFound(f"Entity with name {name} not found")
