"""Role forms on Slack: a reviewer files the review from the role card, fixes what the form sends back,
edits it with /review; the teacher sees who handed in what with /deliverables."""

from __future__ import annotations

from pathlib import Path

import pytest

from slack_sandbox import SlackSandbox
from slack_sandbox.mrkdwn import LiveKind

from .forms import holding, on_screen, paper_of, seated_class

pytestmark = pytest.mark.e2e

SUMMARY = (
    "The paper replaces the U-Net backbone of latent diffusion models with a plain transformer over "
    "patches. It scales the model by depth, width and the number of tokens. Larger models reach lower "
    "FID on class-conditional ImageNet. The best model sets a new state of the art at 256 pixels. "
    "Compute, not parameters, predicts quality. The design is simple and reuses the ViT recipe."
)
TOO_SHORT = "It replaces the U-Net of latent diffusion with a transformer over image patches, scaled up in depth and width. It works better."
STRENGTHS = (
    "Clear scaling study across model sizes and token counts, with a simple design that others can reuse."
)
WEAKNESSES = "Only class-conditional ImageNet is studied; text-to-image results and the training cost are missing here."
HOSTILE = "Accept <!channel>, ask <@U0SB000001> and see https://evil.example/login for details."


async def test_a_reviewer_files_the_review_from_the_card_fixes_it_and_edits_it_later(tmp_path: Path) -> None:
    async with SlackSandbox() as sb:
        room = await seated_class(sb, tmp_path)
        try:
            reviewer = next(  # one with a role-partner: the review is shown in their room
                s for s in holding(room, "Scientific Peer Reviewer") if "Role-partner" in s.dms()[0].text
            )
            paper = paper_of(reviewer)
            card = reviewer.dms()[0]
            assert "Fill in my Scientific Peer Reviewer form" in card.buttons
            opened = await reviewer.click(card, "conductor:role-card:form")
            form = opened.modal
            assert form is not None and form.title == "Scientific Peer Reviewer"
            screen = on_screen(sb, form).text
            for label in ("Paper summary (5-7 sentences)", "Strengths", "Weaknesses", "Rating"):
                assert label in screen
            assert paper in screen

            typed = {
                "summary": {"summary": TOO_SHORT},
                "strengths": {"strengths": STRENGTHS},
                "weaknesses": {"weaknesses": "Too few datasets."},
                "rating": {"rating": "1"},
                "justification": {"justification": HOSTILE},
            }
            sent_back = await reviewer.submit(typed)
            assert sent_back.errors == {
                "summary": f"Paper summary (5-7 sentences) is {len(TOO_SHORT)} characters; write at least 200.",
                "weaknesses": "Weaknesses is 17 characters; write at least 100.",
            }
            assert sent_back.showing is form, "the form stays open with what the student typed"
            assert form.values["summary"]["summary"]["value"] == TOO_SHORT
            nothing = await room.run(room.teacher, "/deliverables")
            assert "Deliverables: 0 of" in nothing.text

            fixed = {**typed, "summary": {"summary": SUMMARY}, "weaknesses": {"weaknesses": WEAKNESSES}}
            saved = await reviewer.submit(fixed)
            assert saved.errors == {}
            done = on_screen(sb, saved.showing).text if saved.showing else ""
            assert f"Submitted your Scientific Peer Reviewer form for *{paper}*" in done

            pair = next(c for c in reviewer.private_channels() if c.name.endswith("-reviewers"))
            posted = await sb.wait_for(
                lambda: [p for p in reviewer.posts(pair) if "Scientific Peer Reviewer form" in p.text],
                what="the review in the reviewers' room",
            )
            shown = posted[-1]
            assert HOSTILE.replace("https://evil.example/login", "`https://evil.example/login`") in shown.text
            assert not shown.of(LiveKind.BROADCAST) and not shown.of(LiveKind.LINK), "shown as typed, inert"
            assert all(m.target != "U0SB000001" for m in shown.of(LiveKind.MENTION))

            again = await room.run(reviewer, "/review")
            prefilled = again.modal
            assert prefilled is not None and prefilled.definition["submit"]["text"] == "Update"
            inputs = {b["block_id"]: b["element"] for b in prefilled.blocks if b["type"] == "input"}
            assert inputs["summary"]["initial_value"] == SUMMARY
            assert inputs["rating"]["initial_option"]["text"]["text"] == "Weak Accept"
            edited = await reviewer.submit({**fixed, "rating": {"rating": "0"}})
            assert edited.showing is not None
            assert "Updated your Scientific Peer Reviewer form" in on_screen(sb, edited.showing).text

            handed_in = await room.run(room.teacher, "/deliverables")
            assert "Deliverables: 1 of" in handed_in.text
            rows = handed_in.text.splitlines()
            reviewers = rows[rows.index(f"*{paper}*") + 1 :]
            line = next(r for r in reviewers if r.startswith("• Reviewers:"))
            assert line.startswith(f"• Reviewers: @{reviewer.name} now"), line
        finally:
            await room.stop()
        sb.assert_clean()


async def test_who_has_no_form_or_no_seat_is_told_why_and_no_window_opens(tmp_path: Path) -> None:
    async with SlackSandbox() as sb:
        room = await seated_class(sb, tmp_path, students=21)
        try:
            presenter = holding(room, "Spotlight Presenter")[0]
            none = await room.run(presenter, "/deliverable")
            assert "has no form to fill in" in none.text and none.modal is None
            unseated = await room.run(room.teacher, "/review")
            assert "You have no group in this session" in unseated.text and unseated.modal is None
            refused = await room.run(presenter, "/deliverables")
            assert "Only instructors" in refused.text
        finally:
            await room.stop()
        sb.assert_clean()


async def test_a_form_saved_while_slack_makes_the_app_wait_is_confirmed_in_the_same_window(
    tmp_path: Path,
) -> None:
    async with SlackSandbox() as sb:
        room = await seated_class(sb, tmp_path)
        try:
            archaeologist = holding(room, "Archaeologist")[0]
            opened = await room.run(archaeologist, "/deliverable")
            assert opened.modal is not None
            # The post to the role-partners' room is held up 3 s by a rate limit: longer than Slack
            # waits for the acknowledgement, so the window says it is saving, then what was saved.
            sb.fail("chat.postMessage", status=429, retry_after=3)
            saving = await archaeologist.submit(
                {
                    "older_title": {"older_title": "Denoising Diffusion Probabilistic Models"},
                    "older_link": {"older_link": "https://arxiv.org/abs/2006.11239"},
                    "newer_title": {"newer_title": "Scalable Interpolant Transformers"},
                    "newer_link": {"newer_link": "https://arxiv.org/abs/2401.08740"},
                }
            )
            assert not saving.late
            assert saving.showing is not None and "Saving your form" in on_screen(sb, saving.showing).text
            await sb.wait_for(
                lambda: (
                    archaeologist.modal is not None
                    and "Submitted your Archaeologist form" in on_screen(sb, archaeologist.modal).text
                ),
                what="the confirmation in the window",
            )
        finally:
            await room.stop()
        sb.assert_clean()
