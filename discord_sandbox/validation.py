"""Discord's documented limits, checked the way Discord answers them (400 code 50035 with an errors tree)."""

from __future__ import annotations

import re
from typing import Any

from .errors import ApiError, FormErrors

COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")


def validate_message(body: dict[str, Any], *, has_files: bool = False, edit: bool = False) -> None:
    """Validate content, embeds and components of a message create/edit body."""
    errs = FormErrors()
    content = body.get("content")
    errs.max_len(("content",), content, 2000)
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        errs.add(("embeds",), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for i, e in enumerate(embeds[:10]):
        total += _validate_embed(errs, ("embeds", i), e)
    if total > 6000:
        errs.add(("embeds",), "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
    validate_components(errs, body.get("components") or [], bool(int(body.get("flags") or 0) & (1 << 15)))
    errs.raise_if_any()
    if not edit and not content and not embeds and not body.get("components") and not has_files:
        if not body.get("sticker_ids") and not body.get("poll"):
            raise ApiError(400, 50006, "Cannot send an empty message")


def _validate_embed(errs: FormErrors, path: tuple[str | int, ...], e: dict[str, Any]) -> int:
    size = 0
    for key, limit in (("title", 256), ("description", 4096)):
        errs.max_len((*path, key), e.get(key), limit)
        size += len(e.get(key) or "")
    fields = e.get("fields") or []
    if len(fields) > 25:
        errs.add((*path, "fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for j, f in enumerate(fields):
        errs.max_len((*path, "fields", j, "name"), f.get("name"), 256)
        errs.max_len((*path, "fields", j, "value"), f.get("value"), 1024)
        for key in ("name", "value"):
            if not f.get(key):
                errs.add((*path, "fields", j, key), "BASE_TYPE_REQUIRED", "This field is required")
        size += len(f.get("name") or "") + len(f.get("value") or "")
    footer = (e.get("footer") or {}).get("text")
    errs.max_len((*path, "footer", "text"), footer, 2048)
    author = (e.get("author") or {}).get("name")
    errs.max_len((*path, "author", "name"), author, 256)
    return size + len(footer or "") + len(author or "")


def _custom_id(
    errs: FormErrors, path: tuple[str | int, ...], c: dict[str, Any], required: bool = True
) -> None:
    cid = c.get("custom_id")
    if cid is None:
        if required:
            errs.add((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
        return
    if not 1 <= len(cid) <= 100:
        errs.add((*path, "custom_id"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")


def _validate_leaf(errs: FormErrors, path: tuple[str | int, ...], c: dict[str, Any]) -> None:
    t = c.get("type")
    if t == 2:
        errs.max_len((*path, "label"), c.get("label"), 80)
        _custom_id(errs, path, c, required=c.get("style") not in (5, 6))
    elif t in (3, 5, 6, 7, 8):
        _custom_id(errs, path, c)
        errs.max_len((*path, "placeholder"), c.get("placeholder"), 150)
        opts = c.get("options") or []
        if len(opts) > 25:
            errs.add((*path, "options"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for k, o in enumerate(opts):
            for key in ("label", "value", "description"):
                errs.max_len((*path, "options", k, key), o.get(key), 100)
    elif t == 4:
        _custom_id(errs, path, c)
        errs.max_len((*path, "label"), c.get("label"), 45)
        errs.max_len((*path, "placeholder"), c.get("placeholder"), 100)
        errs.max_len((*path, "value"), c.get("value"), 4000)


def validate_components(errs: FormErrors, components: list[dict[str, Any]], v2: bool = False) -> None:
    """Check classic action rows (5 rows, 5 buttons or 1 select each) and leaf limits."""
    if not v2 and len(components) > 5:
        errs.add(("components",), "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    for i, row in enumerate(components):
        path = ("components", i)
        if row.get("type") == 1:
            kids = row.get("components") or []
            if len(kids) > 5:
                errs.add((*path, "components"), "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
            if any(k.get("type") != 2 for k in kids) and len(kids) > 1:
                errs.add(
                    (*path, "components"),
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    "The specified component exceeds the maximum width",
                )
            for j, k in enumerate(kids):
                _validate_leaf(errs, (*path, "components", j), k)
        elif v2:
            _validate_leaf(errs, path, row)
        else:
            errs.add((*path, "type"), "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1,).')


def validate_modal(data: dict[str, Any]) -> None:
    """Check a modal (callback type 9): title 45, custom_id, 1-5 components, text input limits."""
    errs = FormErrors()
    title = data.get("title") or ""
    if not 1 <= len(title) <= 45:
        errs.add(("data", "title"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length.")
    _custom_id(errs, ("data",), data)
    comps = data.get("components") or []
    if not 1 <= len(comps) <= 5:
        errs.add(("data", "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
    for i, c in enumerate(comps):
        path = ("data", "components", i)
        inner = c.get("components") or ([c["component"]] if isinstance(c.get("component"), dict) else [])
        for j, k in enumerate(inner):
            _validate_leaf(errs, (*path, "components", j), k)
    errs.raise_if_any()


def validate_commands(commands: list[dict[str, Any]], *, is_global: bool) -> None:
    """Check a bulk overwrite: names, descriptions, option and choice counts, 100 global commands."""
    errs = FormErrors()
    chat = [c for c in commands if c.get("type", 1) == 1]
    if is_global and len(chat) > 100:
        errs.add((), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
    seen: set[tuple[int, str]] = set()
    for i, c in enumerate(commands):
        key = (c.get("type", 1), c.get("name", ""))
        if key in seen:
            errs.add(
                (i, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique"
            )
        seen.add(key)
        _validate_command_node(errs, (i,), c, top=True, chat=c.get("type", 1) == 1)
    errs.raise_if_any()


def _validate_command_node(
    errs: FormErrors, path: tuple[str | int, ...], c: dict[str, Any], *, top: bool, chat: bool
) -> None:
    name = c.get("name") or ""
    if chat and (not COMMAND_NAME.match(name) or name != name.lower()):
        errs.add((*path, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    if not chat and not 1 <= len(name) <= 32:
        errs.add((*path, "name"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
    desc = c.get("description") or ""
    if chat and not 1 <= len(desc) <= 100:
        errs.add((*path, "description"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    options = c.get("options") or []
    if len(options) > 25:
        errs.add((*path, "options"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for j, o in enumerate(options):
        choices = o.get("choices") or []
        if len(choices) > 25:
            errs.add(
                (*path, "options", j, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
            )
        _validate_command_node(errs, (*path, "options", j), o, top=False, chat=True)
