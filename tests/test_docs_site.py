"""The built docs site (`python tools/build_docs.py` -> `_docs/`), opened in a real headless Chromium.

Chromium comes from Debian's `chromium` package (`.ci/run` installs it when absent); Playwright only drives it
(`executable_path`), it never downloads a browser.
"""
import functools, os, re, shutil, threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urldefrag, urlparse
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT/'_docs'
ARTIFACT = ROOT/'ci_artifacts'/'docs_index.png'
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--disable-quic']

def _chromium():
    exe = os.environ.get('CHROMIUM') or shutil.which('chromium') or shutil.which('chromium-browser')
    if exe: return exe
    if os.environ.get('CI'): pytest.fail('chromium is not installed: .ci/run should have installed Debian chromium')
    pytest.skip('chromium not installed (apt-get install chromium); CI installs it and runs this test')

@pytest.fixture(scope='module')
def site():
    if not (DOCS/'index.html').exists(): pytest.fail(f'{DOCS}/index.html missing: run `python tools/build_docs.py` first')
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(DOCS))
    handler.log_message = lambda *a, **k: None
    srv = ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{srv.server_port}/'
    srv.shutdown()

@pytest.fixture(scope='module')
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright
    exe = _chromium()
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(tmp_path_factory.mktemp('chromium-profile')), executable_path=exe,
                                                   headless=True, args=FLAGS)
        yield ctx
        ctx.close()

def _internal_links(page, base):
    hrefs = page.eval_on_selector_all('a[href]', 'els => els.map(e => e.href)')
    return sorted({h for h in hrefs if h.startswith(base)})

def test_index_renders_readme(site, browser):
    page = browser.new_page(); page.goto(site + 'index.html')
    text = page.inner_text('main')
    readme = (ROOT/'README.md').read_text()
    for heading in re.findall(r'^## (.+)$', readme, flags=re.M): assert heading in text, heading
    first_para = re.search(r'`fairdiff_nb` is an open-source.*?two lines of work', readme, flags=re.S)
    assert first_para and 'notebook-first toolkit' in text
    ARTIFACT.parent.mkdir(exist_ok=True)
    page.set_viewport_size({'width': 1280, 'height': 900}); page.screenshot(path=str(ARTIFACT), full_page=False)
    print(f'\nscreenshot of the docs index: {ARTIFACT}')
    assert ARTIFACT.stat().st_size > 10_000

def test_every_chapter_linked_and_loads(site, browser):
    page = browser.new_page(); page.goto(site + 'index.html')
    nav = set(page.eval_on_selector_all('nav#sidebar a', 'els => els.map(e => e.getAttribute("href"))'))
    chapters = sorted(p.name for p in DOCS.glob('*.html'))
    notebooks = sorted(p for p in (ROOT/'nbs').glob('[0-9]*.ipynb'))
    assert len(chapters) == len(notebooks) + 1, (chapters, notebooks)  # every numbered notebook + index
    for ch in chapters:
        assert ch in nav, f'{ch} not in the sidebar'
        resp = page.goto(site + ch)
        assert resp.status == 200, ch
        assert page.inner_text('h1').strip(), f'{ch} has no title'

def test_images_load_and_links_resolve(site, browser):
    page = browser.new_page(); broken_imgs, links = [], set()
    for ch in sorted(p.name for p in DOCS.glob('*.html')):
        page.goto(site + ch, wait_until='load')
        bad = page.eval_on_selector_all('img', 'els => els.filter(e => !(e.complete && e.naturalWidth > 0)).map(e => e.src)')
        broken_imgs += [(ch, b) for b in bad]
        links.update(_internal_links(page, site))
    assert not broken_imgs, broken_imgs
    for link in sorted(links):
        url, frag = urldefrag(link)
        resp = page.goto(url)
        assert resp is not None and resp.status == 200, f'broken internal link {link}'
        if frag: assert page.locator(f'[id="{frag}"]').count() > 0, f'missing anchor {link}'
