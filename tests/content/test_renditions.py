"""Renditions: exact sizes, limits met, subject kept, metadata gone, sRGB."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image, ImageCms

from connections.models import Network
from content.renditions import (
    FORMATS,
    NETWORK_IMAGE_LIMITS,
    TARGET_QUALITY,
    Rendition,
    SourceTooSmall,
    crop_box_for,
    focus_point,
    prepare,
    render,
    render_for_network,
)

GPS_IFD = 0x8825
XMP_NS = b"http://ns.adobe.com/xap/1.0/"


def _jpeg(image: Image.Image, **kw: object) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, **kw)
    return out.getvalue()


def _photo(size: tuple[int, int], *, grain: int = 3, sigma: float = 40) -> np.ndarray:
    """Photo-like: smooth gradients, plus ±`sigma` per-channel noise in cells of
    `grain` pixels (coarse, so that it survives the downscale as real texture
    does; the worst case for a JPEG encoder)."""
    w, h = size
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack(
        [40 + 120 * x / w, 60 + 100 * y / h, 80 + 60 * np.sin(x / w * 6) ** 2], -1
    )
    cells = rng.integers(0, 2, (h // grain + 1, w // grain + 1, 3)) * 2.0 - 1.0
    noise = cells.repeat(grain, 0).repeat(grain, 1)[:h, :w] * sigma
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def _with_subject(size: tuple[int, int], centre: tuple[int, int]) -> Image.Image:
    """A smooth, faintly noisy background with one textured bright disc."""
    w, h = size
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    pixels = np.stack([90 + 40 * x / w, 110 + 30 * y / h, 120 + 0 * x], -1)
    pixels += rng.normal(0, 4, pixels.shape)
    radius = min(w, h) * 0.08
    disc = (x - centre[0]) ** 2 + (y - centre[1]) ** 2 <= radius**2
    checks = (((x // 12) + (y // 12)) % 2).astype(np.float32)
    texture = 170 + 70 * checks[..., None] + rng.normal(0, 15, pixels.shape)
    pixels[disc] = texture[disc]
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def _contains(box: tuple[float, ...], point: tuple[float, float]) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def _centre_box(size: tuple[int, int], fmt: str) -> tuple[float, ...]:
    return crop_box_for(size, FORMATS[fmt], (size[0] / 2, size[1] / 2))


def _decoded(r: Rendition) -> Image.Image:
    image = Image.open(io.BytesIO(r.data))
    image.load()
    return image


@pytest.fixture(scope="module")
def noisy_photo() -> bytes:
    """A 4000x3000 JPEG that does not fit Bluesky at the target quality."""
    return _jpeg(Image.fromarray(_photo((4000, 3000), grain=4, sigma=110)))


def test_every_network_of_the_product_has_limits() -> None:
    assert set(NETWORK_IMAGE_LIMITS) == set(Network.values)
    for limits in NETWORK_IMAGE_LIMITS.values():
        assert limits.formats and set(limits.formats) <= set(FORMATS)


@pytest.mark.parametrize(
    ("source_size", "kind"),
    [((4000, 3000), "JPEG"), ((3001, 2003), "PNG"), ((2000, 2600), "image")],
)
def test_every_format_has_its_exact_size(
    source_size: tuple[int, int], kind: str
) -> None:
    image = Image.fromarray(_photo(source_size, sigma=10))
    if kind == "image":
        source: bytes | Image.Image = image
    else:
        out = io.BytesIO()
        image.save(out, kind)
        source = out.getvalue()
    renditions = render(source)
    assert [r.format for r in renditions] == list(FORMATS)
    for r in renditions:
        assert (r.width, r.height) == FORMATS[r.format]
        assert _decoded(r).size == FORMATS[r.format]
        assert r.bytes == len(r.data)


def test_bluesky_renditions_of_a_noisy_4000x3000_photo_stay_under_1000000_bytes(
    noisy_photo: bytes,
) -> None:
    renditions = render_for_network(noisy_photo, "bluesky")
    assert [r.format for r in renditions] == ["square", "portrait", "landscape"]
    for r in renditions:
        assert r.bytes <= 1_000_000, r
        assert r.content_type in {"image/jpeg", "image/png"}
        assert _decoded(r).size == FORMATS[r.format]
    # The limit was binding: without the search this test would prove nothing.
    assert any(r.quality is not None and r.quality < TARGET_QUALITY for r in renditions)
    unlimited = render(noisy_photo, formats=["portrait"])[0]
    assert unlimited.bytes > 1_000_000


def test_a_caller_limit_replaces_mastodons_and_only_lowers_the_others(
    noisy_photo: bytes,
) -> None:
    small = render_for_network(noisy_photo, "mastodon", max_bytes=900_000)
    assert all(r.bytes <= 900_000 for r in small)
    assert min(r.quality or 100 for r in small) < 85  # the limit did bite
    raised = render_for_network(noisy_photo, "bluesky", max_bytes=50_000_000)
    assert all(r.bytes <= 1_000_000 for r in raised)


def test_instagram_gets_only_sizes_within_its_aspect_and_width(
    noisy_photo: bytes,
) -> None:
    renditions = render_for_network(noisy_photo, "instagram")
    assert {r.format for r in renditions} == {"square", "portrait"}
    for r in renditions:
        assert 4 / 5 <= r.width / r.height <= 1.91
        assert 320 <= r.width <= 1440
        assert r.content_type == "image/jpeg"
        assert r.bytes <= 8 * 1024 * 1024


@pytest.mark.parametrize(
    ("size", "subject", "formats"),
    [
        ((2400, 1800), (2130, 900), ["square", "portrait", "story"]),
        ((1800, 2400), (900, 260), ["landscape", "wide"]),
    ],
)
def test_the_crop_keeps_an_off_centre_subject_a_centre_crop_would_cut(
    size: tuple[int, int], subject: tuple[int, int], formats: list[str]
) -> None:
    image = _with_subject(size, subject)
    fx, fy = focus_point(image)
    assert abs(fx - subject[0]) < size[0] * 0.06
    assert abs(fy - subject[1]) < size[1] * 0.06

    renditions = render(_jpeg(image), formats=formats)
    for r in renditions:
        assert not _contains(_centre_box(size, r.format), subject), r.format
        assert _contains(r.crop_box, subject), (r.format, r.crop_box)
        # And the subject is in the pixels: bright where the box puts it.
        left, top, right, bottom = r.crop_box
        x = (subject[0] - left) / (right - left) * r.width
        y = (subject[1] - top) / (bottom - top) * r.height
        patch = _decoded(r).convert("L").crop((x - 20, y - 20, x + 20, y + 20))
        assert np.asarray(patch).mean() > 180, r.format


def test_a_flat_image_is_focused_on_its_centre() -> None:
    assert focus_point(Image.new("RGB", (400, 300), (10, 200, 30))) == (200, 150)


def test_exif_gps_and_xmp_are_gone_and_the_orientation_is_applied() -> None:
    upright = Image.new("RGB", (2400, 1800), (220, 20, 20))
    upright.paste((20, 20, 220), (1200, 0, 2400, 1800))  # left red, right blue
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # as a phone stores it
    exif = Image.Exif()
    exif[0x0112] = 6  # display rotated 90° clockwise
    exif[0x010F] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 0.0)}
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
        b'"http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>'
    )
    source = _jpeg(stored, exif=exif.tobytes(), xmp=xmp)
    # The source really carries what must go.
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(GPS_IFD)
    assert XMP_NS in source or b"xmpmeta" in source

    for r in render(source):
        assert b"Exif" not in r.data and b"xmpmeta" not in r.data
        assert b"PhoneMaker" not in r.data
        out = _decoded(r)
        assert not out.getexif()
        assert not out.getexif().get_ifd(GPS_IFD)
        assert {"exif", "xmp", "icc_profile"}.isdisjoint(out.info)
        rgb = out.convert("RGB")
        left = rgb.getpixel((20, r.height // 2))
        right = rgb.getpixel((r.width - 20, r.height // 2))
        assert left[0] > 150 > left[2], (r.format, left)
        assert right[2] > 150 > right[0], (r.format, right)


def _adobe_rgb_profile() -> bytes:
    """A minimal ICC v2 display profile for Adobe RGB (1998): D50-adapted
    primaries, gamma 563/256."""

    def s15(v: float) -> bytes:
        return struct.pack(">i", round(v * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ \0\0\0\0" + s15(x) + s15(y) + s15(z)

    text = b"Adobe RGB (1998) test\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text
    desc += b"\0" * 8 + b"\0\0\0" + b"\0" * 67
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, 563) + b"\0\0"
    tags = [
        (b"desc", desc),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.6097, 0.3111, 0.0195)),
        (b"gXYZ", xyz(0.2053, 0.6257, 0.0609)),
        (b"bXYZ", xyz(0.1492, 0.0632, 0.7446)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for sig, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (
        struct.pack(">I", size)
        + b"none"
        + bytes([2, 0x10, 0, 0])
        + b"mntrRGB XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 24
        + struct.pack(">I", 0)
        + s15(0.9642)
        + s15(1.0)
        + s15(0.8249)
        + b"\0" * 48
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


def _adobe_to_srgb(rgb: tuple[int, int, int]) -> np.ndarray:
    """The conversion by the published D65 matrices, independent of LittleCMS."""
    linear = (np.array(rgb) / 255) ** (563 / 256)
    to_xyz = np.array(
        [[0.5767, 0.1856, 0.1882], [0.2974, 0.6273, 0.0753], [0.0270, 0.0707, 0.9911]]
    )
    to_srgb = np.array(
        [
            [3.2406, -1.5372, -0.4986],
            [-0.9689, 1.8758, 0.0415],
            [0.0557, -0.2040, 1.0570],
        ]
    )
    lin = np.clip(to_srgb @ (to_xyz @ linear), 0, 1)
    encoded = np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055)
    return encoded * 255


def test_an_adobe_rgb_image_ends_srgb_without_a_profile() -> None:
    colour = (60, 150, 90)
    profile = _adobe_rgb_profile()
    ImageCms.ImageCmsProfile(io.BytesIO(profile))  # a profile LittleCMS accepts
    image = Image.new("RGB", (1920, 1920), colour)
    expected = _adobe_to_srgb(colour)
    assert np.abs(expected - colour).max() > 15  # the test can tell a miss
    for fmt in ("JPEG", "PNG"):
        out = io.BytesIO()
        image.save(out, fmt, icc_profile=profile)
        for r in render(out.getvalue(), formats=["square", "landscape"]):
            decoded = _decoded(r)
            assert "icc_profile" not in decoded.info
            got = np.array(decoded.convert("RGB").getpixel((100, 100)))
            assert np.abs(got - expected).max() <= 4, (fmt, got, expected)


def test_transparency_stays_png_and_is_flattened_for_jpeg_only_networks() -> None:
    logo = Image.new("RGBA", (1600, 1600), (0, 0, 0, 0))
    logo.paste((230, 90, 20, 255), (500, 500, 1100, 1100))
    out = io.BytesIO()
    logo.save(out, "PNG")
    square = render(out.getvalue(), formats=["square"])[0]
    assert square.content_type == "image/png"
    assert _decoded(square).mode == "RGBA"
    assert _decoded(square).getpixel((5, 5))[3] == 0

    for r in render_for_network(out.getvalue(), "instagram"):
        assert r.content_type == "image/jpeg"
        assert _decoded(r).convert("RGB").getpixel((5, 5)) == (255, 255, 255)


def test_a_flat_graphic_is_png_and_a_photo_jpeg() -> None:
    card = Image.new("RGB", (2000, 2000), (20, 40, 90))
    card.paste((250, 200, 0), (300, 800, 1700, 1200))
    assert render(card, formats=["square"])[0].content_type == "image/png"
    photo = Image.fromarray(_photo((2000, 2000), sigma=10))
    assert render(photo, formats=["square"])[0].content_type == "image/jpeg"


def test_a_source_too_small_is_refused_not_silently_blown_up() -> None:
    with pytest.raises(SourceTooSmall, match="story format"):
        render(Image.new("RGB", (800, 600), (9, 9, 9)), formats=["story"])
    # Up to 1.5x is accepted: 1080/720.
    (r,) = render(Image.new("RGB", (720, 720), (9, 9, 9)), formats=["square"])
    assert (r.width, r.height) == (1080, 1080)


def test_prepare_once_serves_many_networks_and_keeps_the_alt_text(
    noisy_photo: bytes,
) -> None:
    prepared = prepare(noisy_photo)
    assert prepared.image.size == (4000, 3000)  # story needs 0.64x: no 1/2 draft
    a = render_for_network(prepared, "x", alt_text="Our new roast")
    b = render_for_network(prepared, "x")
    assert [r.data for r in a] == [r.data for r in b]
    assert {r.alt_text for r in a} == {"Our new roast"}


def test_a_big_jpeg_is_decoded_at_a_reduced_scale_when_the_formats_allow() -> None:
    source = _jpeg(Image.fromarray(_photo((4000, 3000), sigma=5)))
    prepared = prepare(source, formats=["landscape"])
    assert prepared.image.size == (2000, 1500)
    (r,) = render(prepared, formats=["landscape"])
    assert (r.width, r.height) == (1200, 628)
    assert r.crop_box[2] - r.crop_box[0] == 4000


# -- the visible AI label --------------------------------------------------------


def _rgb(rendition) -> Image.Image:
    return Image.open(io.BytesIO(rendition.data)).convert("RGB")


def test_a_label_is_drawn_bottom_right_and_nowhere_else() -> None:
    grey = Image.new("RGB", (1600, 1200), (200, 200, 200))
    (plain,) = render(grey, formats=["square"])
    (labelled,) = render(grey, formats=["square"], label="Made with AI")
    a, b = np.asarray(_rgb(plain), int), np.asarray(_rgb(labelled), int)
    changed = np.argwhere(np.abs(a - b).sum(axis=2) > 60)
    assert len(changed), "no label drawn"
    ys, xs = changed[:, 0], changed[:, 1]
    assert ys.min() > 1080 * 0.85 and xs.min() > 1080 * 0.5  # its corner only
    corner = np.asarray(_rgb(labelled))[int(ys.min()) :, int(xs.min()) :]
    assert corner.min() < 60 and corner.max() > 230  # dark badge, white text


def test_make_renditions_labels_only_the_policys_networks(tenant) -> None:
    from content.services.assets import make_renditions

    grey = Image.new("RGB", (2000, 2000), (200, 200, 200))
    cuts = make_renditions(
        grey,
        workspace=tenant.workspace,
        networks=[Network.INSTAGRAM, Network.BLUESKY],
        label="Made with AI",
        label_networks={Network.INSTAGRAM},
    )

    def marked(rendition) -> bool:
        pixels = np.asarray(_rgb(rendition), int)
        return bool((np.abs(pixels - 200).sum(axis=2) > 60).any())

    by_network = {(n, c.format): marked(c) for n, c in cuts}
    assert by_network and all(
        flag == (network == Network.INSTAGRAM)
        for (network, _), flag in by_network.items()
    ), by_network


@pytest.mark.parametrize(
    "setting, policy, networks, expected",
    [
        (False, "always", [], {"label": "", "label_networks": None}),
        (True, "always", [], {"label": "Made with AI", "label_networks": None}),
        (
            True,
            "per_channel",
            ["instagram"],
            {"label": "Made with AI", "label_networks": frozenset({"instagram"})},
        ),
        (True, "never", [], {"label": "", "label_networks": None}),
    ],
)
def test_the_visible_label_follows_the_setting_and_the_brand_policy(
    settings, setting, policy, networks, expected
) -> None:
    from content.services.image_generation import disclosure_for, visible_label
    from tests.factories import BrandProfileFactory

    settings.IMAGE_VISIBLE_AI_LABEL = setting
    brand = BrandProfileFactory.build(
        ai_disclosure=policy, ai_disclosure_networks=networks
    )
    assert visible_label(disclosure_for(brand, True)) == expected
    assert visible_label(disclosure_for(brand, False))["label"] == ""
