"""Each section of the comparison page, and the page's structure for assistive tech."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import pytest

from .conftest import Reader
from .content_factory import comparison_text, import_comparisons

DIVIDED = {
    "builder": ("ship", "ship"),
    "skeptic": ("skip", "ship"),
    "futurist": ("ship", "ship"),
    "buyer": ("ship", "skip"),
}


def text_of(html: str) -> str:
    text = unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))).strip()
    return re.sub(r" ([:.,)])", r"\1", text)


def section(html: str, section_id: str) -> str:
    match = re.search(rf'<section[^>]* id="{section_id}".*?</section>', html, re.S)
    assert match, f"no section #{section_id}"
    return text_of(match.group(0))


def page(client, slug: str = "pair") -> str:
    response = client.get(f"/compare/{slug}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def votes(app, slug: str, *choices: str) -> None:
    for index, choice in enumerate(choices):
        visitor = Reader(app, f"10.{index // 250}.{index % 250}.1")
        visitor.open(slug)
        assert visitor.vote(choice, slug=slug).status_code == 200


def test_header_names_sections_it_links(app, client):
    import_comparisons(app, comparison_text("pair"))

    html = page(client)
    nav = re.search(r'<nav class="on-this-page".*?</nav>', html, re.S).group(0)
    targets = re.findall(r'href="#([a-z-]+)"', nav)

    assert '<h1>Alpha <span class="vs">vs</span> Beta</h1>' in html
    assert '<p class="question">Which of Alpha and Beta should you pick?</p>' in html
    assert text_of(nav) == (
        "On this page: Panel verdict Reviewer split Pricing read "
        "Reviewer scorecard Community vote"
    )
    for target in targets:
        assert f'id="{target}"' in html


def test_panel_verdict_counts(app, client):
    import_comparisons(app, comparison_text("pair", calls=DIVIDED))

    text = section(page(client), "panel-verdict")

    assert "Alpha: 75% ship (3 of 4 reviewers)" in text
    assert "Beta: 75% ship (3 of 4 reviewers)" in text


def test_reviewer_split_when_divided(app, client):
    import_comparisons(app, comparison_text("pair", calls=DIVIDED))

    text = section(page(client), "reviewer-split")

    assert "The panel is divided on Alpha and Beta." in text
    assert (
        "Alpha: The Builder, The Futurist and The Buyer ship it, "
        "but The Skeptic skips it." in text
    )
    assert "The Skeptic ships Beta but skips Alpha." in text
    assert "The Buyer ships Alpha but skips Beta." in text


def test_reviewer_split_when_agreed(app, client):
    import_comparisons(app, comparison_text("pair"))

    text = section(page(client), "reviewer-split")

    assert text == (
        "Reviewer split The panel agrees: all four reviewers ship both tools."
    )


@pytest.mark.parametrize(
    ("prices", "card", "read"),
    [
        (("Free", "Free"), "Entry Free", "Alpha Free Beta Free"),
        (("$20 per month", "Free"), "Entry $20/month", "Alpha $20/month Beta Free"),
        (
            ("contact sales", "Free"),
            "Entry Contact sales",
            "Alpha Contact sales no public price: the vendor quotes on request",
        ),
    ],
)
def test_entry_price_shown(app, client, prices, card, read):
    import_comparisons(app, comparison_text("pair", prices=prices))

    html = page(client)
    first_card = text_of(
        re.search(r'<article class="tool-card".*?</article>', html, re.S).group(0)
    )

    assert card in first_card
    assert read in section(html, "pricing-read")
    assert "Prices as listed by each vendor." in section(html, "pricing-read")


def test_no_votes_says_so_without_bars(app, client):
    import_comparisons(app, comparison_text("pair"))

    html = page(client)

    assert "No votes yet. Be the first to pick a winner." in html
    assert 'class="bar-community"' not in html
    assert html.count('class="bar-panel"') == 2


def test_community_bars_beside_panel_bars(app, client):
    import_comparisons(app, comparison_text("pair", calls=DIVIDED))
    votes(app, "pair", "pair-a", "pair-b", "pair-b")

    html = page(client)

    assert re.findall(r'class="bar-panel" width="(\d+)"', html) == ["75", "75"]
    assert re.findall(r'class="bar-community" width="(\d+)"', html) == ["33", "67"]
    assert "Community 33%, 1 of 3 votes" in text_of(html)
    assert "Community 67%, 2 of 3 votes" in text_of(html)


def test_interval_is_wilson_95(app, client):
    import_comparisons(app, comparison_text("pair"))
    votes(app, "pair", "pair-a", "pair-b", "pair-b")

    text = text_of(page(client))

    # Wilson score interval for 1 of 3 and 2 of 3 at 95%: 6.1%-79.2% and 20.8%-93.9%.
    assert "(95% interval 6–79%)" in text
    assert "(95% interval 21–94%)" in text


def test_too_small_to_call(app, client):
    app.config["MIN_VOTES_TO_CALL"] = 30
    import_comparisons(app, comparison_text("pair"))
    votes(app, "pair", "pair-a", "pair-a", "pair-a")

    text = text_of(page(client))

    assert "Too few votes to name a winner: 3 so far" in text
    assert "a winner is named only from 30 votes" in text
    assert "Readers pick" not in text


def test_too_close_to_call(app, client):
    app.config["MIN_VOTES_TO_CALL"] = 5
    import_comparisons(app, comparison_text("pair"))
    votes(app, "pair", "pair-a", "pair-a", "pair-a", "pair-b", "pair-b", "pair-a")

    text = text_of(page(client))

    assert "Too close to call: with 6 votes" in text
    assert "Readers pick" not in text


def test_called_winner(app, client):
    app.config["MIN_VOTES_TO_CALL"] = 5
    import_comparisons(app, comparison_text("pair"))
    votes(app, "pair", *["pair-b"] * 9)

    text = text_of(page(client))

    assert "Readers pick Beta." in text


def test_shares_add_to_100(app, client):
    import_comparisons(app, comparison_text("pair"))
    votes(app, "pair", "pair-a", "pair-b", "pair-b", "pair-b", "pair-b", "pair-b")

    shares = re.findall(r'class="community-share">(\d+)%', page(client))

    assert [int(s) for s in shares] == [17, 83]


def test_sample_note_only_on_samples(app, client):
    import_comparisons(
        app, comparison_text("pair", sample=True), comparison_text("real")
    )

    assert "Sample content." in page(client, "pair")
    assert "Sample content." not in page(client, "real")


class Outline(HTMLParser):
    """Collect headings, landmarks and the vote form's controls."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.landmarks: list[str] = []
        self.in_form = False
        self.vote_buttons: list[dict] = []
        self.form: dict = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag in {"header", "nav", "main", "footer"}:
            self.landmarks.append(tag)
        if tag == "form" and "vote-form" in attributes.get("class", ""):
            self.in_form = True
            self.form = attributes
        if tag == "button" and self.in_form:
            self.vote_buttons.append(attributes)

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False


def outline_of(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("path", ["/compare/pair", "/", "/category/test-tools", "/x"])
def test_headings_in_order(app, client, path):
    import_comparisons(app, comparison_text("pair"))

    levels = outline_of(client.get(path).get_data(as_text=True)).headings

    assert levels[0] == 1
    assert levels.count(1) == 1
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, levels


def test_landmarks_present(app, client):
    import_comparisons(app, comparison_text("pair"))

    landmarks = outline_of(page(client)).landmarks

    assert landmarks.count("main") == 1
    assert "header" in landmarks
    assert "footer" in landmarks
    assert "nav" in landmarks


def test_vote_options_are_buttons_in_a_post_form(app, client):
    import_comparisons(app, comparison_text("pair"))

    outline = outline_of(page(client))

    assert outline.form["method"] == "post"
    assert outline.form["action"] == "/compare/pair/vote"
    assert [(b["type"], b["name"], b["value"]) for b in outline.vote_buttons] == [
        ("submit", "choice", "pair-a"),
        ("submit", "choice", "pair-b"),
    ]


def test_tally_in_polite_live_region(app, client):
    import_comparisons(app, comparison_text("pair"))

    html = page(client)
    region = re.search(r'<div class="tally-region"([^>]*)>\s*<div id="tally"', html)

    assert region, "the tally is not inside the live region"
    assert 'aria-live="polite"' in region.group(1)
