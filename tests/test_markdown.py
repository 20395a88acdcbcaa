"""Markdown as staff write it, and text as Word and Outlook paste it: what each construct
becomes, and the clear error (file and line) for whatever would print as raw syntax."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from publisher.errors import PublisherError
from publisher.sources.markdown import normalise, render_body

MESSAGE = Path("content/messages/dean.md")


def html(text: str, **options) -> str:
    pictures = Path("/project/content/images")
    return str(render_body(text, path=MESSAGE, first_line=8,
                           resolve=lambda ref, line: pictures / Path(ref).name,
                           **options).html)


def error(text: str) -> PublisherError:
    with pytest.raises(PublisherError) as caught:
        html(text)
    return caught.value


def test_tables_footnotes_lists_quotes_headings_and_breaks():
    out = html("""\
Intro with **bold**, *italic* and ***both***.[^a]

| Year | Students |
|------|---------:|
| 2024 | 1,200 |

- one
  - two
    - three

1. first
   1. nested

> A quote.

# Heading one
### Heading three

First line\\
second line

[^a]: The note, with *emphasis*.
""")
    assert "<strong>bold</strong>" in out and "<em>italic</em>" in out
    assert "<em><strong>both</strong></em>" in out
    assert re.search(r"<table>.*<th>Year</th>.*<td style=\"text-align:right\">1,200</td>",
                     out, re.S)
    assert out.count("<ul>") == 3 and out.count("<ol>") == 2
    assert "<blockquote>" in out
    # The message's title is the only h1: a heading in the text is at most an h2.
    assert "<h1>" not in out and "<h2>Heading one</h2>" in out and "<h3>Heading three</h3>" in out
    assert "First line<br />" in out
    # The note is printed where it is called (a page footnote), not gathered at the end.
    assert '<span class="footnote">The note, with <em>emphasis</em>.</span>' in out
    assert out.count("The note") == 1
    assert "[^" not in out and "|" not in out.replace("text-align", "")


def test_a_picture_is_a_figure_with_its_caption():
    out = html('Text.\n\n![The library at dusk](../images/library.jpg "The new library"){.full}\n')
    assert '<figure class="figure full">' in out
    assert 'src="file:///project/content/images/library.jpg"' in out
    assert 'alt="The library at dusk"' in out
    assert "<figcaption>The new library</figcaption>" in out
    # Without a title, the alt text is the caption (as in pandoc).
    assert "<figcaption>Campus</figcaption>" in html("![Campus](../images/c.jpg)")


def test_event_handlers_never_reach_the_html():
    assert "onload" not in html("![a](../images/a.jpg){onload=x}")


def test_comments_are_left_out():
    assert "hidden" not in html("Text <!-- hidden --> more.\n\n<!-- TODO: check -->\n")


@pytest.mark.parametrize("text, line, fragments", [
    ("Para.\n\nA <b>bold</b> word.", 10, ["HTML", "<b>", "Markdown"]),
    ("<div>\nblock\n</div>", 8, ["HTML", "<div>"]),
    ("<script>alert(1)</script>", 8, ["HTML", "<script>"]),
    ("See the note.[^2]", 8, ["footnote [^2] has no text", "[^2]:"]),
    ("Para.\n\n[^3]: never used", 10, ["[^3] is never referred to"]),
    ("Look: ![a](../images/a.jpg) here.", 8, ["picture inside a sentence", "line of its own"]),
    ("![a](../images/my photo.jpg)", 8, ["picture", "not understood"]),
    ("Some **bold without end.", 8, ["unclosed '**'"]),
    ("| a | b |\n| c | d |", 8, ["table line", "|---|"]),
    ("See [the site][web].", 8, ["refers to no address"]),
    ("![a](../images/a.jpg){width=900}", 8, ["unknown picture setting 'width'"]),
    ("![a](../images/a.jpg){.left}", 8, ["unknown picture setting 'left'"]),
])
def test_what_would_print_as_raw_syntax_is_an_error_with_its_line(text, line, fragments):
    found = error(text)
    assert found.path == MESSAGE and found.line == line, (found.line, str(found))
    for fragment in fragments:
        assert fragment in str(found), str(found)
    assert found.fix


def test_word_text_with_one_paragraph_per_line():
    pasted = ("Dear colleagues,\r\n"
              "It is with great pleasure that I welcome you to this year\u2019s forum, which "
              "brings together more than two hundred scholars from twenty countries.\r\n"
              "\u2022\tFirst point of the programme\r\n"
              "o\tA point under it\r\n"
              "\u00a7\tAnd one under that\r\n"
              "\u2022\tSecond point\r\n"
              "\u00a0\u00a0\tWe look forward to \u201cthree days\u201d of\u00a0discussion.\r\n"
              "1)\tRegistration opens at nine\r\n"
              "2)\tThe first session starts at ten\r\n"
              "Yours sincerely,\x0bJohn Smith\r\n")
    out = html(pasted)
    paragraphs = re.findall(r"<p>(.*?)</p>", out, re.S)
    assert paragraphs[0] == "Dear colleagues,"
    assert paragraphs[1].startswith("It is with great pleasure")
    assert any(p.startswith("We look forward to \u201cthree days\u201d of\u00a0discussion.")
               for p in paragraphs)
    assert "Yours sincerely,<br />\nJohn Smith" in out
    assert re.search(r"<ul>\s*<li>First point of the programme\s*<ul>\s*<li>A point under it"
                     r"\s*<ul>\s*<li>And one under that", out)
    assert "<li>Second point</li>" in out
    assert re.search(r"<ol>\s*<li>Registration opens at nine</li>\s*"
                     r"<li>The first session starts at ten</li>", out)
    assert "\u2022" not in out and "\r" not in out and "\t" not in out


def test_hand_wrapped_markdown_is_left_as_it_is():
    text = "A paragraph wrapped by hand\nat a comfortable width,\nover three lines.\n\nNext."
    assert html(text).count("<p>") == 2
    assert normalise(text)[0] == text


def test_line_breaks_setting():
    text = "Short line one\nShort line two"
    assert html(text).count("<p>") == 1
    assert html(text, line_breaks="paragraphs").count("<p>") == 2


def test_lines_keep_their_numbers_through_normalising():
    pasted = ("x" * 120 + "\n") * 3 + "Bad <i>html</i> here\n"
    assert error(pasted).line == 8 + 3


def test_dashes_and_indents_that_are_not_lists():
    # An attribution after a quotation is not a bullet; a Word en-dash bullet (with a tab) is.
    out = html("> Education is the lighting of a fire.\n\n— W. B. Yeats\n\n\u2013\tAn item\n")
    assert "<p>— W. B. Yeats</p>" in out and "<li>An item</li>" in out
    # Hand-written Markdown: an indented paragraph continues its list item.
    out = html("1. First item\n\n   Its second paragraph.\n\n2. Second item\n")
    assert re.search(r"<li>\s*<p>First item</p>\s*<p>Its second paragraph.</p>\s*</li>", out)
    # A non-breaking-space indent is not printed.
    assert "<p>Indented.</p>" in html("\u00a0\u00a0\u00a0Indented.")
