"""Slack's Block Kit limits, checked as Slack checks them: each problem as `[ERROR] ... [json-pointer:...]`.

Messages answer `invalid_blocks` with these lines in `response_metadata.messages`; views answer
`invalid_arguments` the same way. Numbers are from Slack's Block Kit reference.
"""

from __future__ import annotations

from typing import Any

MESSAGE_BLOCKS = 50
MODAL_BLOCKS = 100
MESSAGE_TEXT = 40_000  # longer `text` is cut here (chat.postMessage) or refused (`msg_too_long`)
SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
HEADER_TEXT = 150
BUTTON_TEXT = 75
ACTION_ID = 255
BLOCK_ID = 255
BUTTON_VALUE = 2000
URL = 3000
PLACEHOLDER = 150
OPTIONS = 100
OPTION_TEXT = 75
OPTION_VALUE = 150
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
INPUT_LABEL = 2000
INPUT_HINT = 2000
TEXT_INPUT_LENGTH = 3000
MARKDOWN_BLOCK_TEXT = 12_000
VIEW_TITLE = 24  # title, submit and close
PRIVATE_METADATA = 3000
CALLBACK_ID = 255

INPUT_ELEMENTS = {
    "plain_text_input",
    "number_input",
    "email_text_input",
    "url_text_input",
    "rich_text_input",
    "static_select",
    "multi_static_select",
    "external_select",
    "multi_external_select",
    "users_select",
    "multi_users_select",
    "conversations_select",
    "multi_conversations_select",
    "channels_select",
    "multi_channels_select",
    "checkboxes",
    "radio_buttons",
    "datepicker",
    "timepicker",
    "datetimepicker",
    "file_input",
}
ACTION_ELEMENTS = (
    INPUT_ELEMENTS - {"plain_text_input", "number_input", "email_text_input", "url_text_input"}
) | {
    "button",
    "overflow",
    "workflow_button",
}
SECTION_ACCESSORIES = ACTION_ELEMENTS | {"image"}
_OPTION_LIMITS = {"overflow": 5, "checkboxes": 10, "radio_buttons": 10}


class _Check:
    """Walks a structure and collects Slack-worded problems."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def bad(self, where: str, what: str) -> None:
        self.problems.append(f"[ERROR] {what} [json-pointer:{where}]")

    def length(self, value: Any, where: str, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.bad(where, f"must be less than {limit + 1} characters")

    def text(
        self, obj: Any, where: str, limit: int, *, plain_only: bool = False, required: bool = True
    ) -> None:
        if obj is None:
            if required:
                self.bad(where, "must provide an object")
            return
        if not isinstance(obj, dict):
            self.bad(where, "must provide an object")
            return
        kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if obj.get("type") not in kinds:
            self.bad(f"{where}/type", "must be a valid enum value")
        text = obj.get("text")
        if not isinstance(text, str):
            self.bad(f"{where}/text", "must provide a string")
        elif not text:
            self.bad(f"{where}/text", "must be more than 0 characters")
        else:
            self.length(text, f"{where}/text", limit)

    def option(self, opt: Any, where: str, *, plain_only: bool) -> None:
        if not isinstance(opt, dict):
            self.bad(where, "must provide an object")
            return
        self.text(opt.get("text"), f"{where}/text", OPTION_TEXT, plain_only=plain_only)
        if not isinstance(opt.get("value"), str):
            self.bad(f"{where}/value", "must provide a string")
        self.length(opt.get("value"), f"{where}/value", OPTION_VALUE)
        if "description" in opt:
            self.text(opt["description"], f"{where}/description", OPTION_TEXT, plain_only=plain_only)

    def element(self, el: Any, where: str, allowed: set[str]) -> str | None:
        """Check one element; return its action_id."""
        if not isinstance(el, dict) or el.get("type") not in allowed:
            self.bad(where, "failed to match all allowed schemas")
            return None
        kind = el["type"]
        if kind == "image":
            self.length(el.get("image_url"), f"{where}/image_url", URL)
            self.length(el.get("alt_text"), f"{where}/alt_text", 2000)
            return None
        action_id = el.get("action_id")
        self.length(action_id, f"{where}/action_id", ACTION_ID)
        if kind == "button":
            self.text(el.get("text"), f"{where}/text", BUTTON_TEXT, plain_only=True)
            self.length(el.get("value"), f"{where}/value", BUTTON_VALUE)
            self.length(el.get("url"), f"{where}/url", URL)
            if "style" in el and el["style"] not in ("primary", "danger"):
                self.bad(f"{where}/style", "must be a valid enum value")
        if "placeholder" in el:
            self.text(el["placeholder"], f"{where}/placeholder", PLACEHOLDER, plain_only=True)
        if kind == "plain_text_input":
            for key in ("min_length", "max_length"):
                n = el.get(key)
                if n is not None and (not isinstance(n, int) or not 0 <= n <= TEXT_INPUT_LENGTH):
                    self.bad(f"{where}/{key}", f"must be between 0 and {TEXT_INPUT_LENGTH}")
        if "options" in el or kind in (
            "static_select",
            "multi_static_select",
            "overflow",
            "checkboxes",
            "radio_buttons",
        ):
            options = el.get("options")
            if options is None and "option_groups" in el:
                options = [o for g in el["option_groups"] or [] for o in (g.get("options") or [])]
            if not isinstance(options, list) or not options:
                self.bad(f"{where}/options", "must provide an array with at least 1 item")
            else:
                limit = _OPTION_LIMITS.get(kind, OPTIONS)
                if len(options) > limit:
                    self.bad(f"{where}/options", f"no more than {limit} items allowed")
                plain_only = kind not in ("checkboxes", "radio_buttons")
                for i, opt in enumerate(options):
                    self.option(opt, f"{where}/options/{i}", plain_only=plain_only)
        return action_id if isinstance(action_id, str) else None

    def block(self, block: Any, where: str, surface: str) -> None:
        if not isinstance(block, dict):
            self.bad(where, "must provide an object")
            return
        kind = block.get("type")
        self.length(block.get("block_id"), f"{where}/block_id", BLOCK_ID)
        action_ids: list[str | None] = []
        if kind == "section":
            if "text" not in block and "fields" not in block:
                self.bad(where, "must provide either text or fields")
            if "text" in block:
                self.text(block["text"], f"{where}/text", SECTION_TEXT)
            fields = block.get("fields")
            if fields is not None:
                if not isinstance(fields, list):
                    self.bad(f"{where}/fields", "must provide an array")
                else:
                    if len(fields) > SECTION_FIELDS:
                        self.bad(f"{where}/fields", f"no more than {SECTION_FIELDS} items allowed")
                    for i, f in enumerate(fields):
                        self.text(f, f"{where}/fields/{i}", FIELD_TEXT)
            if "accessory" in block:
                action_ids.append(self.element(block["accessory"], f"{where}/accessory", SECTION_ACCESSORIES))
        elif kind == "header":
            self.text(block.get("text"), f"{where}/text", HEADER_TEXT, plain_only=True)
        elif kind == "divider":
            pass
        elif kind == "context":
            self._list(block.get("elements"), f"{where}/elements", CONTEXT_ELEMENTS)
            for i, el in enumerate(block.get("elements") or []):
                if isinstance(el, dict) and el.get("type") == "image":
                    self.element(el, f"{where}/elements/{i}", {"image"})
                else:
                    self.text(el, f"{where}/elements/{i}", SECTION_TEXT)
        elif kind == "actions":
            self._list(block.get("elements"), f"{where}/elements", ACTIONS_ELEMENTS)
            for i, el in enumerate(block.get("elements") or []):
                action_ids.append(self.element(el, f"{where}/elements/{i}", ACTION_ELEMENTS))
        elif kind == "input":
            self.text(block.get("label"), f"{where}/label", INPUT_LABEL, plain_only=True)
            if "hint" in block:
                self.text(block["hint"], f"{where}/hint", INPUT_HINT, plain_only=True)
            if "element" not in block:
                self.bad(f"{where}/element", "must provide an object")
            else:
                action_ids.append(self.element(block["element"], f"{where}/element", INPUT_ELEMENTS))
        elif kind == "image":
            self.length(block.get("image_url"), f"{where}/image_url", URL)
            self.length(block.get("alt_text"), f"{where}/alt_text", 2000)
            if "title" in block:
                self.text(block["title"], f"{where}/title", 2000, plain_only=True)
        elif kind == "markdown" and surface == "message":
            self.length(block.get("text"), f"{where}/text", MARKDOWN_BLOCK_TEXT)
        elif kind in ("rich_text", "file", "video"):
            pass
        else:
            self.bad(where, "failed to match all allowed schemas")
        named = [a for a in action_ids if a]
        if len(named) != len(set(named)):
            self.bad(where, "action_id values must be unique within a block")

    def _list(self, items: Any, where: str, limit: int) -> None:
        if not isinstance(items, list) or not items:
            self.bad(where, "must provide an array with at least 1 item")
        elif len(items) > limit:
            self.bad(where, f"no more than {limit} items allowed")

    def blocks(self, blocks: Any, where: str, limit: int, surface: str) -> None:
        if not isinstance(blocks, list):
            self.bad(where, "must provide an array")
            return
        if len(blocks) > limit:
            self.bad(where, f"no more than {limit} items allowed")
        seen: set[str] = set()
        for i, block in enumerate(blocks):
            self.block(block, f"{where}/{i}", surface)
            block_id = block.get("block_id") if isinstance(block, dict) else None
            if isinstance(block_id, str):
                if block_id in seen:
                    self.bad(f"{where}/{i}/block_id", "duplicate block_id")
                seen.add(block_id)


def message_block_problems(blocks: Any) -> list[str]:
    """Problems with a message's `blocks` (empty when Slack would accept them)."""
    check = _Check()
    check.blocks(blocks, "/blocks", MESSAGE_BLOCKS, "message")
    return check.problems


def view_problems(view: Any) -> list[str]:
    """Problems with a modal view (empty when Slack would accept it)."""
    check = _Check()
    if not isinstance(view, dict):
        check.bad("/view", "must provide an object")
        return check.problems
    if view.get("type") != "modal":
        check.bad("/view/type", "must be a valid enum value")
    check.text(view.get("title"), "/view/title", VIEW_TITLE, plain_only=True)
    for key in ("submit", "close"):
        if key in view:
            check.text(view[key], f"/view/{key}", VIEW_TITLE, plain_only=True)
    check.blocks(view.get("blocks"), "/view/blocks", MODAL_BLOCKS, "modal")
    check.length(view.get("private_metadata"), "/view/private_metadata", PRIVATE_METADATA)
    check.length(view.get("callback_id"), "/view/callback_id", CALLBACK_ID)
    check.length(view.get("external_id"), "/view/external_id", CALLBACK_ID)
    raw = view.get("blocks")
    blocks: list[Any] = raw if isinstance(raw, list) else []
    has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
    if has_input and "submit" not in view:
        check.bad("/view", "must provide a submit property when using input blocks")
    return check.problems
