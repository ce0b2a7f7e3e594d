"""The room's projector page in a real browser (Debian's Chromium, driven by Playwright) during a session."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from discord_sandbox import Sandbox, SandboxLimits

from .conftest import ROOT, Classroom, open_class, write_config
from .test_assign import confirm, seats

pytestmark = pytest.mark.e2e

ARTIFACTS = ROOT / "test-artifacts" / "projector"
HOSTILE_NAME = "<b>Ada</b> <@&1> @everyone"
PROJECTOR_PLAN = """
[[phases]]
key = "proj-work"
name = "Do the role!"
seconds = 600
audience = "class"
text = "Work alone on your role. <i>not markup</i>"

[[phases]]
key = "proj-talks"
name = "Present slides"
kind = "presentation"
seconds = 960
slot_seconds = 60
audience = "class"
text = "Each paper's roles present in turn."

[plans.projector]
phases = ["proj-work", "proj-talks"]
"""


def chromium() -> str | None:
    """Debian's Chromium, if installed."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def free_port() -> int:
    """A port nobody listens on now, so the page's address survives a bot restart."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def limits() -> SandboxLimits:
    """Discord's limits, with the DM-opening window shortened so 20 role cards go out quickly."""
    return SandboxLimits(dm_open_window=1.0)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Headless Chromium (the system's): skipped with a message where it is missing, except in CI."""
    executable = chromium()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI: .ci/run installs Debian's chromium package")
        pytest.skip("no Chromium found: `apt-get install chromium` (see the README) to run the browser tests")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def room(sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[Classroom]:
    """20 students (one with a hostile display name), the projector page served on a fixed local port."""
    web = f'\n[web]\nhost = "127.0.0.1"\nport = {free_port()}\n'
    config = write_config(tmp_path, PROJECTOR_PLAN + web)
    room = await open_class(sandbox, tmp_path, config, students=20)
    try:
        yield room
    finally:
        await room.stop_bot()


async def eventually(check: Callable[[], Awaitable[bool]], within: float, what: str) -> float:
    """Wait until `check()` holds (polling the page); returns how long it took, fails after `within` s."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    while True:
        if await check():
            return loop.time() - began
        if loop.time() - began > within:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.05)


def seconds_of(digits: str) -> int:
    """`12:34` or `1:02:03` as seconds."""
    total = 0
    for part in digits.strip().split(":"):
        total = total * 60 + int(part)
    return total


async def shot(page: Any, name: str) -> None:
    """Keep a screenshot of a key state as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


async def test_the_room_sees_the_clock_the_pause_the_talks_and_the_end(room: Classroom, browser: Any) -> None:
    teacher = room.instructor
    await room.run(teacher, "session start", plan="projector")
    answer = await room.run(teacher, "session projector")
    assert answer.ephemeral and "/p/" in answer.text
    link = answer.text.split()[-1]
    assert link.startswith("http://127.0.0.1:")

    page = await browser.new_page(viewport={"width": 1920, "height": 1080})
    await page.goto(link)
    countdown = page.locator("#countdown")
    title = page.locator("#title")

    # The phase, its text (shown as text, not markup), a countdown that runs, big enough for the back row.
    await eventually(lambda: _has(title, "Do the role!"), 5, "the current phase on the page")
    assert "<i>not markup</i>" in await page.locator("#text").inner_text()
    first = seconds_of(await countdown.inner_text())
    assert 590 <= first <= 600
    await eventually(
        lambda: _below(countdown, first), 3, "the countdown to go down by itself (computed in the browser)"
    )
    box = await countdown.bounding_box()
    assert box is not None and box["height"] >= 1080 / 5
    assert "Present slides" in await page.locator("#next").inner_text()
    await shot(page, "1-running")

    # Paused within a second, and the digits stop.
    await room.run(teacher, "session pause")
    took = await eventually(lambda: _has(page.locator("#state"), "Paused"), 1.0, "Paused on the page")
    frozen = await countdown.inner_text()
    await asyncio.sleep(1.2)  # a second on the room's clock: the frozen digits must not move
    assert await countdown.inner_text() == frozen, f"digits moved while paused (Paused after {took:.2f} s)"
    await shot(page, "2-paused")
    await room.run(teacher, "session resume")
    await eventually(lambda: _has(page.locator("#state"), "Now"), 1.0, "the clock running again")

    # The class is assigned; the first paper's group submits its slides.
    await confirm(room, await room.run(teacher, "assign"))
    placed = await seats(room)
    first_paper = room.course.papers[0]
    presenting = room.course.presenting_roles[0]
    presenters = [s for s in room.students if placed[s.id] == (first_paper.key, presenting.key)]
    submitter = next(s for s in room.students if placed[s.id][0] == first_paper.key)
    slides = "https://slides.example.org/deck?id=42#>[Slides](https://evil.example/phish)"
    await room.run(submitter, "submit slides", url=slides)
    presenters[0].nick = HOSTILE_NAME  # display names are typed by students: shown as text, never markup
    room.guild.set_roles(presenters[0], presenters[0].roles)  # the member update that carries the new name

    # A restart of the bot: the page reconnects by itself.
    await room.stop_bot()
    await eventually(
        lambda: _has(page.locator("#link"), "reconnecting"), 3, "the page to notice the bot has gone"
    )
    await room.start_bot()
    await eventually(lambda: _has(page.locator("#link"), "live"), 5, "the page to reconnect on its own")
    assert "Do the role!" in await title.inner_text()

    # The talks: the current slot, its presenters and slides (text and a QR code), the queue.
    await room.run(teacher, "session next")
    slot = page.locator("#slot")
    await eventually(lambda: _has(page.locator("#slot-paper"), first_paper.title), 1.0, "the first talk")
    assert presenting.name in await page.locator("#slot-role").inner_text()
    names = await page.locator("#slot-presenters").inner_text()
    assert all(p.name in names for p in presenters)
    assert HOSTILE_NAME in names and await page.locator("#slot-presenters b").count() == 0
    shown_link = await page.locator("#slot-slides").inner_text()
    assert "slides.example.org/deck" in shown_link
    assert await page.locator("#slot a").count() == 0  # a link as text only: nothing on the page is live
    qr = page.locator("#qr")
    await eventually(lambda: _qr_loaded(qr), 3, "the QR code to load")
    decoded = _decode_qr(await qr.screenshot())
    assert decoded.startswith("https://slides.example.org/deck")
    assert "evil.example" in decoded  # the code carries exactly the link as stored, nothing added
    queue = await page.locator("#queue").inner_text()
    assert room.course.presenting_roles[1].name in queue
    await shot(page, "3-talk")
    assert await slot.is_visible()

    # The 30-second warning shows when the talk is nearly over.
    await room.run(teacher, "session extend", minutes=-0.6)
    await eventually(lambda: page.locator("#warning").is_visible(), 1.0, "the 30-second warning")
    assert "seconds left" in await page.locator("#warning").inner_text()
    await shot(page, "4-warning")

    # The end: Done on the page, and the link stops working.
    await room.run(teacher, "session stop")
    await eventually(lambda: _has(countdown, "Done"), 1.0, "Done on the page")
    await shot(page, "5-done")
    async with aiohttp.ClientSession() as http:
        async with http.get(link) as gone:
            assert gone.status == 404
        async with http.get(link[:-4] + "abcd") as wrong:
            assert wrong.status == 404
        base = link.split("/p/")[0]
        for path in ("/", "/p", "/p/", "/sessions", "/assets/../config.toml"):
            async with http.get(base + path) as other:
                assert other.status == 404, path


async def test_a_phone_sees_the_same_page_stacked(room: Classroom, browser: Any) -> None:
    await room.run(room.instructor, "session start", plan="projector")
    link = (await room.run(room.instructor, "session projector")).text.split()[-1]
    page = await browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    await page.goto(link)
    await eventually(lambda: _has(page.locator("#title"), "Do the role!"), 5, "the phase on a phone")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing runs off the side of a phone's screen
    assert await page.locator("#run-of-show li").count() == 2
    await shot(page, "6-phone")


async def _has(locator: Any, text: str) -> bool:
    return text in (await locator.text_content() or "")


async def _below(locator: Any, seconds: int) -> bool:
    return seconds_of(await locator.inner_text()) < seconds


async def _qr_loaded(locator: Any) -> bool:
    return bool(await locator.evaluate("img => img.complete && img.naturalWidth > 0 && !img.hidden"))


def _decode_qr(png: bytes) -> str:
    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert found, "no QR code could be read from the page"
    return str(found[0].text)
