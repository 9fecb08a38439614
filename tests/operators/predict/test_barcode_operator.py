"""barcode-operator: each symbology, sizes, rotations, noise, both libraries, graph, params."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Context, Data, Image, InputError, ParamsError, Workflow
from operators.predict import _barcode_readers
from operators.predict.barcode_operator import BarcodeOperator

cv2 = pytest.importorskip("cv2")

# ZBar is a system library the package does not need: its tests run where it is installed
LIBRARIES = [
    "zxing",
    pytest.param(
        "pyzbar",
        marks=pytest.mark.skipif(
            _barcode_readers.pyzbar_missing() is not None, reason="libzbar0 is not installed"
        ),
    ),
]

LINEAR = {  # symbology -> (python-barcode name, payload, text a reader returns)
    "ean-13": ("ean13", "590123412345", "5901234123457"),
    "upc-a": ("upca", "03600029145", "036000291452"),
    "ean-8": ("ean8", "9638507", "96385074"),
    "upc-e": ("upce", "0123456", "01234565"),  # drawn by upc_e_pattern below
    "code-128": ("code128", "opgraph-128", "opgraph-128"),
    "code-39": ("code39", "OPG-39", "OPG-39"),
    "itf": ("itf", "12345678", "12345678"),
}


def linear_code(name: str, payload: str, module: int = 3, height: int = 80) -> np.ndarray:
    """A 1D code drawn from python-barcode's module pattern: black bars on white."""
    import barcode

    options = {"add_checksum": False} if name == "code39" else {}
    if name == "upce":  # python-barcode cannot draw UPC-E
        pattern = upc_e_pattern(LINEAR["upc-e"][2])
    else:
        pattern = barcode.get_barcode_class(name)(payload, **options).build()[0]
    row = np.array([0 if c == "1" else 255 for c in "0" * 12 + pattern + "0" * 12], np.uint8)
    return np.repeat(np.repeat(row[None, :], height, axis=0), module, axis=1)


# UPC-E's digit parities (O: odd, EAN's A set; E: even, B set) per check digit, system 0
_UPC_E_PARITY = "EEEOOO EEOEOO EEOOEO EEOOOE EOEEOO EOOEEO EOOOEE EOEOEO EOEOOE EOOEOE".split()


def upc_e_pattern(code: str) -> str:
    """The module pattern of an 8-digit UPC-E code (number system 0)."""
    from barcode.charsets import ean

    parity = _UPC_E_PARITY[int(code[7])]
    digits = "".join(
        ean.CODES["A" if q == "O" else "B"][int(d)] for q, d in zip(parity, code[1:7], strict=True)
    )
    return "101" + digits + "010101"


def qr_code(text: str, module: int = 4) -> np.ndarray:
    import qrcode

    q = qrcode.QRCode(border=4)
    q.add_data(text)
    q.make()
    cells = np.where(np.array(q.get_matrix(), dtype=bool), 0, 255).astype(np.uint8)
    return np.kron(cells, np.ones((module, module), np.uint8))


def on_canvas(
    code: np.ndarray, angle: float = 0.0, noise: float = 0.0, seed: int = 0
) -> np.ndarray:
    """The code rotated by ``angle`` degrees on a 640x480 BGR canvas, plus Gaussian noise."""
    canvas = np.full((480, 640), 255, np.uint8)
    h, w = code.shape
    y, x = (480 - h) // 2, (640 - w) // 2
    canvas[y : y + h, x : x + w] = code
    rot = cv2.getRotationMatrix2D((320, 240), angle, 1.0)
    canvas = cv2.warpAffine(canvas, rot, (640, 480), borderValue=255)
    noisy = canvas + np.random.default_rng(seed).normal(0, noise, canvas.shape)
    return cv2.cvtColor(np.clip(noisy, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)


def _read(img: np.ndarray, **params: object) -> Data:
    op = BarcodeOperator(BarcodeOperator.Params.model_validate(params))
    out = op.process(Data(image=Image.from_array(img)), Context(root=Data(), node_id="bar"))
    assert out is not None
    return out


def _texts(out: Data) -> list[tuple[str, str]]:
    return [
        (r.data.concepts[0].id, r.data.text.raw or "")
        for r in out.regions
        if r.data is not None and r.data.text is not None
    ]


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("symbology", list(LINEAR))
def test_reads_each_linear_symbology(library: str, symbology: str) -> None:
    name, payload, text = LINEAR[symbology]
    found = _texts(_read(on_canvas(linear_code(name, payload)), library=library))
    assert found == [(symbology, text)]  # both libraries report retail codes alike


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize(
    ("code", "formats", "expected"),
    [
        ("upc-a", ["ean-13"], [("ean-13", "0036000291452")]),  # upc-a not asked: its EAN-13
        ("upc-a", ["upc-a"], [("upc-a", "036000291452")]),
        ("upc-a", ["ean-13", "upc-a"], [("upc-a", "036000291452")]),
        ("ean-13", ["upc-a"], []),  # a real EAN-13 (no leading 0) is no UPC-A
        ("ean-13", ["ean-13", "upc-a"], [("ean-13", "5901234123457")]),
        ("ean-8", ["ean-13", "upc-a"], []),
        ("upc-e", ["upc-e"], [("upc-e", "01234565")]),
    ],
)
def test_upc_and_ean_rule_is_the_same_for_both_libraries(
    library: str, code: str, formats: list[str], expected: list[tuple[str, str]]
) -> None:
    name, payload, _ = LINEAR[code]
    img = on_canvas(linear_code(name, payload))
    assert _texts(_read(img, library=library, formats=formats)) == expected


@pytest.mark.parametrize(
    ("upc_a", "upc_e"),
    [
        ("012345000065", "01234565"),  # manufacturer ends 1-9: product 0000X, X >= 5
        ("012000003455", "01234505"),  # manufacturer ends 000: product 00XXX
        ("012300000645", "01236435"),  # manufacturer ends 00: product 000XX
        ("012340000055", "01234545"),  # manufacturer ends 0: product 0000X
        ("036000291452", None),  # no zero run to drop: no UPC-E form
        ("512345000065", None),  # number system 5 has no UPC-E
    ],
)
def test_upc_e_compression(upc_a: str, upc_e: str | None) -> None:
    assert _barcode_readers._upc_e(upc_a) == upc_e


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize(("module", "angle", "noise"), [(3, 0, 0), (6, 15, 10), (4, -30, 25)])
def test_reads_qr_codes_at_sizes_rotations_and_noise(
    library: str, module: int, angle: float, noise: float
) -> None:
    img = on_canvas(qr_code("https://example.com/opgraph", module), angle, noise)
    assert _texts(_read(img, library=library)) == [("qr-code", "https://example.com/opgraph")]


@pytest.mark.parametrize(("module", "angle", "noise"), [(2, 0, 0), (4, 10, 8), (3, -20, 12)])
def test_reads_code_128_at_sizes_rotations_and_noise(
    module: int, angle: float, noise: float
) -> None:
    img = on_canvas(linear_code("code128", "ROT-128", module, height=160), angle, noise)
    assert _texts(_read(img, formats=["code-128"])) == [("code-128", "ROT-128")]


def test_region_box_and_polygon_surround_the_code() -> None:
    code = qr_code("box", 6)
    out = _read(on_canvas(code))
    (region,) = out.regions
    assert region.region_info is not None and region.region_info.bounding_box is not None
    bb = region.region_info.bounding_box
    h, w = code.shape
    quiet = 4 * 6  # the reader reports the symbol without its quiet zone
    assert bb.left_col * 640 == pytest.approx((640 - w) // 2 + quiet, abs=3)
    assert bb.bottom_row * 480 == pytest.approx((480 - h) // 2 + h - quiet, abs=3)
    assert region.region_info.polygon is not None and len(region.region_info.polygon.points) == 4
    assert region.data is not None and region.data.concepts[0].name == "QR Code"


def test_default_formats_are_every_supported_symbology() -> None:
    assert set(BarcodeOperator.Params().formats) == set(_barcode_readers.SYMBOLOGIES)


def test_formats_restrict_what_is_decoded() -> None:
    img = on_canvas(qr_code("only qr", 4))
    assert _read(img, formats=["code-128", "ean-13"]).regions == []
    assert len(_read(img, formats=["qr-code"]).regions) == 1


def test_blank_image_gives_no_regions_and_no_image_is_an_input_error() -> None:
    assert _read(np.full((100, 100, 3), 255, np.uint8)).regions == []
    op = BarcodeOperator(BarcodeOperator.Params())
    with pytest.raises(InputError, match="needs an image"):
        op.process(Data(), Context(root=Data(), node_id="bar"))


def test_one_node_graph() -> None:
    wf = Workflow.from_yaml(
        """
workflow:
  id: barcodes
  nodes:
    - id: reader
      model:
        model_id: barcode-reader
        model_type_id: barcode-operator
        output_info:
          params:
            formats: [qr-code, code-128]
"""
    )
    out = wf.predict([on_canvas(qr_code("graph", 4))]).results[0].outputs[0]
    assert out.status.is_success, out.status
    assert [r.data.text.raw for r in out.data.regions if r.data and r.data.text] == ["graph"]


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"library": "zbar"}, "library"),
        ({"formats": ["pdf417"]}, "formats"),
        ({"formats": []}, "formats"),
        ({"format": ["qr-code"]}, "did you mean 'formats'"),
    ],
)
def test_bad_params_are_refused(params: dict[str, object], match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow("b").add("barcode-operator", params=params)


def test_missing_zbar_library_is_a_clear_params_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_barcode_readers, "pyzbar_missing", lambda: "needs libzbar0")
    monkeypatch.setattr(
        "operators.predict.barcode_operator.pyzbar_missing", lambda: "needs libzbar0"
    )
    with pytest.raises(ParamsError, match="libzbar0"):
        Workflow("b").add("barcode-operator", params={"library": "pyzbar"})
