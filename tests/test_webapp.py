"""The web app in headless Chromium (Debian's /usr/bin/chromium driven by Playwright; no browser download):
connect with a key, pick a preset from the animated gallery, upload the example ad, watch the progress to done,
the captioned video plays in the page, the findings and the QA report are shown. Screenshots go to artifacts/
(the ones in docs/ are copies)."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from .conftest import EXAMPLE, ROOT
from .service_util import Server, add_credits, create_key

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts"
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _browser_or_skip():
    """Locally a missing browser or Playwright skips (and says why); under CI=true it fails."""
    why = None
    try:
        from playwright.sync_api import sync_playwright  # noqa: F401
    except ImportError:
        why = "playwright is not installed (pip install -e '.[test]')"
    if why is None and not CHROMIUM.exists():
        why = "Debian chromium is not installed (/usr/bin/chromium absent): apt-get install -y chromium"
    if why:
        if IN_CI:
            pytest.fail(f"CI=true but {why}: .ci/run must provide it", pytrace=False)
        pytest.skip(why)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    _browser_or_skip()
    root = tmp_path_factory.mktemp("webapp")
    data = root / "data"
    key = create_key(data, "acme")
    add_credits(data, "acme", "5")
    server = Server(data, "--workers", "1").start()
    yield server, key
    server.stop()


def test_webapp_upload_progress_play_findings(served):
    from playwright.sync_api import sync_playwright

    server, key = served
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required",
                                           "--disable-background-networking", "--disable-component-update"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}")
                    if not r.url.startswith("blob:") else None)
            page.goto(server.url + "/")
            page.fill("#api-key", key)
            page.click("#key-form button")
            page.wait_for_selector("body[data-account=acme]", timeout=20_000)
            assert page.inner_text("#balance") == "5"

            # the preset picker shows every preset; the visible previews are real animated WebP images
            tiles = page.locator(".tile")
            assert tiles.count() >= 30
            page.click(".tile[data-preset=bounce]")
            assert page.get_attribute(".tile[data-preset=bounce]", "aria-checked") == "true"
            assert "0.8 credits" in page.inner_text("#price")
            page.wait_for_function("""() => [...document.querySelectorAll('.tile img')].slice(0, 4)
                                        .every(i => i.complete && i.naturalWidth > 0)""", timeout=120_000)
            size = page.evaluate("() => { const i = document.querySelector('.tile img'); return [i.naturalWidth, i.naturalHeight]; }")
            assert size[1] > size[0] > 0  # 9:16 previews

            page.set_input_files("#video", str(EXAMPLE / "video.mp4"))
            page.fill("#script", (EXAMPLE / "script.txt").read_text(encoding="utf-8"))
            page.select_option("#language", "en")
            page.screenshot(path=str(ARTIFACTS / "service-upload.png"))
            page.click("#submit")

            page.wait_for_selector("body[data-job-state=running]", timeout=60_000)
            page.wait_for_selector("#stages li.done", timeout=60_000)
            seen = set()
            deadline = time.monotonic() + 420
            while time.monotonic() < deadline:
                st = page.get_attribute("body", "data-job-state")
                pct = page.get_attribute(".bar", "aria-valuenow")
                seen.add(pct)
                if st in ("done", "failed", "canceled"):
                    break
                if pct and 30 <= int(pct) < 100 and not (ARTIFACTS / "service-progress.png").exists():
                    page.screenshot(path=str(ARTIFACTS / "service-progress.png"))
                time.sleep(0.3)
            assert page.get_attribute("body", "data-job-state") == "done", page.inner_text("#job")
            assert len(seen) >= 3, f"the progress bar never moved: {seen}"

            # the captioned video plays in the page
            page.wait_for_selector("body[data-playing=true]", timeout=30_000)
            t1 = page.evaluate("document.querySelector('#player').currentTime")
            page.wait_for_timeout(1500)
            t2 = page.evaluate("document.querySelector('#player').currentTime")
            assert t2 > t1 + 0.3 or t2 < t1, f"video currentTime did not advance: {t1} → {t2}"  # loop may wrap
            dims = page.evaluate("[document.querySelector('#player').videoWidth, document.querySelector('#player').videoHeight]")
            assert dims == [720, 1280]

            # findings, receipt, downloads, QA report, history
            # the example's price, under the judge's policy: $40 with an error, or $49 with a dispute (an error when
            # $49 is out of the question, else a warning) naming $40
            err = page.locator("#findings li.error[data-kind=price_mismatch]")
            disputed = page.locator("#findings li[data-kind=number_disputed]")
            assert (err.count() == 1 and "$40" in err.inner_text()) or (disputed.count() >= 1 and "$40" in disputed.first.inner_text())
            # the form's CRLF line ends are not reported as invisible characters removed from the script
            assert "invisible" not in page.inner_text("#findings")
            assert "charged to acme" in page.inner_text("#receipt")
            assert {a.get_attribute("data-kind") for a in page.locator("#downloads a").all()} == {"mp4", "srt", "vtt", "ass",
                                                                                                  "json", "qa"}
            page.wait_for_function("document.querySelector('#qa-text').textContent.includes('Caption QA report')")
            page.wait_for_selector(f"#history-rows tr[data-job='{page.get_attribute('body', 'data-job-id')}']")
            page.wait_for_function("document.querySelector('#balance').textContent === '4.2'")
            page.evaluate("document.querySelector('#qa').open = true")
            page.screenshot(path=str(ARTIFACTS / "service-result.png"), full_page=True)
            with page.expect_download() as dl:
                page.click("#downloads a[data-kind=srt]")
            srt = Path(dl.value.path()).read_text(encoding="utf-8")
            assert ("$40" in srt) == (err.count() == 1) and ("$49" in srt) == (err.count() == 0)
            assert not errors, errors
        finally:
            browser.close()
