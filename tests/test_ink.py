"""Total ink (issue 15): photos converted from RGB stay under the output condition's limit,
checked on Ghostscript's separations of the printed pages; the preflight finds colours and
pictures over it in anyone's file; the file names the condition its profile really is."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageMath
from pypdf import PdfReader, PdfWriter

from publisher.build import build
from publisher.compose.pictures import profile_ink, to_cmyk
from publisher.preflight import Options, preflight

from .conftest import copy_project
from .realistic import make_realistic

PROFILE = (Path(__file__).resolve().parent.parent / "publisher/press/profiles"
           / "FOGRA39L_coated.icc").read_bytes()


def night_photo(path: Path) -> Path:
    """A photo with deep shadows and saturated darks: where RGB-to-CMYK conversions pile ink
    up (a night sky, a dark suit, a navy banner)."""
    image = Image.new("RGB", (2800, 1750), (5, 5, 12))
    draw = ImageDraw.Draw(image)
    for step in range(40):
        shade = step * 3
        draw.rectangle((step * 70, 0, step * 70 + 70, 1750), fill=(shade // 3, shade // 2, shade))
    draw.ellipse((900, 500, 1900, 1500), fill=(20, 40, 90))
    draw.rectangle((0, 1400, 2800, 1750), fill=(0, 0, 0))
    draw.rectangle((0, 1100, 2800, 1400), fill=(32, 32, 32))  # FOGRA39L: 318% unlimited
    image.save(path, quality=92)
    return path


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("ink") / "project")
    make_realistic(root)
    night_photo(root / "content/images/night.jpg")
    message = root / "content/messages/dean-note.md"
    text = message.read_text().replace("image: ../images/dean.jpg", "image: ../images/night.jpg")
    message.write_text(text + "\n![The campus at night](../images/night.jpg)\n")
    return root


@pytest.fixture(scope="module")
def built(project):
    return build(project, jobs=1)


def separations(pdf: Path, folder: Path) -> list[Image.Image]:
    """Each page's total ink in percent × 255 / 100 (Ghostscript's CMYK separations summed,
    averaged over 2 × 2 pixels at 72 ppi: about 0.7 mm, the area a press prints)."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffsep", "-r72",
                    f"-sOutputFile={folder}/p%d.tif", str(pdf)], check=True)
    totals = []
    for number in range(1, len(PdfReader(pdf).pages) + 1):
        plates = [Image.open(folder / f"p{number}({name}).tif").convert("F")
                  for name in ("Cyan", "Magenta", "Yellow", "Black")]
        total = ImageMath.lambda_eval(  # separations are 255 where no ink is laid down
            lambda a: 4 * 255 - a["c"] - a["m"] - a["y"] - a["k"],
            c=plates[0], m=plates[1], y=plates[2], k=plates[3])
        totals.append(total.resize((total.width // 2, total.height // 2), Image.Resampling.BOX))
    return totals


def test_photos_stay_under_the_total_ink_limit_on_every_plate(project, built, tmp_path):
    assert shutil.which("gs"), "Ghostscript is installed by .ci/setup"
    limit = profile_ink(PROFILE)
    assert limit == 300.0
    for pdf in (project / "out/brochures/dean-note.pdf", built.booklet.path):
        worst = max(total.getextrema()[1] for total in separations(pdf, tmp_path / pdf.stem))
        assert worst * 100 / 255 <= limit + 1, (pdf.name, worst * 100 / 255)
        assert worst * 100 / 255 > 280  # the night photo is dark: the test measures something


def test_the_output_condition_names_the_embedded_profile_and_its_limit(built):
    intent = PdfReader(built.booklet.path).trailer["/Root"]["/OutputIntents"][0].get_object()
    assert intent["/OutputConditionIdentifier"] == "FOGRA39"
    assert intent["/OutputCondition"] == "FOGRA39L Coated, total ink at most 300%"
    assert intent["/DestOutputProfile"].get_object().get_data() == PROFILE


def test_our_outputs_with_photos_pass_the_ink_check(built):
    problems = [(r.path, f.check, f.message) for r in built.reports for f in r.findings]
    assert not problems


def test_conversion_keeps_every_colour_under_the_limit_it_is_given():
    ramp = Image.new("RGB", (256, 3))
    ramp.putdata([(v, v, v) for v in range(256)] + [(v, v // 2, 0) for v in range(256)]
                 + [(0, v // 3, v) for v in range(256)])
    for limit in (None, 280):
        converted = to_cmyk(ramp, PROFILE, limit=limit)
        most = max(sum(pixel) for pixel in converted.get_flattened_data()) * 100 / 255
        assert most <= (limit or 300), (limit, most)
    # Without a limit, FOGRA39L's own separation of dark greys goes over its 300% black.
    from PIL import ImageCms

    raw = ImageCms.applyTransform(ramp, ImageCms.buildTransform(
        ImageCms.createProfile("sRGB"), ImageCms.ImageCmsProfile(io.BytesIO(PROFILE)),
        "RGB", "CMYK", renderingIntent=ImageCms.Intent.PERCEPTUAL))
    assert max(sum(pixel) for pixel in raw.get_flattened_data()) * 100 / 255 > 305


def test_a_colour_over_the_limit_is_found_in_anyones_file(built):
    writer = PdfWriter(clone_from=built.booklet.path)
    from .test_preflight_rules import _draw, _written

    _draw(writer, b"q 1 1 1 1 k 100 100 20 20 re f Q")  # 400%: "registration" black
    data = _written(writer)
    findings = preflight(Path("x.pdf"), data=data).findings
    assert {(f.check, f.page) for f in findings} == {("colour.total-ink", 1)}
    assert "400%" in findings[0].message and "300%" in findings[0].message
    # A print shop's stricter limit is a setting.
    stricter = preflight(Path("x.pdf"), Options(total_ink=240), data=data).findings
    assert {f.check for f in stricter} == {"colour.total-ink"} and len(stricter) > 1


def test_a_picture_over_the_limit_is_found(built, tmp_path):
    writer = PdfWriter(clone_from=built.booklet.path)
    heavy = Image.new("CMYK", (300, 200), (250, 250, 250, 250))
    heavy.save(tmp_path / "heavy.pdf")  # Pillow writes a DeviceCMYK image page
    from pypdf import PdfReader as Reader

    page = Reader(tmp_path / "heavy.pdf").pages[0]
    writer.pages[0].merge_page(page)
    data = io.BytesIO()
    writer.write(data)
    findings = preflight(Path("x.pdf"), data=data.getvalue()).findings
    assert any(f.check == "colour.total-ink" and "picture" in f.message for f in findings)
