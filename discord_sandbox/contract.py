"""Check recorded REST requests against Discord's official OpenAPI description (discord-api-spec).

The spec lives outside the project, at ``../shared/discord-api/openapi.json`` from the repo root; it is
read lazily, adapted once per process (see ``_adapt``) and validators are compiled per operation::

    from discord_sandbox.contract import OpenAPIContract, assert_requests_match_contract

    problems = OpenAPIContract().check("POST", "/api/v10/channels/123/messages", {}, {"content": "hi"})
    assert_requests_match_contract(sandbox)  # every request in sandbox.requests, or AssertionError

``jsonschema`` (a dev dependency) is imported only when a check runs.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

    from .server import Sandbox

REPO_ROOT = Path(__file__).resolve().parents[1]
SPEC_PATH = REPO_ROOT.parent / "shared" / "discord-api" / "openapi.json"
METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
_PREFIX = re.compile(r"^/api(?:/v\d+)?(?=/)")
_URN = "urn:discord-openapi"
_MULTIPART = "multipart/form-data"
_JSON = "application/json"


@dataclass(frozen=True)
class Allowance:
    """A place where the spec is stricter than Discord (documented, and sent by discord.py)."""

    method: str
    template: str
    where: str  # regex over the error location, e.g. r"body\.nonce"
    keyword: str  # the JSON Schema keyword that failed, e.g. "maxLength"
    why: str


# Keep this short and explain every entry: each one is a spec bug we decided to live with.
ALLOWANCES: tuple[Allowance, ...] = ()


def spec_path(repo_root: Path | str | None = None) -> Path:
    """Where the shared spec is expected for a given repo root (default: this checkout)."""
    root = Path(repo_root) if repo_root is not None else REPO_ROOT
    return root.parent / "shared" / "discord-api" / "openapi.json"


def _adapt(node: Any) -> Any:
    """Turn OpenAPI 3.1 leftovers into plain JSON Schema 2020-12 (a new tree; the input is untouched)."""
    if isinstance(node, list):
        return [_adapt(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _adapt(v) for k, v in node.items() if not (k == "nullable" and isinstance(v, bool))}
    if node.get("nullable") is True:  # OpenAPI 3.0 style: add null to the type, or allow null beside it
        t = out.get("type")
        if isinstance(t, str):
            out["type"] = [t, "null"]
        elif isinstance(t, list) and "null" not in t:
            out["type"] = [*t, "null"]
        elif t is None:
            out = {"anyOf": [out, {"type": "null"}]}
    branches = out.get("oneOf")
    if isinstance(branches, list) and {"type": "null"} in branches:
        # "null or X" is OpenAPI's spelling of a nullable X; when X itself admits null (a nullable
        # object, an optional snowflake) both branches match null and oneOf wrongly rejects it.
        out["anyOf"] = out.pop("oneOf")
    return out


def _snowflake(schema: dict[str, Any]) -> dict[str, Any]:
    """Snowflakes as Discord accepts them: a decimal string, or (as discord.py often sends) an integer."""
    return {"anyOf": [schema, {"type": "integer", "minimum": 0, "maximum": 2**64 - 1}]}


@dataclass
class _Operation:
    method: str
    template: str
    operation_id: str
    parameters: dict[str, tuple[str, dict[str, Any], bool]]  # name -> (in, schema, required)
    bodies: dict[str, dict[str, Any]]  # content type -> schema
    body_required: bool


@dataclass
class _Template:
    template: str
    pattern: re.Pattern[str]
    literals: int
    operations: dict[str, _Operation] = field(default_factory=dict)


class _Spec:
    """The adapted spec, its path templates, and compiled validators (built on first use)."""

    def __init__(self, path: Path) -> None:
        from jsonschema import Draft202012Validator
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        raw = json.loads(path.read_text())
        schemas = _adapt(raw.get("components", {}).get("schemas", {}))
        if "SnowflakeType" in schemas:
            schemas["SnowflakeType"] = _snowflake(schemas["SnowflakeType"])
        self.templates: list[_Template] = []
        ops: dict[str, Any] = {}
        for template, item in raw.get("paths", {}).items():
            segments = template.strip("/").split("/")
            regex = "".join(
                f"/(?P<{seg[1:-1]}>[^/]+)" if seg.startswith("{") else "/" + re.escape(seg)
                for seg in segments
            )
            literals = sum(not seg.startswith("{") for seg in segments)
            entry = _Template(template, re.compile("^" + regex + "$"), literals)
            shared = item.get("parameters", [])
            for method in METHODS:
                op = item.get(method)
                if op is None:
                    continue
                op_id = re.sub(r"[^\w-]", "_", op.get("operationId") or f"{method}_{template}")
                params: dict[str, tuple[str, dict[str, Any], bool]] = {}
                for p in [*shared, *op.get("parameters", [])]:
                    schema = _adapt(p.get("schema", {}))
                    params[p["name"]] = (p["in"], schema, bool(p.get("required")))
                    ops[f"{op_id}.param.{p['name']}"] = schema
                bodies = {}
                rb = op.get("requestBody") or {}
                for ctype, media in (rb.get("content") or {}).items():
                    if "schema" in media:
                        bodies[ctype] = _adapt(media["schema"])
                        ops[f"{op_id}.body.{ctype.replace('/', '_')}"] = bodies[ctype]
                entry.operations[method.upper()] = _Operation(
                    method.upper(), template, op_id, params, bodies, bool(rb.get("required"))
                )
            self.templates.append(entry)
        doc = {"components": {"schemas": schemas}, "x-ops": ops}
        resource = Resource.from_contents(doc, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(_URN, resource)
        self._validator_cls = Draft202012Validator
        self._validators: dict[str, Validator] = {}

    def validator(self, key: str) -> Validator:
        """The compiled validator for an entry of x-ops (cached)."""
        v = self._validators.get(key)
        if v is None:
            v = self._validator_cls({"$ref": f"{_URN}#/x-ops/{key}"}, registry=self.registry)
            self._validators[key] = v
        return v

    def resolve(self, path: str) -> tuple[_Template | None, dict[str, str]]:
        """The most specific template matching a concrete path, with its path parameters by name."""
        best: tuple[_Template, re.Match[str]] | None = None
        for t in self.templates:
            m = t.pattern.match(path)
            if m and (best is None or t.literals > best[0].literals):
                best = (t, m)
        if best is None:
            return None, {}
        return best[0], best[1].groupdict()


@functools.cache
def _load(path: Path) -> _Spec:
    return _Spec(path)


def _candidates(value: str) -> list[Any]:
    """A query or path string as the typed values it may stand for."""
    out: list[Any] = [value]
    if re.fullmatch(r"-?\d+", value):
        out.append(int(value))
    elif re.fullmatch(r"-?\d+\.\d*", value):
        out.append(float(value))
    low = value.lower()
    if low in ("true", "1"):
        out.append(True)
    if low in ("false", "0"):
        out.append(False)
    return out


def _where(prefix: str, parts: Iterable[Any]) -> str:
    out = prefix
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def _message(err: Any) -> str:
    """A validation error's message without echoing a long instance."""
    if err.validator in ("maxLength", "minLength") and isinstance(err.instance, str):
        return f"length {len(err.instance)} breaks {err.validator} {err.validator_value}"
    if err.validator in ("maxItems", "minItems") and isinstance(err.instance, list):
        return f"{len(err.instance)} items break {err.validator} {err.validator_value}"
    return _short(err.message)


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class OpenAPIContract:
    """Discord's OpenAPI description as a request checker; the spec is loaded once per process."""

    def __init__(self, path: Path | str | None = None, allowances: Iterable[Allowance] = ALLOWANCES) -> None:
        self.path = Path(path) if path is not None else SPEC_PATH
        self.allowances = tuple(allowances)

    @property
    def available(self) -> bool:
        """Whether the spec file exists."""
        return self.path.is_file()

    @property
    def spec(self) -> _Spec:
        """The loaded, adapted spec (shared by all contracts on the same file)."""
        return _load(self.path.resolve())

    def template_for(self, method: str, path: str) -> str | None:
        """The spec's path template for a concrete path, if any."""
        template, _ = self.spec.resolve(_PREFIX.sub("", path.split("?")[0]))
        return template.template if template else None

    def check(
        self,
        method: str,
        path: str,
        query: Mapping[str, str] | None = None,
        body: Any = None,
        *,
        multipart: bool = False,
    ) -> list[str]:
        """Problems with one request (empty if it matches the spec)."""
        spec = self.spec
        method = method.upper()
        concrete = _PREFIX.sub("", path.split("?")[0])
        template, path_params = spec.resolve(concrete)
        if template is None:
            return [f"{method} {concrete}: no such path in the spec"]
        op = template.operations.get(method)
        label = f"{method} {template.template}"
        if op is None:
            allowed = ", ".join(sorted(template.operations))
            return [f"{label}: method not in the spec (it has {allowed})"]
        problems: list[str] = []
        for name, value in path_params.items():
            if name in op.parameters and not self._accepts(op, name, value):
                problems.append(f"{label}: path parameter {name}={value!r} does not match its schema")
        query = dict(query or {})
        for name, value in query.items():
            where, _, _ = op.parameters.get(name, ("", None, False))
            if where != "query":
                problems.append(f"{label}: unknown query parameter {name!r}")
            elif not self._accepts(op, name, value):
                problems.append(f"{label}: query parameter {name}={value!r} does not match its schema")
        for name, (where, _, required) in op.parameters.items():
            if where == "query" and required and name not in query:
                problems.append(f"{label}: missing required query parameter {name!r}")
        problems += self._check_body(op, label, body, multipart)
        return problems

    def _accepts(self, op: _Operation, name: str, value: str) -> bool:
        v = self.spec.validator(f"{op.operation_id}.param.{name}")
        return any(v.is_valid(c) for c in _candidates(value))

    def _check_body(self, op: _Operation, label: str, body: Any, multipart: bool) -> list[str]:
        from jsonschema.exceptions import best_match

        if body is None:
            if op.body_required and not multipart:
                return [f"{label}: the spec requires a request body; none was sent"]
            return []
        if not op.bodies:
            if body in ({}, [], ""):
                return []
            return [f"{label}: sends a body, but the operation takes none"]
        if isinstance(body, str):
            return [f"{label}: body is not JSON: {_short(body, 80)!r}"]
        # payload_json of a multipart request is the JSON body; use the JSON schema where there is one
        order = [_JSON, _MULTIPART] if multipart else [_JSON]
        ctype = next((c for c in order if c in op.bodies), None)
        if ctype is None:
            kinds = ", ".join(sorted(op.bodies))
            return [f"{label}: sent as {_MULTIPART if multipart else _JSON}, the spec takes {kinds}"]
        validator = self.spec.validator(f"{op.operation_id}.body.{ctype.replace('/', '_')}")
        problems = []
        for err in validator.iter_errors(body):
            best = best_match([err])
            where = _where("body", best.absolute_path)
            if self._allowed(op, where, best.validator):
                continue
            problems.append(f"{label}: {where}: {_message(best)} [{best.validator}]")
        return problems

    def _allowed(self, op: _Operation, where: str, keyword: Any) -> bool:
        return any(
            a.method == op.method
            and a.template == op.template
            and a.keyword == keyword
            and re.fullmatch(a.where, where)
            for a in self.allowances
        )

    def check_requests(self, requests: Iterable[Any]) -> list[str]:
        """Problems with recorded requests (objects with method, path, query, json, multipart)."""
        problems: list[str] = []
        for i, rec in enumerate(requests):
            found = self.check(
                rec.method, rec.path, rec.query, rec.json, multipart=getattr(rec, "multipart", False)
            )
            problems += [f"#{i} {p}" for p in found]
        return problems


def assert_requests_match_contract(sandbox: Sandbox, contract: OpenAPIContract | None = None) -> None:
    """Fail listing every request in `sandbox.requests` that breaks the spec (no-op if it is absent)."""
    contract = contract or OpenAPIContract()
    if not contract.available:
        return
    problems = contract.check_requests(sandbox.requests)
    if problems:
        raise AssertionError(
            f"{len(problems)} request(s) break Discord's OpenAPI contract:\n"
            + "\n".join(f"  {p}" for p in problems)
        )
