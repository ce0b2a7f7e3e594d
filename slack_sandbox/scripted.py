"""Scripted members: they type commands, press buttons, fill in modals, and read what they were shown.

Each action goes to the app as Socket Mode would carry it and returns an `Outcome` once the app has
acknowledged it and (unless `expect_reply=False`) shown the member something: the acknowledgement's
reply, a response_url post, an ephemeral message, a DM, a modal, or a change to the message pressed.
Waiting is on the sandbox's events, with a deadline, never a fixed sleep.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import elements
from .interactions import action_payload, closed_payload, command_payload, submission_payload
from .modals import View
from .reader import Shown, shown
from .socket_mode import Envelope, EnvelopeType
from .workspace import Channel, Kind, Message, Sight, SightKind, User

if TYPE_CHECKING:
    from .sandbox import SlackSandbox

_MODAL_SIGHTS = (SightKind.MODAL_OPENED, SightKind.MODAL_PUSHED, SightKind.MODAL_UPDATED)


class CommandError(LookupError):
    """A scripted action Slack's client would not let the member take (unknown command, no access)."""


@dataclass
class Outcome:
    """What a member saw after one action, read live from the workspace (so later changes show too)."""

    member: ScriptedUser
    label: str
    start: int  # the workspace's sight count when the action began
    envelope: Envelope
    source: Message | None = None  # the message pressed, if any

    @property
    def sights(self) -> list[Sight]:
        """Every visible change for this member since the action."""
        ws = self.member.sandbox.workspace
        return [s for s in ws.sights[self.start :] if self.member.id in s.audience]

    @property
    def replies(self) -> list[Shown]:
        """Messages meant for this member since the action: ephemerals, replies, DMs (latest version)."""
        ws = self.member.sandbox.workspace
        out: dict[int, Message] = {}
        for s in self.sights:
            m = s.message
            if m is None or m.deleted or m.user == self.member.id:
                continue
            channel = ws.channels.get(m.channel)
            direct = channel is not None and channel.kind is Kind.IM
            if (
                s.kind is SightKind.EPHEMERAL
                or m.reply_to == self.member.id
                or (direct and s.kind is SightKind.POSTED)
            ):
                out.setdefault(id(m), m)
        return [shown(ws, m) for m in out.values()]

    @property
    def text(self) -> str:
        """The replies' text, one after another."""
        return "\n".join(r.text for r in self.replies)

    @property
    def ack(self) -> dict[str, Any] | None:
        """The acknowledgement's payload (None when empty or not taken)."""
        return self.envelope.ack

    @property
    def late(self) -> bool:
        """Acknowledged after Slack's 3 s (the member would have seen an error)."""
        return self.envelope.late

    @property
    def modal(self) -> View | None:
        """The modal this action opened or changed, if it is still open."""
        modals = self.member.sandbox.modals
        for s in reversed(self.sights):
            if s.kind in _MODAL_SIGHTS and s.view_id is not None:
                view = modals.views.get(s.view_id)
                return view if view is not None and view.open else None
        return None

    @property
    def source_changed(self) -> bool:
        """The message pressed was edited or deleted since."""
        return self.source is not None and any(
            s.message is self.source and s.kind in (SightKind.EDITED, SightKind.DELETED) for s in self.sights
        )

    @property
    def responded(self) -> bool:
        """The member was shown something because of the action."""
        return bool(self.replies) or self.modal is not None or self.source_changed

    async def wait(self, predicate: Callable[[Outcome], Any] | None = None, timeout: float = 5.0) -> Outcome:  # noqa: ASYNC109
        """Wait until `predicate(self)` holds (default: the member was shown something)."""
        check = predicate or (lambda o: o.responded)
        await self.member.sandbox.wait_for(
            lambda: check(self), timeout, f"{self.label}: {self.member.name} to see it"
        )
        return self


@dataclass
class Submission(Outcome):
    """A modal submission: the errors shown in it, or whether it closed."""

    view: View | None = None

    @property
    def errors(self) -> dict[str, str]:
        """The errors the app asked the modal to show ({block_id: message}); empty if none."""
        return dict(self.view.errors) if self.view is not None and self.view.open else {}

    @property
    def closed(self) -> bool:
        """The submitted view is no longer showing."""
        return self.view is None or not self.view.open

    @property
    def showing(self) -> View | None:
        """The view the member looks at now (None when every modal closed)."""
        return self.member.sandbox.modals.top(self.member.id)


class ScriptedUser:
    """A workspace member a test drives."""

    def __init__(self, sandbox: SlackSandbox, user: User) -> None:
        self.sandbox = sandbox
        self.user = user

    @property
    def id(self) -> str:
        """Their user id."""
        return self.user.id

    @property
    def name(self) -> str:
        """The name Slack shows for them."""
        return self.user.shown_name

    def __repr__(self) -> str:
        return f"<ScriptedUser {self.name} {self.id}>"

    # acting -----------------------------------------------------------------------------------------
    def _can_see(self, channel: Channel) -> None:
        if channel.kind is not Kind.PUBLIC and self.id not in channel.members:
            raise CommandError(f"{self.name} is not in {channel.name or channel.id}")

    async def _settle(self, outcome: Outcome, limit: float, expect_reply: bool, allow_late: bool) -> None:
        sb, env = self.sandbox, outcome.envelope
        await sb.wait_for(lambda: env.acked or env.given_up, limit, f"the app to acknowledge {outcome.label}")
        if env.given_up:
            raise TimeoutError(
                f"the app never acknowledged {outcome.label} (Slack shows {self.name} an error)"
            )
        if env.late and not allow_late:
            raise TimeoutError(
                f"the app acknowledged {outcome.label} after Slack's {sb.socket.settings.ack_timeout:g} s: "
                f"{self.name} was shown an error (pass allow_late=True to expect this)"
            )
        if expect_reply:
            try:
                await outcome.wait(timeout=limit)
            except TimeoutError:
                raise TimeoutError(
                    f"{outcome.label}: the app showed {self.name} nothing within {limit:g} s"
                ) from None

    async def command(
        self,
        command: str,
        text: str = "",
        channel: Channel | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
        expect_reply: bool = True,
        allow_late: bool = False,
    ) -> Outcome:
        """Type a slash command (`/session`, `start 13:50`) in a channel (default #general)."""
        sb = self.sandbox
        channel = channel or sb.general
        if sb.commands is not None and command not in sb.commands:
            raise CommandError(f"{command} is not a command of the app (it has {sorted(sb.commands)})")
        self._can_see(channel)
        trigger = sb.issue_trigger(self.id)
        url = sb.responses.issue("commands", self.id, channel.id)
        payload = command_payload(sb, self.user, channel, command, text, trigger, url)
        start = len(sb.workspace.sights)
        env = sb.socket.deliver(EnvelopeType.SLASH_COMMANDS, payload, accepts_response_payload=True)
        outcome = Outcome(self, f"{command} {text}".rstrip(), start, env)
        await self._settle(outcome, timeout, expect_reply, allow_late)
        return outcome

    async def click(
        self,
        where: Message | Shown | View,
        action_id: str,
        value: Any = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
        expect_reply: bool = True,
        allow_late: bool = False,
    ) -> Outcome:
        """Press a button (or pick `value` in a menu) on a message or in an open modal."""
        sb = self.sandbox
        message = where.message if isinstance(where, Shown) else where if isinstance(where, Message) else None
        view = where if isinstance(where, View) else None
        if message is not None:
            if message.deleted:
                raise CommandError(f"message {message.ts} was deleted")
            if message.ephemeral_to not in (None, self.id):
                raise CommandError(f"{self.name} cannot see an ephemeral message shown to someone else")
            channel = sb.workspace.channels[message.channel]
            self._can_see(channel)
            block, el = elements.find(message.blocks or [], action_id)
            trigger = sb.issue_trigger(self.id)
            url = sb.responses.issue("actions", self.id, channel.id, source=message)
            act = elements.action(block, el, value, sb.ids.ts())
            payload = action_payload(
                sb, self.user, act, trigger, channel=channel, message=message, response_url=url
            )
        else:
            assert view is not None
            if not view.open or sb.modals.top(self.id) is not view:
                raise CommandError(f"modal {view.callback_id!r} is not the one {self.name} is looking at")
            block, el = elements.find(view.blocks, action_id)
            trigger = sb.issue_trigger(self.id, view_id=view.id)
            act = elements.action(block, el, value, sb.ids.ts())
            payload = action_payload(sb, self.user, act, trigger, view=view)
        start = len(sb.workspace.sights)
        env = sb.socket.deliver(EnvelopeType.INTERACTIVE, payload, accepts_response_payload=False)
        outcome = Outcome(self, f"pressing {action_id!r}", start, env, source=message)
        await self._settle(outcome, timeout, expect_reply, allow_late)
        return outcome

    async def submit(
        self,
        values: dict[str, dict[str, Any]] | None = None,
        view: View | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
        allow_late: bool = False,
    ) -> Submission:
        """Fill in the open modal ({block_id: {action_id: value}}, the rest as shown) and submit it."""
        sb = self.sandbox
        view = view or sb.modals.top(self.id)
        if view is None or not view.open or view.user != self.id:
            raise CommandError(f"{self.name} has no modal open")
        if sb.modals.top(self.id) is not view:
            raise CommandError(f"modal {view.callback_id!r} is under another one")
        if "submit" not in view.definition:
            raise CommandError(f"modal {view.callback_id!r} has no submit button")
        view.values = elements.fill(view.blocks, values or {})
        view.errors = {}
        trigger = sb.issue_trigger(self.id, view_id=view.id)
        payload = submission_payload(sb, self.user, view, trigger)
        start = len(sb.workspace.sights)
        env = sb.socket.deliver(EnvelopeType.INTERACTIVE, payload, accepts_response_payload=True)
        outcome = Submission(self, f"submitting {view.callback_id!r}", start, env, view=view)
        await self._settle(outcome, timeout, False, allow_late)
        return outcome

    async def close(self, view: View | None = None) -> None:
        """Close the open modal (the app hears of it if the view asked with `notify_on_close`)."""
        sb = self.sandbox
        view = view or sb.modals.top(self.id)
        if view is None or not view.open:
            raise CommandError(f"{self.name} has no modal open")
        sb.modals.close_top(self.id)
        sb.workspace.see(SightKind.MODAL_CLOSED, [self.id], view_id=view.id)
        if view.definition.get("notify_on_close"):
            payload = closed_payload(sb, self.user, view, cleared=False)
            sb.socket.deliver(EnvelopeType.INTERACTIVE, payload, accepts_response_payload=False)

    def say(self, channel: Channel, text: str, *, thread_ts: str | None = None) -> Message:
        """Post a message as this member (the app hears of it if it subscribed to such messages)."""
        self._can_see(channel)
        if self.id not in channel.members:
            raise CommandError(f"{self.name} is not in {channel.name}")
        return self.sandbox.post_as(self.user, channel, text, thread_ts=thread_ts)

    # reading ----------------------------------------------------------------------------------------
    def read(self, channel: Channel) -> list[Shown]:
        """The channel's messages as this member sees them, with their own ephemeral ones, in order.

        Thread replies are not in the channel's view (see `thread`), unless also sent to the channel.
        """
        self._can_see(channel)
        ws = self.sandbox.workspace
        mine = [
            m
            for m in ws.ephemerals
            if m.channel == channel.id and m.ephemeral_to == self.id and not m.deleted
        ]
        messages = sorted([*channel.visible(), *mine], key=lambda m: m.ts)
        return [shown(ws, m) for m in messages if m.thread_ts in (None, m.ts) or m.reply_broadcast]

    def thread(self, parent: Message | Shown) -> list[Shown]:
        """A thread as this member sees it: the parent message, then its replies."""
        root = parent.message if isinstance(parent, Shown) else parent
        channel = self.sandbox.workspace.channels[root.channel]
        self._can_see(channel)
        ws = self.sandbox.workspace
        return [shown(ws, m) for m in channel.visible() if m.ts == root.ts or m.thread_ts == root.ts]

    def posts(self, channel: Channel) -> list[Shown]:
        """The app's messages in a channel, as this member sees them (no ephemerals)."""
        return [s for s in self.read(channel) if s.message.user == self.sandbox.bot.id and not s.ephemeral]

    def ephemerals(self, channel: Channel | None = None) -> list[Shown]:
        """The ephemeral messages shown to this member (in one channel, or anywhere)."""
        ws = self.sandbox.workspace
        return [
            shown(ws, m)
            for m in ws.ephemerals
            if m.ephemeral_to == self.id and not m.deleted and (channel is None or m.channel == channel.id)
        ]

    @property
    def dm(self) -> Channel | None:
        """Their DM with the app, once it was opened (by the app, or with `open_dm`)."""
        return self.sandbox.workspace.im_with(self.id)

    def open_dm(self) -> Channel:
        """Open the app's Messages tab: their DM with the app (to type commands there)."""
        return self.sandbox.workspace.open_im(self.sandbox.bot.id, self.id)

    def dms(self) -> list[Shown]:
        """The app's messages in their DM."""
        return self.posts(self.dm) if self.dm is not None else []

    def channels(self, kind: Kind | None = None) -> list[Channel]:
        """The conversations they are in (of one kind)."""
        ws = self.sandbox.workspace
        return [c for c in ws.channels.values() if self.id in c.members and (kind is None or c.kind is kind)]

    def private_channels(self) -> list[Channel]:
        """The private channels they are in."""
        return self.channels(Kind.PRIVATE)

    @property
    def modal(self) -> View | None:
        """The modal they are looking at."""
        return self.sandbox.modals.top(self.id)
