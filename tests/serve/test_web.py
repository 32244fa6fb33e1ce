"""The try-it page in a real headless Chromium (Debian's package, driven by Playwright's Python API).

Chromium's fake microphone plays a WAV file of espeak-ng speech. Screenshots of each run go
to tests-output/web/ (README's screenshot is one of them).
"""

from __future__ import annotations

import pytest
import srt

from tests import speech
from tests.helpers import ROOT
from tests.serve.browser import launched_chromium, open_page

pytestmark = pytest.mark.serve
SHOTS = ROOT / "tests-output" / "web"


@pytest.fixture(scope="module", autouse=True)
def screenshots():
    SHOTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="module")
def browser(microphone_clip):
    with launched_chromium(microphone_clip) as launched:
        yield launched


@pytest.fixture
def page(browser, serve_instance):
    context, page = open_page(browser, serve_instance.base_url + "/")
    yield page
    context.close()


def test_upload_a_clip_and_see_its_transcript(page, clips):
    page.select_option("#language", "en-IN")
    page.set_input_files("#file", str(clips.english["table"]))
    page.click("#transcribe")
    page.wait_for_function("document.querySelector('#transcript').textContent.length > 0", timeout=120_000)
    assert speech.normalise(page.text_content("#transcript")) == speech.normalise(speech.ENGLISH["table"])
    assert page.locator("#segments li").count() >= 1
    titles = page.locator("#segments .word").evaluate_all("spans => spans.map(s => s.title)")
    assert len(titles) == len(speech.ENGLISH["table"].split()) and all(t.startswith("confidence ") for t in titles)
    page.click("#segments li >> nth=0")  # plays that part
    page.wait_for_function("!document.querySelector('#player').paused || document.querySelector('#player').ended",
                           timeout=10_000)
    with page.expect_download() as download:
        page.click("[data-download=srt]")
    cues = list(srt.parse(download.value.path().read_text()))
    assert speech.normalise(" ".join(c.content for c in cues)) == speech.normalise(speech.ENGLISH["table"])
    page.screenshot(path=str(SHOTS / "upload.png"), full_page=True)


def test_words_the_model_is_unsure_of_are_shaded(page, tmp_path):
    said = "Please call me tomorrow morning about the ticket. I will be waiting at the railway station near the bridge."
    noisy, _ = speech.noise_over_second_half(speech.speak(said, "en", tmp_path / "said.wav"), tmp_path / "noisy.wav",
                                             -8)
    page.select_option("#language", "en-IN")
    page.set_input_files("#file", str(noisy))
    page.click("#transcribe")
    page.wait_for_function("document.querySelectorAll('#segments .word').length > 0", timeout=120_000)
    shaded = page.locator("#segments .word.unsure").evaluate_all(
        "spans => spans.map(s => [s.textContent, s.title, getComputedStyle(s).backgroundColor])")
    assert shaded and all(int(title.split()[1].rstrip("%")) < 50 for _, title, _ in shaded), shaded
    assert all(color not in ("rgba(0, 0, 0, 0)", "transparent") for *_, color in shaded)


def test_the_page_starts_on_detection_among_the_ticked_languages(page, clips):
    """A new user's English upload, nothing chosen: identified among the ticked Hindi and English, in Latin."""
    assert page.input_value("#language") == "auto" and page.is_visible("#candidates")
    page.set_input_files("#file", str(clips.english["station"]))
    page.click("#transcribe")
    page.wait_for_function("document.querySelector('#transcript').textContent.length > 0", timeout=120_000)
    assert speech.normalise(page.text_content("#transcript")) == speech.normalise(speech.ENGLISH["station"])
    assert "en-IN" in page.text_content("#language-used")


def test_record_from_the_microphone_and_see_live_text(page):
    page.select_option("#language", "en-IN")
    page.click("#record")
    page.wait_for_selector("#finals li", timeout=120_000)
    heard = speech.normalise(page.text_content("#finals"))
    assert speech.normalise(speech.ENGLISH["hello"]) in heard, heard
    page.screenshot(path=str(SHOTS / "record.png"), full_page=True)
    page.click("#record")  # stop: EOS, the server closes the stream
    page.wait_for_function("document.querySelector('#record').textContent === 'Record'", timeout=60_000)


def test_a_second_click_while_the_microphone_is_asked_for_opens_nothing_more(page):
    # The microphone answers slowly, as behind a permission prompt. The page once started a second recording on
    # a second click meanwhile, and the first microphone was never released.
    page.add_init_script("""const ask = MediaDevices.prototype.getUserMedia;
        window.micRequests = 0; window.micTracks = [];
        MediaDevices.prototype.getUserMedia = function (...args) {
          window.micRequests += 1;
          return new Promise((done) => setTimeout(done, 1500)).then(() => ask.apply(this, args))
            .then((media) => { window.micTracks.push(...media.getTracks()); return media; }); };""")
    page.reload()
    page.select_option("#language", "en-IN")
    page.evaluate("() => { const button = document.querySelector('#record'); button.click(); button.click(); }")
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('Listening')", timeout=60_000)
    page.click("#record")
    page.wait_for_function("document.querySelector('#record').textContent === 'Record'", timeout=60_000)
    assert page.evaluate("window.micRequests") == 1
    assert page.evaluate("window.micTracks.every((track) => track.readyState === 'ended')")


def test_a_bad_file_shows_a_readable_error(page, tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("these are meeting notes, not audio " * 40)
    page.select_option("#language", "hi-IN")
    page.set_input_files("#file", str(bad))
    page.click("#transcribe")
    page.wait_for_selector("#error:not([hidden])", timeout=60_000)
    message = page.text_content("#error")
    assert message.startswith("The server could not use this request:") and "audio" in message, message
    page.screenshot(path=str(SHOTS / "error.png"), full_page=True)


def test_auto_detect_needs_a_candidate(page, clips):
    page.select_option("#language", "auto")
    for box in page.locator("#candidates input").all():
        box.uncheck()
    page.set_input_files("#file", str(clips.english["hello"]))
    page.click("#transcribe")
    assert "at least one language" in page.text_content("#error")


def test_fits_a_phone_screen(browser, serve_instance, clips):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone = context.new_page()
    phone.goto(serve_instance.base_url + "/")
    phone.select_option("#language", "en-IN")
    phone.set_input_files("#file", str(clips.english["hello"]))
    phone.click("#transcribe")
    phone.wait_for_function("document.querySelector('#transcript').textContent.length > 0", timeout=120_000)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(SHOTS / "phone.png"), full_page=True)
    context.close()
