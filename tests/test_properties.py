"""Property-based: whatever front matter and Markdown arrive, the content loader gives
messages or one clean PublisherError, nothing else (no other exception, no hang)."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher.sources.config import load_project
from publisher.sources.content import read_messages
from publisher.errors import PublisherError
from publisher.compose.layout import Layout

from .conftest import copy_project

KEYS = ["title", "institution", "short_name", "motto", "standfirst", "signatories", "language",
        "image", "image_caption", "draft", "unknown", "title "]
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                    st.text(max_size=40))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("properties"))
    for path in (root / "content/messages").glob("*.md"):
        path.unlink()
    config = root / "content/publication.yaml"
    config.write_text(config.read_text().replace(
        "  - bjut-leadership\n  - ustb-chancellor-president\n", "  []\n").replace(
        "messages:\n  []", "messages: []"))
    return root


def load(root) -> None:
    """Read the project and lay out what it has, as a build does before rendering."""
    loaded = load_project(root)
    messages = read_messages(loaded)
    layout = Layout(loaded)
    for message in messages:
        layout.html("brochure", messages=[message])


def check(root, text: str | bytes) -> None:
    path = root / "content/messages/generated.md"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load(root)
    except PublisherError as error:
        assert error.path is not None and error.fix, error.describe()
        assert "\n" not in error.describe(), error.describe()


yaml_like = st.dictionaries(st.sampled_from(KEYS), values, max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(front=yaml_like, body=st.text(max_size=400))
def test_generated_front_matter_and_markdown(project, front, body):
    import yaml

    text = "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + body
    check(project, text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(raw=st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_arbitrary_bytes_and_text(project, raw):
    check(project, raw if isinstance(raw, bytes) else "---\n" + raw)


def test_a_valid_generated_message_renders(tmp_path):
    root = copy_project(tmp_path / "p")
    shutil.copy(root / "content/messages/bjut-leadership.md",
                root / "content/messages/generated.md")
    load(root)


words = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(title=words, institution=words, name=words, role=words, body=st.text(max_size=600))
def test_generated_valid_messages_reach_the_templates(project, title, institution, name, role,
                                                      body):
    """Well-formed front matter holding any text: the templates escape it, or a clean error
    (an empty title, say) names the file."""
    import yaml

    front = {"title": title, "institution": institution,
             "signatories": [{"name": name, "role": role}]}
    text = "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + body
    check(project, text)
