"""The official Python `mcp` client, opened over stdio (a command, direct or behind
`mcpwall wrap`) or streamable HTTP, plus the scripted sessions the differential tests replay.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any, AsyncIterator

import mcp_types as types
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from harness import skip_if_unimplemented

MODES = ["auto", "legacy"]


@contextlib.asynccontextmanager
async def stdio_session(
    argv: list[str],
    mode: str,
    env: dict[str, str] | None = None,
    errlog: Path | None = None,
    what: str = "mcpwall wrap",
    **client_kwargs: Any,
) -> AsyncIterator[Client]:
    """A connected client over stdio. If the handshake fails and the process said the feature
    is not implemented, the test skips with that message."""
    errlog = errlog or Path("/dev/null")
    with open(errlog, "w") as err:
        params = StdioServerParameters(command=argv[0], args=argv[1:], env=env)
        client = Client(stdio_client(params, errlog=err), mode=mode, read_timeout_seconds=30, **client_kwargs)
        try:
            await client.__aenter__()
        except BaseException:
            if errlog != Path("/dev/null"):
                err.flush()
                skip_if_unimplemented(errlog.read_text(errors="replace"), what)
            raise
        try:
            yield client
        finally:
            await client.__aexit__(None, None, None)


@contextlib.asynccontextmanager
async def http_session(url: str, mode: str, **client_kwargs: Any) -> AsyncIterator[Client]:
    client = Client(url, mode=mode, read_timeout_seconds=30, **client_kwargs)
    await client.__aenter__()
    try:
        yield client
    finally:
        await client.__aexit__(None, None, None)


def dump(model: Any) -> Any:
    """A JSON-able form of a result, volatile fields normalized."""
    if hasattr(model, "model_dump"):
        model = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return _normalize(model)


_TIMESTAMPY = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?"  # ISO 8601
    r"|\b\d{1,2}:\d{2}:\d{2}(\s?[AP]M)?"  # wall-clock times such as `5:23:54 PM`
)


def _normalize(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _normalize(x) for k, x in v.items() if k not in ("_meta", "meta")}
    if isinstance(v, list):
        return [_normalize(x) for x in v]
    if isinstance(v, str):
        return _TIMESTAMPY.sub("<TIME>", v)
    return v


async def tool_result(client: Client, name: str, args: dict[str, Any] | None = None) -> Any:
    """A call's outcome, whether the server answered with a result or a JSON-RPC error."""
    try:
        return dump(await client.call_tool(name, args or {}))
    except Exception as e:  # a JSON-RPC error is a result for comparison purposes
        return {"error": type(e).__name__, "message": str(e)}


async def script_everything(c: Client) -> dict[str, Any]:
    out: dict[str, Any] = {}
    tools = await c.list_tools()
    out["tools"] = sorted((dump(t) for t in tools.tools), key=lambda t: t["name"])
    out["echo"] = await tool_result(c, "echo", {"message": "differential ✓ test"})
    out["get-sum"] = await tool_result(c, "get-sum", {"a": 2, "b": 40})
    out["structured"] = await tool_result(c, "get-structured-content", {"location": "Chicago"})
    out["tiny-image"] = await tool_result(c, "get-tiny-image")
    out["annotated"] = await tool_result(c, "get-annotated-message", {"messageType": "success", "includeImage": True})
    out["resource-links"] = await tool_result(c, "get-resource-links", {"count": 2})
    out["resource-ref"] = await tool_result(c, "get-resource-reference", {"resourceType": "Text", "resourceId": 2})
    out["unknown-tool"] = await tool_result(c, "no-such-tool", {})
    out["bad-args"] = await tool_result(c, "get-sum", {"a": "not a number"})
    prompts = await c.list_prompts()
    out["prompts"] = dump(prompts)
    out["simple-prompt"] = dump(await c.get_prompt("simple-prompt"))
    out["args-prompt"] = dump(await c.get_prompt("args-prompt", {"city": "Lyon", "state": "ARA"}))
    resources = await c.list_resources()
    out["resources"] = dump(resources)
    out["templates"] = dump(await c.list_resource_templates())
    out["read"] = [dump(await c.read_resource(r.uri)) for r in resources.resources[:3]]
    out["read-dynamic"] = dump(await c.read_resource("demo://resource/dynamic/text/1"))
    return out


async def script_filesystem(c: Client, root: Path) -> dict[str, Any]:
    def norm(v: Any) -> Any:
        return _replace(v, str(root), "<ROOT>")

    out: dict[str, Any] = {}
    tools = await c.list_tools()
    out["tools"] = sorted((dump(t) for t in tools.tools), key=lambda t: t["name"])
    out["allowed"] = await tool_result(c, "list_allowed_directories")
    out["write"] = await tool_result(c, "write_file", {"path": str(root / "a.txt"), "content": "hello\nworld\n"})
    out["read"] = await tool_result(c, "read_text_file", {"path": str(root / "a.txt")})
    out["mkdir"] = await tool_result(c, "create_directory", {"path": str(root / "sub")})
    out["list"] = await tool_result(c, "list_directory", {"path": str(root)})
    out["outside"] = await tool_result(c, "read_text_file", {"path": "/etc/hostname"})
    return norm(out)


async def script_time(c: Client) -> dict[str, Any]:
    out: dict[str, Any] = {}
    tools = await c.list_tools()
    out["tools"] = sorted((dump(t) for t in tools.tools), key=lambda t: t["name"])
    out["convert"] = await tool_result(
        c, "convert_time", {"source_timezone": "Europe/Paris", "time": "14:30", "target_timezone": "Asia/Tokyo"}
    )
    out["bad-tz"] = await tool_result(c, "get_current_time", {"timezone": "Not/AZone"})
    return out


async def script_fetch(c: Client, url: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    tools = await c.list_tools()
    out["tools"] = sorted((dump(t) for t in tools.tools), key=lambda t: t["name"])
    out["prompts"] = dump(await c.list_prompts())
    if url:
        out["fetch"] = await tool_result(c, "fetch", {"url": url, "max_length": 500})
    return out


def _replace(v: Any, old: str, new: str) -> Any:
    if isinstance(v, dict):
        return {k: _replace(x, old, new) for k, x in v.items()}
    if isinstance(v, list):
        return [_replace(x, old, new) for x in v]
    if isinstance(v, str):
        return v.replace(old, new)
    return v


def is_refusal(outcome: Any) -> bool:
    """A tool call outcome that is a JSON-RPC error or an isError result."""
    if isinstance(outcome, dict):
        return "error" in outcome or outcome.get("isError") is True
    return False


def outcome_text(outcome: Any) -> str:
    if isinstance(outcome, dict) and "message" in outcome:
        return str(outcome["message"])
    if isinstance(outcome, dict):
        return " ".join(str(c.get("text", "")) for c in outcome.get("content", []))
    return str(outcome)


async def sampling_cb(_ctx: Any, params: types.CreateMessageRequestParams) -> types.CreateMessageResult:
    return types.CreateMessageResult(
        role="assistant",
        content=types.TextContent(type="text", text="sampled-by-e2e"),
        model="e2e-model",
        stop_reason="endTurn",
    )


async def elicitation_cb(_ctx: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
    return types.ElicitResult(action="accept", content={"name": "E2E Tester"})


async def roots_cb(_ctx: Any) -> types.ListRootsResult:
    return types.ListRootsResult(roots=[types.Root(uri="file:///e2e-root", name="e2e")])
