"""The site in headless Chromium: voting by keyboard, without JavaScript, live tallies,
phone widths, contrast and screenshots."""

from __future__ import annotations

import re

import pytest

from .browser import DESKTOP, PHONE, WAIT_MS, save_screenshot
from .conftest import Reader

pytestmark = pytest.mark.browser

SLUG = "whisper-vs-vosk"
PAGES = [
    "/",
    "/compare/whisper-vs-vosk",
    "/compare/ollama-vs-llama-cpp",
    "/compare/smolvlm2-vs-sam-3",
    "/category/speech-recognition",
    "/no-such-page",
]


def open_comparison(context, live_server, slug: str = SLUG):
    page = context.new_page()
    page.goto(f"{live_server.url}/compare/{slug}")
    return page


def mark_document(page) -> None:
    """Tag the loaded document; a reload or navigation loses the tag."""
    page.evaluate("window.__loadedOnce = true")


def same_document(page) -> bool:
    return page.evaluate("window.__loadedOnce === true")


def tally_text(page) -> str:
    return " ".join(page.locator("#tally").inner_text().split())


def test_vote_with_keyboard_only(new_context, live_server):
    page = open_comparison(new_context(), live_server)
    mark_document(page)

    for _ in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "document.activeElement.classList.contains('vote-button')"
            " && document.activeElement.textContent.trim()"
        )
        if focused == "Vosk":
            break
    else:
        pytest.fail("Tab never reached the Vosk vote button")

    outline = page.evaluate(
        "[getComputedStyle(document.activeElement).outlineStyle,"
        " parseFloat(getComputedStyle(document.activeElement).outlineWidth)]"
    )
    assert outline[0] != "none"
    assert outline[1] >= 2

    page.keyboard.press("Enter")

    page.locator(".vote-done").wait_for()
    assert "You voted for Vosk" in page.locator("#vote-widget").inner_text()
    assert "Community 100%, 1 of 1 vote" in tally_text(page)
    assert same_document(page)


def test_vote_without_javascript(new_context, live_server):
    page = open_comparison(new_context(java_script_enabled=False), live_server)

    page.get_by_role("button", name="Whisper").click()

    page.wait_for_url(re.compile(r"/compare/whisper-vs-vosk#vote$"))
    assert "You voted for Whisper" in page.locator("#vote-widget").inner_text()
    assert "Community 100%, 1 of 1 vote" in tally_text(page)
    card = page.locator("#tool-whisper .community-share").inner_text()
    assert card.split() == ["100%", "(1", "vote)"]


def test_tally_updates_when_another_reader_votes(new_context, live_server):
    watcher = open_comparison(new_context(), live_server)
    mark_document(watcher)
    assert "No votes yet" in tally_text(watcher)

    voter = open_comparison(new_context(), live_server)
    voter.get_by_role("button", name="Vosk").click()
    voter.locator(".vote-done").wait_for()

    # A function, not an expression string: Playwright polls a string with eval,
    # which the site's Content-Security-Policy blocks.
    watcher.wait_for_function(
        "() => document.querySelector('#tally').innerText.includes('1 of 1 vote')",
        timeout=WAIT_MS,
    )
    assert same_document(watcher)
    assert "Community 100%, 1 of 1 vote" in tally_text(watcher)
    region = watcher.locator(".tally-region")
    assert region.get_attribute("aria-live") == "polite"
    assert "1 of 1 vote" in region.inner_text()
    card = watcher.locator("#tool-vosk .community-share").inner_text()
    assert card.split() == ["100%", "(1", "vote)"]


def test_click_votes_once_then_409_in_widget(new_context, live_server):
    context = new_context()
    first_tab = open_comparison(context, live_server)
    second_tab = open_comparison(context, live_server)
    mark_document(first_tab)
    mark_document(second_tab)
    before = tally_text(first_tab)

    first_tab.get_by_role("button", name="Whisper").click()

    first_tab.locator(".vote-done").wait_for()
    assert "No votes yet" in before
    assert "Community 100%, 1 of 1 vote" in tally_text(first_tab)
    assert same_document(first_tab)

    # The second tab still shows the buttons: the same browser tries again.
    with second_tab.expect_response(re.compile(r"/vote$")) as caught:
        second_tab.get_by_role("button", name="Vosk").click()

    assert caught.value.status == 409
    message = second_tab.locator("#vote-widget .vote-message")
    message.wait_for()
    assert message.inner_text() == (
        "You have already voted in this comparison, for Whisper."
    )
    assert message.get_attribute("role") == "alert"
    assert same_document(second_tab)
    second_tab.wait_for_function(
        "() => document.querySelector('#tally').innerText.includes('1 of 1 vote')",
        timeout=WAIT_MS,
    )


@pytest.mark.parametrize("path", PAGES)
def test_no_horizontal_scroll_at_360(new_context, live_server, path):
    page = new_context(viewport=PHONE).new_page()
    page.goto(live_server.url + path)

    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )

    assert widths[0] <= widths[1] == PHONE["width"]


CONTRAST_SCRIPT = """
() => {
  const parse = (text) => {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return {r, g, b, a};
  };
  const luminance = ({r, g, b}) => {
    const channel = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const background = (element) => {
    for (let node = element; node; node = node.parentElement) {
      const color = parse(getComputedStyle(node).backgroundColor);
      if (color.a > 0) return color;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  };
  const failures = [];
  for (const element of document.body.querySelectorAll("*")) {
    const ownText = [...element.childNodes].some(
      (n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim()
    );
    const style = getComputedStyle(element);
    const box = element.getBoundingClientRect();
    if (!ownText || style.visibility === "hidden" || box.width < 2) continue;
    if (element.closest(".visually-hidden, .skip-link, svg, [disabled]")) continue;
    const fg = luminance(parse(style.color));
    const bg = luminance(background(element));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    if (ratio < 4.5) {
      failures.push(`${element.tagName}.${element.className}: ${ratio.toFixed(2)}`);
    }
  }
  return failures;
}
"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", PAGES[:3])
def test_text_contrast_at_least_4_5(new_context, live_server, scheme, path):
    page = new_context(color_scheme=scheme).new_page()
    page.goto(live_server.url + path)

    assert page.evaluate(CONTRAST_SCRIPT) == []


@pytest.mark.parametrize(
    ("motion", "expected"), [("reduce", "0s"), ("no-preference", "0.15s")]
)
def test_reduced_motion_turns_off_transitions(
    new_context, live_server, motion, expected
):
    page = open_comparison(new_context(reduced_motion=motion), live_server)

    durations = page.evaluate(
        "[...document.querySelectorAll('.vote-button')]"
        ".map((e) => getComputedStyle(e).transitionDuration)"
    )

    assert len(durations) == 2
    assert {d.split(",")[0] for d in durations} == {expected}


def test_screenshots(new_context, live_server, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("one set of screenshots is enough")

    # A few votes, so the screenshots show community bars as well as panel bars.
    for index, choice in enumerate(["whisper", "whisper", "vosk"]):
        reader = Reader(live_server.app, f"10.3.{index}.1")
        reader.open(SLUG)
        assert reader.vote(choice, slug=SLUG).status_code == 200

    for width_name, viewport in [("desktop", DESKTOP), ("phone", PHONE)]:
        for scheme in ["light", "dark"]:
            context = new_context(viewport=viewport, color_scheme=scheme)
            page = context.new_page()
            for name, path in [("index", "/"), ("comparison", f"/compare/{SLUG}")]:
                page.goto(live_server.url + path)
                saved = save_screenshot(page, f"{name}-{width_name}-{scheme}")
                assert saved.stat().st_size > 10_000


def test_closing_voting_removes_open_form(new_context, live_server):
    page = open_comparison(new_context(), live_server)
    mark_document(page)
    assert page.locator("#vote-widget .vote-form").count() == 1

    closed = live_server.app.test_cli_runner().invoke(
        args=["moderate", "close", SLUG, "--reason", "The poll has ended.", "--yes"]
    )

    assert closed.exit_code == 0, closed.output
    page.locator("#vote-widget .vote-closed").wait_for()
    assert same_document(page)
    assert page.locator("#vote-widget .vote-form").count() == 0
    assert "Voting is closed." in tally_text(page)
