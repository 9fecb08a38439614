"""engine.media: image sources, normalisation, limits, URL rules and video streams."""

from __future__ import annotations

import base64
import http.server
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine import Image, InputError, Video, media


def _png(img: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", img)
    assert ok
    return buf.tobytes()


def _jpg(img: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    return buf.tobytes()


def _exif_jpeg(img: np.ndarray, orientation: int) -> bytes:
    """A JPEG with a hand-built APP1 EXIF segment holding only the Orientation tag."""
    ifd = struct.pack(">H", 1) + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)
    tiff = b"MM\x00*" + struct.pack(">I", 8) + ifd + struct.pack(">I", 0)
    payload = b"Exif\x00\x00" + tiff
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    raw = _jpg(img)
    return raw[:2] + app1 + raw[2:]


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims a huge size (and whose data could never fill it)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    idat = zlib.compress(b"\x00" * 16)
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + struct.pack(">I", len(idat))
        + b"IDAT"
        + idat
        + struct.pack(">I", zlib.crc32(b"IDAT" + idat))
    )


def _pattern(w: int = 40, h: int = 20) -> np.ndarray:
    img = np.zeros((h, w, 3), np.uint8)
    img[:, : w // 4] = (255, 255, 255)  # white band on the left
    img[:, w // 4 : w // 2] = (0, 0, 255)  # then red
    return img


# ---------------------------------------------------------------- sources


def test_decodes_from_path_bytes_and_base64(tmp_path: Path) -> None:
    raw = _png(_pattern())
    path = tmp_path / "a.png"
    path.write_bytes(raw)
    for image in (
        Image.from_source(str(path)),
        Image.from_source(raw),
        Image(base64=base64.b64encode(raw).decode()),
        Image(base64="data:image/png;base64," + base64.b64encode(raw).decode()),
    ):
        arr = image.array
        assert arr.shape == (20, 40, 3) and arr.dtype == np.uint8
        assert tuple(arr[0, 15]) == (0, 0, 255)
        assert image.image_info is not None and image.image_info.width == 40


def test_missing_file_and_bad_base64_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        media.decode_image(Image.from_source(str(tmp_path / "nope.png")))
    with pytest.raises(InputError, match="not valid base64"):
        media.decode_image(Image(base64="%%%not base64%%%"))
    with pytest.raises(InputError, match="no pixels"):
        media.decode_image(Image())


# ---------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    "orientation,shape,white_at",
    [
        (1, (20, 40), (0, 0)),  # as stored: white band on the left
        (3, (20, 40), (19, 39)),  # rotated 180: white on the right
        (6, (40, 20), (0, 19)),  # rotated 90 clockwise: white band at the top
        (8, (40, 20), (39, 0)),  # rotated 90 counter-clockwise: white at the bottom
    ],
)
def test_exif_orientation_is_applied(
    orientation: int, shape: tuple[int, int], white_at: tuple[int, int]
) -> None:
    arr = media.decode_image_bytes(_exif_jpeg(_pattern(), orientation))
    assert arr.shape[:2] == shape
    assert arr[white_at].min() > 200


def test_gray_16bit_and_rgba_become_8bit_bgr() -> None:
    gray = np.full((8, 8), 128, np.uint8)
    deep = np.full((8, 8, 3), 40000, np.uint16)
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[:4, :, 3] = 255  # top half opaque black, bottom half transparent
    for img in (gray, deep, rgba):
        out = media.decode_image_bytes(_png(img))
        assert out.shape == (8, 8, 3) and out.dtype == np.uint8
    assert media.decode_image_bytes(_png(gray))[0, 0, 0] == 128
    assert media.decode_image_bytes(_png(deep))[0, 0, 0] == 40000 >> 8
    flat = media.decode_image_bytes(_png(rgba))
    assert flat[0, 0].max() == 0 and flat[7, 0].min() == 255  # transparent is shown over white
    _, webp = cv2.imencode(".webp", rgba)
    flat = media.decode_image_bytes(webp.tobytes())
    assert flat[0, 0].max() == 0 and flat[7, 0].min() == 255


def test_to_bgr_handles_arrays_already_in_memory() -> None:
    assert media.to_bgr(np.zeros((3, 4), np.uint8)).shape == (3, 4, 3)
    assert media.to_bgr(np.ones((3, 4, 3), np.float32))[0, 0, 0] == 255


# ---------------------------------------------------------------- limits


def test_zero_bytes_truncated_and_non_images_are_refused() -> None:
    with pytest.raises(InputError, match="empty"):
        media.decode_image_bytes(b"", "x.png")
    jpg = _jpg(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    with pytest.raises(InputError, match="truncated JPEG"):
        media.decode_image_bytes(jpg[: len(jpg) // 2])
    png = _png(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    with pytest.raises(InputError, match="truncated or corrupt PNG"):
        media.decode_image_bytes(png[: len(png) // 2])
    with pytest.raises(InputError, match="not an image"):
        media.decode_image_bytes(b"hello, this is text and not a picture")


def test_decompression_bomb_is_refused_from_the_header(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match=r"100000x100000 .* more than the 100 MP limit"):
        media.decode_image_bytes(_png_claiming(100_000, 100_000))
    monkeypatch.setattr(media.settings, "max_pixels", 100)
    with pytest.raises(InputError, match="limit"):
        media.decode_image_bytes(_jpg(_pattern()))


# ---------------------------------------------------------------- URLs


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "a.png").write_bytes(_png(_pattern()))
    (tmp_path / "big.png").write_bytes(b"\x89PNG" + b"\x00" * 5000)
    _write_video(tmp_path / "v.mp4", frames=10, fps=10)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(tmp_path), **kwargs)  # type: ignore[arg-type]

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path == "/slow":  # trickles a byte at a time, never finishing in time
                self.send_response(200)
                self.end_headers()
                try:
                    for _ in range(20):
                        self.wfile.write(b"x")
                        self.wfile.flush()
                        time.sleep(0.05)
                except OSError:  # the client gave up, as it should
                    pass
                return
            if self.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", "file:///etc/passwd")
                self.end_headers()
                return
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_url_from_loopback_is_refused_unless_allowed(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPGRAPH_ALLOW_PRIVATE_URLS", raising=False)
    monkeypatch.setattr(media.settings, "allow_private_urls", False)
    with pytest.raises(InputError, match="private, loopback"):
        media.decode_image(Image(url=f"{server}/a.png"))
    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "1")
    assert media.decode_image(Image(url=f"{server}/a.png")).shape == (20, 40, 3)


def test_url_limits_and_schemes(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media.settings, "allow_private_urls", True)
    monkeypatch.setattr(media.settings, "max_image_bytes", 1000)
    with pytest.raises(InputError, match="1000-byte limit"):
        media.decode_image(Image(url=f"{server}/big.png"))
    with pytest.raises(InputError, match="HTTP 404"):
        media.decode_image(Image(url=f"{server}/missing.png"))
    with pytest.raises(InputError, match=r"file:///etc/passwd' is not allowed|scheme 'file'"):
        media.decode_image(Image(url=f"{server}/redirect"))
    monkeypatch.setattr(media.settings, "url_timeout_s", 0.3)
    with pytest.raises(InputError, match="longer than the time limit"):
        media.decode_image(Image(url=f"{server}/slow"))
    for url in ("file:///etc/passwd", "ftp://example.com/a.png", "data:image/png;base64,AAAA"):
        with pytest.raises(InputError, match="only http and https"):
            media.decode_image(Image(url=url))


# ---------------------------------------------------------------- video


def _write_video(
    path: Path, frames: int = 30, fps: float = 10.0, size: tuple[int, int] = (64, 48)
) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    assert writer.isOpened()
    w, h = size
    for i in range(frames):
        img = np.zeros((h, w, 3), np.uint8)
        x = (i * 2) % (w - 10)
        cv2.rectangle(img, (x, 10), (x + 10, 20), (255, 255, 255), -1)  # a square moving right
        writer.write(img)
    writer.release()
    return path


def test_video_info_and_sampling(tmp_path: Path) -> None:
    video = Video.from_source(str(_write_video(tmp_path / "v.mp4", frames=30, fps=10)))
    info = media.video_info(video)
    assert (info.width, info.height, info.frame_count) == (64, 48, 30)
    assert info.fps == pytest.approx(10.0) and info.duration_seconds == pytest.approx(3.0)
    frames = list(media.iter_frames(video, sample_ms=1000))
    assert [(i, t, n) for i, t, n, _ in frames] == [(0, 0, 0), (1, 1000, 10), (2, 2000, 20)]
    assert all(f.shape == (48, 64, 3) for *_, f in frames)
    assert media.estimated_samples(info, 1000) == 3
    every = list(media.iter_frames(video, sample_ms=100))
    assert len(every) == 30 == media.estimated_samples(info, 100)
    # frames really differ: the square moved between samples
    assert not np.array_equal(frames[0][3], frames[1][3])


def test_video_from_base64_and_bytes_cleans_up_its_temp_file(tmp_path: Path) -> None:
    raw = _write_video(tmp_path / "v.mp4", frames=5, fps=5).read_bytes()
    for video in (Video(base64=base64.b64encode(raw).decode()), Video.from_source(raw)):
        with media.open_video(video) as stream:
            temp = Path(stream.path)
            assert temp.exists() and len(list(stream.frames(200))) == 5
        assert not temp.exists()


def test_video_from_url(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media.settings, "allow_private_urls", True)
    assert len(list(media.iter_frames(Video(url=f"{server}/v.mp4"), 500))) == 2


def test_unreadable_videos_and_bad_sample_ms(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all" * 10)
    with pytest.raises(InputError, match="not a video"):
        list(media.iter_frames(Video.from_source(str(bad))))
    with pytest.raises(InputError, match="no such file"):
        media.video_info(Video.from_source(str(tmp_path / "missing.mp4")))
    with pytest.raises(InputError, match="empty"):
        media.video_info(Video.from_source(b""))
    with pytest.raises(InputError, match="between 100 and 60000"):
        list(media.iter_frames(Video.from_source(str(bad)), sample_ms=50))


def test_a_tiff_bomb_is_refused_before_its_pixels_are_allocated() -> None:
    ok, buf = cv2.imencode(".tiff", np.zeros((12000, 12000), np.uint8))  # 144 MP of zeros
    assert ok
    with pytest.raises(InputError, match=r"more than the 100 MP limit"):
        media.decode_image_bytes(buf.tobytes())


# ---------------------------------------------------------------- memory per decode


def _png_header(width: int, height: int, depth: int, color_type: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk
        + struct.pack(">I", zlib.crc32(chunk))
    )


@pytest.mark.parametrize(
    ("width", "height", "depth", "color_type", "megabytes"),
    [(9950, 9950, 16, 6, 755), (9950, 9950, 16, 4, 755), (12000, 8000, 8, 6, 366)],
    ids=["99MP-rgba16", "99MP-gray-alpha16", "96MP-rgba8"],
)
def test_a_decode_is_bounded_in_bytes_not_only_pixels(
    monkeypatch: pytest.MonkeyPatch, width: int, height: int, depth: int, color_type: int,
    megabytes: int,
) -> None:
    monkeypatch.setattr(media.settings, "max_decode_bytes", 300 << 20)
    with pytest.raises(InputError, match=rf"would take {megabytes} MB to decode .* 300 MB limit"):
        media.decode_image_bytes(_png_header(width, height, depth, color_type))


def test_a_small_16_bit_rgba_png_fits_and_is_composited_over_white(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rgba = np.zeros((30, 40, 4), np.uint16)
    rgba[:, :20] = (0, 0, 65535, 65535)  # opaque red on the left, transparent on the right
    raw = _png(rgba)
    out = media.decode_image_bytes(raw)
    assert out.dtype == np.uint8 and tuple(out[0, 0]) == (0, 0, 255)
    assert tuple(out[0, 39]) == (255, 255, 255)
    monkeypatch.setattr(media.settings, "max_decode_bytes", 30 * 40 * 8 - 1)
    with pytest.raises(InputError, match="to decode"):
        media.decode_image_bytes(raw)


def test_to_bgr_converts_in_bands_with_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(1)
    bgra = rng.integers(0, 256, (37, 23, 4), dtype=np.uint8)
    whole = media.to_bgr(bgra)
    from engine import _pixels

    monkeypatch.setattr(_pixels, "_BAND_PIXELS", 50)  # two rows per band
    assert np.array_equal(media.to_bgr(bgra), whole)
    expected = bgra[:, :, :3] * (bgra[:, :, 3:] / 255.0) + 255.0 * (1 - bgra[:, :, 3:] / 255.0)
    assert np.abs(whole.astype(float) - expected).max() <= 0.5 + 1e-9
    assert media.to_bgr(np.ones((3, 4), np.bool_)).max() == 255
