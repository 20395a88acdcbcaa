"""Chinese and bilingual publications (issue 14): the shipped Chinese faces, messages in
Chinese, translations in sequence and side by side, spans in another language, Chinese guest
names. One real build of a project with all of them, read back with poppler's tools."""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path

import pytest
import yaml
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from publisher.build import build
from publisher.build.personalise import personalise
from publisher.compose.cjk import space_han_latin
from publisher.errors import PublisherError
from publisher.hashing import file_digest
from publisher.preflight.fonts import fallback_fix
from publisher.sources.fetch import PACKAGES

from . import pdftools
from .conftest import REPO, copy_project

LAYOUTS = sorted(p.parent.name for p in (REPO / "layouts").glob("*/theme.yaml"))
CLOSING = "，。、；：？！）」』"
OPENING = "（「『"

ZH_MESSAGE = """---
title: 北京工业大学校长致辞
institution: 北京工业大学
short_name: 北工大
motto: 不息为体，日新为道
signatories:
  - name: 吴桂龙
    role: 校长
  - name: 聂祚仁
    role: 党委书记
language: zh
---

北京工业大学创建于1960年，是一所以工为主，理、工、经、管、文、法、艺术、教育相结合的**多科性市属重点大学**。学校1981年成为国家首批硕士学位授予单位，1985年开始招收博士研究生，1996年通过国家“211工程”预审，2017年进入国家“双一流”建设高校行列。

六十余年来，学校秉承“不息为体，日新为道”的校训，为国家和首都培养了逾16万名高素质人才。我们将继续坚持立德树人，深化教育教学改革，推进AI与工程教育的深度融合，努力建设国际知名、有特色、高水平研究型大学（详见学校2026年发展规划）。

欢迎各位嘉宾莅临“北京合作大学论坛”！愿我们携手共进、再创辉煌。
"""

TRANSLATION = """---
title: 校长致辞
institution: 北京科技大学
motto: 求实鼎新
signatories:
  - name: 武贵龙
    role: 党委书记
  - name: 杨仁树
    role: 校长
---

求实七十载，鼎新向百年。值此北京科技大学建校70周年之际，我们谨向全体教职员工、同学们、离退休老同志、海内外校友以及长期关心支持学校发展的社会各界朋友致以诚挚的感谢和崇高的敬意！

七十年来，一代代北科大人勤勉笃行、厚德育人。学校始终坚持“求实鼎新”的校训，秉承“学风严谨，崇尚实践”的优良传统，形成了鲜明的学科优势和办学特色。

不忘初心，方得始终。在新时代新征程上，学校将落实立德树人根本任务，为实现中华民族伟大复兴贡献北科大力量。
"""

COLUMNS = """---
title: Welcome from the Dean
institution: School of Engineering
bilingual: columns
signatories:
  - name: Margaret Osei
    role: Dean
---

It is my pleasure to welcome our colleagues from Beijing, among them Professor [吴桂龙]{lang=zh}, to the School of Engineering.

Our partnership began in 2019 with a single exchange of doctoral students. Today it spans joint laboratories, summer schools and a shared master's programme.
"""

COLUMNS_ZH = """---
title: 工程学院院长致辞
signatories:
  - name: 玛格丽特·奥塞
    role: 院长
---

我谨代表工程学院，热烈欢迎来自北京的各位同仁，其中包括吴桂龙教授。

我们的合作始于2019年的一次博士生交流。如今，合作已涵盖联合实验室、暑期学校以及共同的硕士项目。
"""


def han(text: str) -> set[str]:
    return {c for c in text if "CJK UNIFIED" in unicodedata.name(c, "")}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("chinese") / "project")
    messages = root / "content/messages"
    (messages / "bjut-zh.md").write_text(ZH_MESSAGE)
    (messages / "ustb-chancellor-president.zh.md").write_text(TRANSLATION)
    (messages / "engineering-dean.md").write_text(COLUMNS)
    (messages / "engineering-dean.zh.md").write_text(COLUMNS_ZH)
    return root


@pytest.fixture(scope="module")
def built(project):
    return build(project, jobs=1)


# -- fonts ---------------------------------------------------------------------------------

def test_the_chinese_faces_are_the_pinned_files_with_their_licence():
    for package in PACKAGES:
        for target, digest in package.files.values():
            path = REPO / "fonts" / target
            assert file_digest(path) == digest, target
            assert "SIL Open Font License" in (path.parent / "OFL.txt").read_text()


def test_the_chinese_faces_cover_the_common_characters_and_punctuation():
    # GB 2312's 6,763 characters: every name and text in everyday Simplified Chinese.
    common = {bytes([high, low]).decode("gb2312", errors="ignore")
              for high in range(0xB0, 0xF8) for low in range(0xA1, 0xFF)} - {""}
    assert len(common) > 6700
    for path in sorted((REPO / "fonts").glob("noto-*-sc/*.ttf")):
        cmap = TTFont(path, lazy=True).getBestCmap()
        missing = [c for c in common | set(CLOSING + OPENING + "“”·")
                   if ord(c) not in cmap]
        assert not missing, (path.name, "".join(missing[:20]))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_font_stack_names_a_chinese_family_after_its_latin_one(layout):
    theme = yaml.safe_load((REPO / "layouts" / layout / "theme.yaml").read_text())
    declared = {face["family"] for face in theme["font_faces"]}
    for role, stack in theme["fonts"].items():
        families = [name.strip() for name in stack.split(",")]
        assert len(families) >= 2 and families[1] in ("Noto Serif SC", "Noto Sans SC"), role
        assert set(families) <= declared, role
    chinese = {(face["family"], face.get("weight", 400)) for face in theme["font_faces"]
               if face["family"].startswith("Noto")}
    for family in {family for family, _ in chinese}:
        assert {(family, 400), (family, 700)} <= chinese, family  # bold is a true bold


# -- a Chinese message, translations, spans -----------------------------------------------------

def test_every_chinese_character_prints_in_brochures_and_booklet(project, built):
    booklet = pdftools.text(built.booklet.path)
    for name, source in (("bjut-zh", ZH_MESSAGE), ("ustb-chancellor-president", TRANSLATION),
                         ("engineering-dean", COLUMNS_ZH + COLUMNS)):
        brochure = pdftools.text(project / f"out/brochures/{name}.pdf")
        expected = han(source)
        assert expected and not expected - han(brochure), (name, expected - han(brochure))
        assert not expected - han(booklet), (name, expected - han(booklet))


def test_only_the_projects_fonts_print(built):
    allowed = {"EB-Garamond", "Lato", "Noto-Serif-SC", "Noto-Sans-SC"}
    for pdf in (built.booklet.path, *(o.path for o in built.brochures)):
        for font in pdftools.fonts(pdf):
            family = re.sub(r"^[A-Z]{6}\+", "", font["name"])
            assert any(family.startswith(name) for name in allowed), (pdf.name, font)
            assert font["emb"] == "yes" and font["sub"] == "yes", (pdf.name, font)


def test_the_preflight_is_clean(built):
    problems = [(report.path, finding.check, finding.message) for report in built.reports
                for finding in report.findings if finding.severity in ("error", "warning")]
    assert not problems


def test_no_line_starts_with_closing_or_ends_with_opening_punctuation(built):
    lines = pdftools.text(built.booklet.path, layout=True).splitlines()
    chinese = [line for line in lines if han(line)]
    assert len(chinese) > 20
    for line in lines:
        # pdftotext -layout sets the two columns of a page on one line: check each run.
        for run in re.split(r"\s{3,}", line.strip()):
            assert not run or run[0] not in CLOSING, line
            assert not run or run[-1] not in OPENING, line


def test_han_and_latin_are_spaced_and_the_text_is_not_stretched(project, built):
    text = pdftools.text(project / "out/brochures/bjut-zh.pdf")
    squeezed = re.sub(r"\s+", "", text)
    assert "1960年" in squeezed
    # A quarter-em space between Han and digits: pdftotext shows it as a space.
    assert re.search(r"于\s+1960\s+年", text)
    assert space_han_latin("<p title='学A'>学校1981年，AI与Garamond</p>") == \
        "<p title='学A'>学校\u20051981\u2005年，AI\u2005与\u2005Garamond</p>"


def test_the_contents_and_bookmarks_show_both_titles(built):
    contents = " ".join(pdftools.text(built.booklet.path, 2, 2).split())
    for title in ("Message From the Chancellor and the President", "校长致辞",
                  "Welcome from the Dean", "工程学院院长致辞", "北京工业大学校长致辞"):
        assert title in contents, title
    outline = [item.title for item in PdfReader(built.booklet.path).outline]
    assert any("校长致辞" in title and "Chancellor" in title for title in outline)
    assert any(title.endswith("北京工业大学校长致辞") for title in outline)


def test_a_sequential_translation_starts_its_own_page_with_its_signatories(project, built):
    pdf = project / "out/brochures/ustb-chancellor-president.pdf"
    pages = [" ".join(pdftools.text(pdf, n, n).split())
             for n in range(1, pdftools.page_count(pdf) + 1)]
    start = next(n for n, page in enumerate(pages) if "校长致辞" in page)
    assert "Seeking truth" not in pages[start] and "求实七十载" in pages[start]
    assert "武贵龙" in " ".join(pages[start:]) and "WU Guilong" in " ".join(pages[:start])
    # The English standfirst is not repeated as if it were the translation's.
    assert "quality education" not in " ".join(pages[start:])


def test_side_by_side_sets_each_paragraph_level_with_its_translation(project, built):
    pdf = project / "out/brochures/engineering-dean.pdf"
    lines = pdftools.text(pdf, layout=True).splitlines()
    english = next(n for n, line in enumerate(lines) if "It is my pleasure" in line)
    assert "我谨代表工程学院" in lines[english]  # the same line across the page
    second = next(n for n, line in enumerate(lines) if "Our partnership began" in line)
    assert "我们的合作始于" in lines[second]
    text = " ".join(pdftools.text(pdf).split())
    assert "Margaret Osei" in text and "玛格丽特·奥塞" in text


def test_a_span_in_another_language_is_marked(project):
    from publisher.sources.config import load_project
    from publisher.sources.content import read_messages

    messages = {m.slug: m for m in read_messages(load_project(project))}
    assert '<span lang="zh">吴桂龙</span>' in messages["engineering-dean"].body_html
    assert messages["engineering-dean"].translation.language == "zh"


def test_a_translation_without_its_message_is_an_error(project, tmp_path):
    root = copy_project(tmp_path / "p")
    (root / "content/messages/nobody.zh.md").write_text(TRANSLATION)
    with pytest.raises(PublisherError) as caught:
        build(root, jobs=1, check=False)
    assert "nobody.zh.md is a translation of nobody.md, which does not exist" in str(caught.value)


def test_a_translation_naming_other_signatories_is_an_error(tmp_path):
    root = copy_project(tmp_path / "p")
    (root / "content/messages/ustb-chancellor-president.zh.md").write_text(
        TRANSLATION.replace("  - name: 杨仁树\n    role: 校长\n", ""))
    with pytest.raises(PublisherError) as caught:
        build(root, jobs=1, check=False)
    assert "names 1 signatories, the message 2" in str(caught.value)
    assert caught.value.line == 5  # signatories:


# -- adding a font ------------------------------------------------------------------------------

def test_font_faces_in_the_overrides_add_to_the_layouts(tmp_path):
    from publisher.compose.layout import Layout
    from publisher.sources.config import load_project

    root = copy_project(tmp_path / "p")
    shutil.copy(REPO / "fonts/lato/Lato-Regular.ttf", root / "fonts/extra.ttf")
    (root / "layouts/overrides").mkdir(exist_ok=True)
    (root / "layouts/overrides/theme.yaml").write_text(
        "font_faces:\n  - {family: Extra Face, src: extra.ttf}\n"
        "fonts:\n  text: EB Garamond, Noto Serif SC, Extra Face\n")
    layout = Layout(load_project(root))
    families = {face.family for face in layout.theme.font_faces}
    assert {"EB Garamond", "Lato", "Noto Serif SC", "Extra Face"} <= families
    assert layout.tokens.font("text") == '"EB Garamond", "Noto Serif SC", "Extra Face"'

    (root / "layouts/overrides/theme.yaml").write_text(
        "font_faces:\n  - {family: Extra Face, src: missing.ttf}\n")
    with pytest.raises(PublisherError) as caught:
        Layout(load_project(root))
    assert caught.value.path.name == "theme.yaml" and "overrides" in str(caught.value.path)
    assert caught.value.line == 2


def test_the_advice_for_a_missing_script_is_the_yaml_to_write():
    fix = fallback_fix("안녕하세요")
    assert "Korean" in fix and "layouts/overrides/theme.yaml" in fix
    assert "font_faces: [{family: Noto Serif KR, src: noto-serif-kr/NotoSerifKR-Regular.ttf}]" \
        in fix


def test_korean_text_is_a_fallback_finding_not_silence(tmp_path):
    root = copy_project(tmp_path / "p")
    path = root / "content/messages/bjut-leadership.md"
    path.write_text(path.read_text().replace("As the only member", "환영합니다. As the only member"))
    result = build(root, jobs=1)
    # Empty boxes where no font of the machine has Hangul; a machine font where one does.
    found = [f for report in result.reports for f in report.findings
             if f.check in ("fonts.fallback", "fonts.notdef")]
    assert found and "Korean" in found[0].fix


# -- personalised runs -------------------------------------------------------------------------

def test_chinese_guest_names_print_in_the_chinese_face(project, tmp_path):
    data = tmp_path / "guests.csv"
    data.write_text("name,organisation\n吴桂龙,北京科技大学\n杨仁树,北京科技大学\n",
                    encoding="utf-8")
    result = personalise(project, data, tmp_path / "out", message="bjut-leadership", jobs=1)
    names = sorted(path.name for path in result.folder.glob("*.pdf"))
    assert names == ["wu-gui-long.pdf", "yang-ren-shu.pdf"]
    cover = pdftools.text(result.folder / "wu-gui-long.pdf", 1, 1)
    assert "吴桂龙" in cover
    faces = {re.sub(r"^[A-Z]{6}\+", "", font["name"])
             for font in pdftools.fonts(result.folder / "wu-gui-long.pdf")}
    assert any(face.startswith("Noto-S") for face in faces), faces
    assert not [f for report in result.reports for f in report.findings
                if f.severity == "error"]


def test_a_chinese_letter_greets_in_chinese(project, tmp_path):
    from publisher.compose.layout import Layout
    from publisher.sources.config import load_project
    from publisher.sources.content import read_messages

    root = copy_project(tmp_path / "p")
    shutil.copy(project / "content/messages/bjut-zh.md", root / "content/messages/")
    config = root / "content/publication.yaml"
    config.write_text(config.read_text().replace("layout: classic", "layout: letter"))
    loaded = load_project(root)
    messages = {m.slug: m for m in read_messages(loaded)}
    layout = Layout(loaded)
    chinese = layout.html("brochure", messages=[messages["bjut-zh"]], personal=False)
    assert "各位同仁、朋友们：" in chinese and "Dear colleagues" not in chinese
    english = layout.html("brochure", messages=[messages["bjut-leadership"]], personal=False)
    assert "Dear colleagues and friends," in english
    # Only documents with characters the Latin faces lack load the Chinese ones.
    assert "NotoSerifSC" in chinese and "NotoSerifSC" not in english
