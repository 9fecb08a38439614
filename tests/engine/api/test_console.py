"""The web console at /console: its files as the server serves them, and the page itself in
a real headless Chromium (signed in, a workflow drawn, a run shown, no request off 127.0.0.1)."""

from __future__ import annotations

import base64
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from clarifai_grpc.grpc.api.status import status_code_pb2 as codes

from engine.api.console import FILES
from tests.engine.api.conftest import Server, start_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# each page as the tests left it, for a reviewer to look at (build/ is not committed)
SCREENSHOTS = Path(__file__).resolve().parents[3] / "build" / "console-screenshots"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def test_console_files_are_served_with_a_policy_that_keeps_the_page_local(server: Server) -> None:
    moved = requests.get(f"{server.base_url}/console", allow_redirects=False, timeout=10)
    assert moved.status_code == 308 and moved.headers["location"] == "/console/"
    page = requests.get(f"{server.base_url}/console/", timeout=10)
    assert page.status_code == 200 and "opgraph console" in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    for name, media_type in FILES.items():
        got = requests.get(f"{server.base_url}/console/{name}", timeout=10)
        assert got.status_code == 200 and got.headers["content-type"] == media_type
        text = got.text.replace("http://www.w3.org/2000/svg", "")  # a namespace, not a URL
        assert "http://" not in text and "https://" not in text and "//cdn" not in text


@pytest.mark.parametrize("name", ["server.db", "..%2Fserver.db", "__init__.py", "x.js"])
def test_only_the_console_files_are_reachable(server: Server, name: str) -> None:
    got = requests.get(f"{server.base_url}/console/{name}", timeout=10)
    assert got.status_code == 404


def test_the_api_still_answers_beside_the_console(server: Server) -> None:
    got = requests.get(f"{server.base_url}/v2/users/me/apps", timeout=10)
    assert got.status_code == 401  # no token: the console route did not swallow the API


# --- the page in a real browser -----------------------------------------------------------

WORKFLOW = {
    "id": "codes",
    "nodes": [
        {
            "id": "barcodes",
            "model": {
                "id": "barcodes",
                "model_type_id": "barcode-operator",
                "output_info": {"params": {"library": "zxing"}},
            },
        },
        {
            "id": "keep",
            "model": {
                "id": "keep",
                "model_type_id": "region-thresholder",
                "output_info": {
                    "params": {"concept_threshold_type": "GREATER_THAN"},
                    "data": {"concepts": [{"id": "qr-code", "value": 0.5}]},
                },
            },
            "node_inputs": [{"node_id": "barcodes"}],
        },
    ],
}


def _browser(tmp_path: Path) -> Any:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("no Chromium here: `make setup` installs chromium and chromium-driver")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1100",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))


@pytest.fixture
def console(tmp_path: Path) -> Iterator[tuple[Server, Any]]:
    srv, stop = start_server(tmp_path / "data")
    key = {"Authorization": f"Key {srv.token}"}
    made = requests.post(
        f"{srv.base_url}/v2/users/me/apps", json={"apps": [{"id": "demo"}]}, headers=key, timeout=10
    )
    assert made.json()["status"]["code"] == 10000
    made = requests.post(
        f"{srv.base_url}/v2/users/me/apps/demo/workflows",
        json={"workflows": [WORKFLOW]},
        headers=key,
        timeout=30,
    )
    assert made.json()["status"]["code"] == 10000, made.text
    try:
        driver = _browser(tmp_path)
    except BaseException:
        stop()
        raise
    driver.set_page_load_timeout(20)
    try:
        yield srv, driver
        # whatever the test did, the page never asked anything of another host
        assert _off_host(driver, srv.base_url) == []
    finally:
        driver.quit()
        stop()


def _shot(driver: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / name))


def _wait(driver: Any, css: str, timeout: float = 20) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, css))
    )


def _sign_in(driver: Any, base_url: str, token: str, app: str = "demo") -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base_url}/console")
    _wait(driver, "#signin-form")
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.ID, "app").send_keys(app)
    driver.find_element(By.ID, "signin-button").click()


def _requested_urls(driver: Any) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _off_host(source: Any, base_url: str) -> list[str]:
    """The requests that went anywhere but this server (chrome:// is the browser's own
    blank start page, data: and blob: the page's own images: never the network)."""
    urls = source if isinstance(source, list) else _requested_urls(source)
    local = (base_url + "/", "data:", "blob:", "chrome://", "chrome-untrusted://", "about:")
    return [u for u in urls if not u.startswith(local)]


def _qr_png(tmp_path: Path, text: str) -> Path:
    import qrcode

    buf = io.BytesIO()
    qrcode.make(text).save(buf, format="PNG")
    path = tmp_path / "code.png"
    path.write_bytes(buf.getvalue())
    return path


@pytest.mark.slow
def test_wrong_token_shows_nothing_but_the_sign_in(
    console: tuple[Server, Any], tmp_path: Path
) -> None:
    srv, driver = console
    _sign_in(driver, srv.base_url, "not-a-token")
    error = _wait(driver, "#signin-error")
    assert error.text.startswith(f"{codes.CONN_KEY_INVALID}: ")
    from selenium.webdriver.common.by import By

    assert not driver.find_element(By.ID, "main").is_displayed()
    assert driver.execute_script("return sessionStorage.getItem('opgraph-console')") is None
    _shot(driver, "console-wrong-token.png")


@pytest.mark.slow
def test_sign_in_draw_a_workflow_and_run_it_on_an_image(
    console: tuple[Server, Any], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    srv, driver = console
    _sign_in(driver, srv.base_url, srv.token)
    _wait(driver, "#workflows button[data-workflow-id='codes']").click()
    _wait(driver, "#dag .node[data-node-id='keep']")
    nodes = driver.find_elements(By.CSS_SELECTOR, ".node")
    drawn = {n.get_attribute("data-node-id") for n in nodes}
    assert drawn == {"barcodes", "keep"}
    edge = driver.find_element(By.CSS_SELECTOR, ".edge")
    assert (edge.get_attribute("data-from"), edge.get_attribute("data-to")) == ("barcodes", "keep")
    yaml_text = driver.find_element(By.ID, "yaml").get_attribute("value")
    assert "model_type_id: region-thresholder" in yaml_text
    driver.find_element(By.CSS_SELECTOR, ".node[data-node-id='keep']").click()
    assert "GREATER_THAN" in driver.find_element(By.ID, "node-params").text
    token = driver.execute_script("return sessionStorage.getItem('opgraph-console')")
    assert srv.token in token  # kept for this tab only

    driver.find_element(By.ID, "try-image").send_keys(str(_qr_png(tmp_path, "hello console")))
    driver.find_element(By.ID, "run").click()
    kept = _wait(driver, ".output[data-node-id='keep']")
    assert "hello console" in kept.text and "QR Code" in kept.text
    # drawn by the server with engine.draw (as --draw does), shown as an inline JPEG
    times = driver.find_elements(By.CSS_SELECTOR, ".output .node-time")
    assert len(times) == 2 and all(t.text.endswith(" ms") for t in times)  # Server-Timing
    assert float(times[0].text.split()[0]) >= 0
    drawn = _wait(driver, ".output[data-node-id='keep'] .drawn img")
    assert drawn.get_attribute("src").startswith("data:image/jpeg;base64,")
    assert driver.execute_script("return arguments[0].naturalWidth", drawn) > 100
    driver.execute_script("arguments[0].scrollIntoView()", kept)
    _shot(driver, "console-image-run.png")

    # a file dropped on the form goes to the picker of its kind
    driver.find_element(By.CSS_SELECTOR, "input[name=kind][value=text]").click()
    driver.execute_script(
        "const dt = new DataTransfer();"
        " dt.items.add(new File(['x'], 'clip.mp4', {type: 'video/mp4'}));"
        " document.getElementById('try-form').dispatchEvent("
        "   new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));"
    )
    dropped = driver.execute_script("return document.getElementById('try-video').files[0].name")
    assert dropped == "clip.mp4"
    assert driver.find_element(By.CSS_SELECTOR, "input[name=kind][value=video]").is_selected()

    driver.find_element(By.CSS_SELECTOR, "input[name=kind][value=text]").click()
    driver.find_element(By.ID, "try-text").send_keys("no codes in a text")
    driver.find_element(By.ID, "run").click()
    failed = _wait(driver, ".output[data-node-id='barcodes'] .status-bad")
    driver.execute_script("arguments[0].scrollIntoView()", failed)
    _shot(driver, "console-text-run.png")
    raw = driver.execute_script("return document.querySelector('#raw-json pre').textContent")
    assert json.loads(raw)["status"]["code"] == codes.FAILURE  # a text has no image to read
    assert failed.text.startswith(f"{codes.FAILURE}: node 'barcodes' failed")

    urls = _requested_urls(driver)
    assert any(u.endswith("/results") for u in urls) and any(u.startswith("data:") for u in urls)
    assert any(u.endswith("/console/api/draw") for u in urls)
    assert _off_host(urls, srv.base_url) == []


def _set_yaml(driver: Any, text: str) -> None:
    driver.execute_script(
        "const t = document.getElementById('yaml'); t.value = arguments[0];"
        " t.dispatchEvent(new Event('input'))",
        text,
    )


@pytest.mark.slow
def test_edit_the_yaml_see_mistakes_at_their_line_and_save_a_version(
    console: tuple[Server, Any], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    srv, driver = console
    key = {"Authorization": f"Key {srv.token}"}
    versions_url = f"{srv.base_url}/v2/users/me/apps/demo/workflows/codes/versions"
    _sign_in(driver, srv.base_url, srv.token)
    _wait(driver, "#workflows button[data-workflow-id='codes']").click()
    _wait(driver, "#dag .node[data-node-id='keep']")
    shown = driver.find_element(By.ID, "yaml").get_attribute("value")
    lines = shown.splitlines()

    # the server refuses a param value: the mistake is marked at that param's line
    wrong = shown.replace("GREATER_THAN", "MORE_OR_LESS")
    _set_yaml(driver, "# a comment that shifts every line\n" + wrong)
    driver.find_element(By.ID, "save").click()
    mistake = _wait(driver, "#yaml-errors li")
    line = next(i for i, t in enumerate(lines) if "GREATER_THAN" in t) + 2  # 1-based, +comment
    assert mistake.get_attribute("data-line") == str(line), mistake.text
    assert "concept_threshold_type" in mistake.text
    marked = driver.find_elements(By.CSS_SELECTOR, "#yaml-gutter .bad")
    assert [m.text for m in marked] == [str(line)]
    assert driver.find_element(By.ID, "save-state").text == "not saved"
    driver.execute_script("arguments[0].scrollIntoView()", driver.find_element(By.ID, "yaml"))
    _shot(driver, "console-yaml-mistake.png")

    # YAML that does not parse is refused in the page, at the reader's line
    _set_yaml(driver, "workflow:\n  id: codes\n  nodes: [\n")
    driver.find_element(By.ID, "save").click()
    assert _wait(driver, "#yaml-errors li").get_attribute("data-line") == "4"
    assert len(requests.get(versions_url, headers=key, timeout=10).json()["workflow_versions"]) == 1

    # a good edit is saved as a new version and shown as the current one
    _set_yaml(driver, shown.replace("GREATER_THAN", "LESS_THAN"))
    driver.find_element(By.ID, "save").click()
    state = _wait(driver, "#save-state")
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 20).until(lambda d: state.text.startswith("saved as version "))
    versions = requests.get(versions_url, headers=key, timeout=10).json()["workflow_versions"]
    assert len(versions) == 2
    newest = versions[0]
    assert state.text == f"saved as version {newest['id']}"
    params = newest["nodes"][1]["model"]["output_info"]["params"]
    assert params["concept_threshold_type"] == "LESS_THAN"
    selected = driver.find_element(By.ID, "versions").get_attribute("value")
    assert selected == newest["id"]
    assert "LESS_THAN" in driver.find_element(By.ID, "yaml").get_attribute("value")
    assert driver.find_elements(By.CSS_SELECTOR, "#yaml-errors li") == []


def _qr_video(tmp_path: Path, text: str, frames: int = 20) -> Path:
    import cv2
    import numpy as np

    qr = cv2.imread(str(_qr_png(tmp_path, text)))
    h, w = qr.shape[:2]
    path = tmp_path / "codes.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (w + 40, h))
    for i in range(frames):  # 2 s at 10 fps, the code moving right
        frame = np.full((h, w + 40, 3), 255, np.uint8)
        frame[:, 2 * i : 2 * i + w] = qr
        writer.write(frame)
    writer.release()
    return path


@pytest.mark.slow
def test_a_video_run_plays_back_drawn_frame_by_frame(
    console: tuple[Server, Any], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    srv, driver = console
    _sign_in(driver, srv.base_url, srv.token)
    _wait(driver, "#workflows button[data-workflow-id='codes']").click()
    _wait(driver, "#dag .node[data-node-id='keep']")
    driver.find_element(By.CSS_SELECTOR, "input[name=kind][value=video]").click()
    driver.find_element(By.ID, "try-video").send_keys(str(_qr_video(tmp_path, "moving")))
    sample = driver.find_element(By.ID, "sample-ms")
    sample.clear()
    sample.send_keys("500")
    driver.find_element(By.ID, "run").click()
    viewer = _wait(driver, ".output[data-node-id='keep'] .frames", timeout=60)
    slider = viewer.find_element(By.CSS_SELECTOR, ".frame-slider")
    assert slider.get_attribute("max") == "3"  # 2 s sampled every 500 ms: frames 0-3
    assert viewer.get_attribute("data-frame") == "0"
    frame_json = json.loads(viewer.find_element(By.CSS_SELECTOR, ".frame-json").text)
    assert frame_json["frame_info"]["index"] == 0
    assert frame_json["data"]["regions"][0]["data"]["text"]["raw"] == "moving"
    driver.execute_script(
        "arguments[0].value = 2; arguments[0].dispatchEvent(new Event('input'))", slider
    )
    assert viewer.get_attribute("data-frame") == "2"
    frame_json = json.loads(viewer.find_element(By.CSS_SELECTOR, ".frame-json").text)
    assert frame_json["frame_info"] == {"index": 2, "time": 1000, "number": 10}
    picture = viewer.find_element(By.CSS_SELECTOR, "img.drawn-frame")
    assert picture.get_attribute("src").startswith("data:image/jpeg;base64,")
    assert "at 1.00 s" in viewer.find_element(By.CSS_SELECTOR, ".frame-label").text
    viewer.find_element(By.CSS_SELECTOR, ".play").click()  # plays on to the last frame
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(lambda d: viewer.get_attribute("data-frame") == "3")
    driver.execute_script("arguments[0].scrollIntoView()", viewer)
    _shot(driver, "console-video-run.png")


@pytest.mark.slow
def test_inputs_grid_pages_and_search(console: tuple[Server, Any], tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    srv, driver = console
    key = {"Authorization": f"Key {srv.token}"}
    texts = [{"id": f"t{i:02d}", "data": {"text": {"raw": f"note number {i}"}}} for i in range(25)]
    image = base64.b64encode(_qr_png(tmp_path, "stored").read_bytes()).decode()
    texts.append({"id": "zz-image", "data": {"image": {"base64": image}}})
    requests.post(
        f"{srv.base_url}/v2/users/me/apps/demo/inputs",
        json={"inputs": texts},
        headers=key,
        timeout=60,
    )
    _sign_in(driver, srv.base_url, srv.token)
    _wait(driver, "#workflows button")
    driver.find_element(By.CSS_SELECTOR, "#tabs button[data-tab='inputs']").click()
    _wait(driver, ".input-card")
    assert len(driver.find_elements(By.CSS_SELECTOR, ".input-card")) == 24
    assert not driver.find_element(By.ID, "in-next").get_attribute("disabled")
    first = {
        c.get_attribute("data-input-id")
        for c in driver.find_elements(By.CSS_SELECTOR, ".input-card")
    }
    driver.find_element(By.ID, "in-next").click()
    _wait(driver, "#in-prev:enabled")
    cards = driver.find_elements(By.CSS_SELECTOR, ".input-card")
    second = {c.get_attribute("data-input-id") for c in cards}
    assert len(second) == 2 and not first & second and len(first | second) == 26
    # the image input is drawn from its bytes (GetInput), inline, not fetched from anywhere
    img = driver.find_element(By.CSS_SELECTOR, ".input-card[data-input-id='zz-image'] img")
    assert img.get_attribute("src").startswith("data:image/png;base64,")
    assert driver.execute_script("return arguments[0].naturalWidth", img) > 0
    _shot(driver, "console-inputs.png")

    driver.find_element(By.ID, "search-text").send_keys("note number 7")
    driver.find_element(By.ID, "search").click()
    _wait(driver, ".input-card .score")
    assert "search" in driver.find_element(By.ID, "inputs-state").text
    hits = [
        c.get_attribute("data-input-id")
        for c in driver.find_elements(By.CSS_SELECTOR, ".input-card")
    ]
    assert hits[0] == "t07" and set(hits) <= first | second  # the exact text ranks first
    _shot(driver, "console-search.png")
    # the hits page on: the next page holds the rest, each with its score
    driver.find_element(By.ID, "in-next").click()
    rest = _searched(driver, "page 2")
    assert set(hits) | set(rest) == {f"t{i:02d}" for i in range(25)}  # every text, once
    assert len(hits) == 24 and len(rest) == 1
    assert len(driver.find_elements(By.CSS_SELECTOR, "#inputs-grid .score")) == 1


def _colour_png(tmp_path: Path, name: str, bgr: tuple[int, int, int]) -> Path:
    import cv2
    import numpy as np

    pixels = np.zeros((96, 128, 3), np.uint8)
    pixels[:] = bgr
    pixels[::8] = (bgr[0] // 2, bgr[1] // 2, bgr[2] // 2)  # stripes: not a flat colour
    path = tmp_path / f"{name}.png"
    cv2.imwrite(str(path), pixels)
    return path


def _pictures_app(srv: Server, tmp_path: Path) -> str:
    """An app 'pics' (image base workflow): red1, red2 in dataset 'reds' and annotated
    'warm' (red1 with a box too), blue1 with metadata room=shed."""
    key = {"Authorization": f"Key {srv.token}"}
    apps = f"{srv.base_url}/v2/users/me/apps"
    made = requests.post(
        apps, json={"apps": [{"id": "pics", "default_workflow_id": "General"}]}, headers=key,
        timeout=30,
    )
    assert made.json()["status"]["code"] == 10000, made.text
    app = f"{apps}/pics"
    colours = {"red1": (0, 0, 230), "red2": (10, 10, 200), "blue1": (220, 30, 0)}
    inputs = []
    for name, bgr in colours.items():
        b64 = base64.b64encode(_colour_png(tmp_path, name, bgr).read_bytes()).decode()
        inp: dict[str, Any] = {"id": name, "data": {"image": {"base64": b64}}}
        if name.startswith("red"):
            inp["dataset_ids"] = ["reds"]
        else:
            inp["data"]["metadata"] = {"room": "shed"}
        inputs.append(inp)
    requests.post(f"{app}/datasets", json={"datasets": [{"id": "reds"}]}, headers=key, timeout=10)
    done = requests.post(f"{app}/inputs", json={"inputs": inputs}, headers=key, timeout=120)
    assert done.json()["status"]["code"] == 10000, done.text
    box = {"top_row": 0.2, "left_col": 0.2, "bottom_row": 0.8, "right_col": 0.6}
    notes = [
        {"id": "warm1", "input_id": "red1", "data": {"concepts": [{"id": "warm", "value": 1}]}},
        {"id": "warm2", "input_id": "red2", "data": {"concepts": [{"id": "warm", "value": 1}]}},
        {"id": "box1", "input_id": "red1", "data": {"regions": [{"region_info": {
            "bounding_box": box}, "data": {"concepts": [{"id": "stripe", "value": 1}]}}]}},
    ]
    made = requests.post(f"{app}/annotations", json={"annotations": notes}, headers=key, timeout=30)
    assert made.json()["status"]["code"] == 10000, made.text
    return app


def _card_ids(driver: Any) -> list[str]:
    from selenium.webdriver.common.by import By

    cards = driver.find_elements(By.CSS_SELECTOR, "#inputs-grid .input-card")
    return [c.get_attribute("data-input-id") for c in cards]


def _search(driver: Any, words: str) -> list[str]:
    """Submit the search form; the grid's ids once the state names this search."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "search").click()
    return _searched(driver, words)


def _searched(driver: Any, words: str) -> list[str]:
    """The grid's ids once the state names the search ``words``."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, 30).until(
            lambda d: words in d.find_element(By.ID, "inputs-state").text
        )
    except Exception:
        state = driver.find_element(By.ID, "inputs-state").text
        error = driver.find_element(By.ID, "error").text
        raise AssertionError(f"searched {words!r}: state {state!r}, error {error!r}") from None
    return _card_ids(driver)


@pytest.mark.slow
def test_pick_an_app_filter_search_and_open_an_input(
    console: tuple[Server, Any], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    srv, driver = console
    _pictures_app(srv, tmp_path)
    _sign_in(driver, srv.base_url, srv.token)
    _wait(driver, "#workflows button[data-workflow-id='codes']")
    picker = Select(_wait(driver, "#app-picker"))
    assert sorted(o.get_attribute("value") for o in picker.options) == ["demo", "pics"]
    picker.select_by_value("pics")
    _wait(driver, "#workflows button[data-workflow-id='image-base']")
    assert json.loads(driver.execute_script(
        "return sessionStorage.getItem('opgraph-console')"))["app"] == "pics"
    driver.find_element(By.CSS_SELECTOR, "#tabs button[data-tab='inputs']").click()
    _wait(driver, ".input-card")
    assert sorted(_card_ids(driver)) == ["blue1", "red1", "red2"]

    # filters: dataset, concept, metadata, status (each alone, then cleared)
    WebDriverWait(driver, 10).until(
        lambda d: len(Select(d.find_element(By.ID, "f-dataset")).options) == 2
    )
    Select(driver.find_element(By.ID, "f-dataset")).select_by_value("reds")
    assert sorted(_search(driver, "in dataset reds")) == ["red1", "red2"]
    driver.find_element(By.ID, "search-clear").click()
    driver.find_element(By.ID, "f-concept").send_keys("warm")
    assert sorted(_search(driver, "with warm")) == ["red1", "red2"]
    driver.find_element(By.ID, "search-clear").click()
    driver.find_element(By.ID, "f-metadata").send_keys('{"room": "shed"}')
    assert _search(driver, "metadata") == ["blue1"]
    driver.find_element(By.ID, "search-clear").click()
    Select(driver.find_element(By.ID, "f-status")).select_by_value("30002")
    assert _search(driver, "status 30002") == []
    _shot(driver, "console-filters.png")
    driver.find_element(By.ID, "search-clear").click()

    # search by a picked image: the reds rank before the blue, with scores
    driver.find_element(By.ID, "search-image").send_keys(
        str(_colour_png(tmp_path, "query", (5, 5, 220)))
    )
    WebDriverWait(driver, 10).until(
        lambda d: d.find_element(By.ID, "drop").get_attribute("data-ready") == "1"
    )
    hits = _search(driver, "an image")
    assert sorted(hits[:2]) == ["red1", "red2"] and hits[2] == "blue1"
    scores = driver.find_elements(By.CSS_SELECTOR, "#inputs-grid .score")
    assert len(scores) == 3 and all(s.text.startswith("score ") for s in scores)
    _shot(driver, "console-image-search.png")

    # by concept, within a filter: the rank and the filter together
    driver.find_element(By.ID, "search-clear").click()
    driver.find_element(By.ID, "rank-concept").send_keys("warm")
    Select(driver.find_element(By.ID, "f-dataset")).select_by_value("reds")
    assert sorted(_search(driver, "concept warm, in dataset reds")) == ["red1", "red2"]

    # more like this on a card: that input ranks first
    driver.find_element(By.CSS_SELECTOR, ".input-card[data-input-id='red2'] .more").click()
    assert _searched(driver, "like red2")[0] == "red2"

    # one input opened: drawn with its annotations by the server, each listed
    driver.find_element(By.CSS_SELECTOR, ".input-card[data-input-id='red1'] .open").click()
    drawn = _wait(driver, "#input-detail img.annotated")
    assert drawn.get_attribute("src").startswith("data:image/jpeg;base64,")
    listed = driver.find_elements(By.CSS_SELECTOR, "#input-detail .annotations li")
    assert sorted(li.get_attribute("data-annotation-id") for li in listed) == ["box1", "warm1"]
    assert "stripe" in driver.find_element(By.ID, "input-detail").text
    driver.execute_script("arguments[0].scrollIntoView()", drawn)
    _shot(driver, "console-input-detail.png")


@pytest.mark.slow
def test_sign_in_without_an_app_starts_in_the_first_one_a_token_may_see(
    console: tuple[Server, Any], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    srv, driver = console
    key = {"Authorization": f"Key {srv.token}"}
    requests.post(f"{srv.base_url}/v2/users/me/apps", json={"apps": [{"id": "zz-other"}]},
                  headers=key, timeout=10)
    _sign_in(driver, srv.base_url, srv.token, app="")
    _wait(driver, "#workflows button[data-workflow-id='codes']")
    picker = Select(_wait(driver, "#app-picker"))
    assert picker.first_selected_option.get_attribute("value") == "demo"
    assert [o.get_attribute("value") for o in picker.options] == ["demo", "zz-other"]
    driver.find_element(By.ID, "signout").click()
    # a token made for one app: the picker holds that app alone
    from engine.api.auth import parse_scopes

    scoped = srv.state.tokens.create(parse_scopes("*"), app=("me", "zz-other"))
    _sign_in(driver, srv.base_url, scoped, app="")
    _wait(driver, "#workflows")
    picker = Select(_wait(driver, "#app-picker"))
    assert [o.get_attribute("value") for o in picker.options] == ["zz-other"]


@pytest.mark.slow
def test_review_accepts_and_rejects_annotations(
    console: tuple[Server, Any], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    srv, driver = console
    key = {"Authorization": f"Key {srv.token}"}
    app = f"{srv.base_url}/v2/users/me/apps/demo"
    texts = [{"id": f"t{i}", "data": {"text": {"raw": f"text {i}"}}} for i in range(3)]
    png = base64.b64encode(_colour_png(tmp_path, "grey", (90, 90, 90)).read_bytes()).decode()
    texts.append({"id": "pic", "data": {"image": {"base64": png}}})
    requests.post(f"{app}/inputs", json={"inputs": texts}, headers=key, timeout=60)
    awaiting = {"code": codes.ANNOTATION_AWAITING_REVIEW}
    notes: list[dict[str, Any]] = [
        {"id": f"a{i}", "input_id": f"t{i}", "data": {"concepts": [{"id": "cat", "value": 1}]}}
        for i in range(3)
    ]
    box = {"top_row": 0.1, "left_col": 0.1, "bottom_row": 0.9, "right_col": 0.5}
    notes.append({"id": "a3", "input_id": "pic", "data": {"regions": [{"region_info": {
        "bounding_box": box}, "data": {"concepts": [{"id": "cat", "value": 1}]}}]}})
    for note in (notes[0], notes[1], notes[3]):
        note["status"] = awaiting
    made = requests.post(f"{app}/annotations", json={"annotations": notes}, headers=key, timeout=10)
    assert made.json()["status"]["code"] == 10000, made.text

    _sign_in(driver, srv.base_url, srv.token)
    _wait(driver, "#workflows button")
    driver.find_element(By.CSS_SELECTOR, "#tabs button[data-tab='review']").click()
    _wait(driver, ".review-card")
    cards = driver.find_elements(By.CSS_SELECTOR, ".review-card")
    assert sorted(c.get_attribute("data-annotation-id") for c in cards) == ["a0", "a1", "a3"]
    # the image is drawn with the annotation's region by the server
    pic = driver.find_element(By.CSS_SELECTOR, ".review-card[data-annotation-id='a3'] img")
    assert pic.get_attribute("src").startswith("data:image/jpeg;base64,")
    _shot(driver, "console-review.png")
    driver.find_element(By.CSS_SELECTOR, ".review-card[data-annotation-id='a0'] .accept").click()
    _wait(driver, ".review-card[data-decided='accepted']")
    driver.find_element(By.CSS_SELECTOR, ".review-card[data-annotation-id='a1'] .reject").click()
    _wait(driver, ".review-card[data-decided='rejected']")

    def status(annotation_id: str) -> int:
        got = requests.get(f"{app}/annotations", params={"ids": annotation_id}, headers=key)
        return int(got.json()["annotations"][0]["status"]["code"])

    assert status("a0") == codes.ANNOTATION_SUCCESS
    assert status("a1") == codes.ANNOTATION_REVIEW_DENIED
    assert status("a2") == codes.ANNOTATION_SUCCESS  # never awaiting review, never shown


@pytest.mark.slow
def test_insecure_dev_needs_no_token(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    srv, stop = start_server(tmp_path / "data", insecure_dev=True)
    try:
        requests.post(
            f"{srv.base_url}/v2/users/me/apps", json={"apps": [{"id": "demo"}]}, timeout=10
        )
        driver = _browser(tmp_path)
        try:
            _sign_in(driver, srv.base_url, "")
            _wait(driver, "#workflows button")
            assert driver.find_element(By.ID, "signin").is_displayed() is False
            assert _off_host(driver, srv.base_url) == []
        finally:
            driver.quit()
    finally:
        stop()


def test_the_files_are_package_data() -> None:
    from importlib import resources

    folder = resources.files("engine.api.console")
    assert all(folder.joinpath(name).is_file() for name in FILES)
