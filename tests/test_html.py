"""The rendered site (tools/make_html.py), checked in a real headless browser.

The browser is Debian's chromium (`apt-get install -y chromium`). Without it these tests fail,
saying how to install it, unless COURSE_ALLOW_NO_BROWSER=1 is set outside CI, which skips them.
"""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
from tools import make_html
from tools import make_pdf
from tools import course as notebook_model

ALLOW_NO_BROWSER = "COURSE_ALLOW_NO_BROWSER"
PNG_IMG = re.compile(r"<img\b[^>]*\bsrc=\"data:image/png;base64,", re.IGNORECASE)


def find_chromium() -> str:
    """The browser's path; fails (or, where allowed, skips) with instructions when it is missing."""
    if shutil.which("chromium"):
        return "chromium"
    message = ("chromium is not installed, so the rendered site cannot be checked in a browser. "
               "Install it with `apt-get install -y chromium` (Debian/Ubuntu).")
    if os.environ.get(ALLOW_NO_BROWSER) == "1" and not os.environ.get("CI"):
        pytest.skip(f"{message} ({ALLOW_NO_BROWSER}=1 allows skipping)")
    pytest.fail(f"{message} To skip these tests on a machine without it, set {ALLOW_NO_BROWSER}=1 "
                f"(ignored when CI is set).", pytrace=False)


@pytest.fixture(scope="module")
def chromium():
    return find_chromium()


def dom_after_load(page: Path) -> str:
    result = make_pdf.browse(page, "--dump-dom", timeout=180)
    assert result.returncode == 0 and "<html" in result.stdout, f"chromium failed on {page}:\n{result.stderr[-2000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    """A copy of the course's notebooks and README, so that the site and the expectations agree."""
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".*"))
    shutil.copy(ROOT / "README.md", root / "README.md")
    return root


@pytest.fixture(scope="module")
def course(snapshot):
    infos = notebook_model.read_course(snapshot)
    return infos, {info.path: info.nb for info in infos}


@pytest.fixture(scope="module")
def site(snapshot, course, tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "html"
    no_records = tmp_path_factory.mktemp("no-status")  # whatever test runs this machine has recorded
    result = subprocess.run([sys.executable, "-m", "tools.make_html", "--root", str(snapshot), "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env=dict(os.environ, COURSE_STATUS_DIR=str(no_records)))
    assert result.returncode == 0, result.stderr
    return out


def png_outputs(nb) -> int:
    return sum("image/png" in output.get("data", {}) for cell in nb.cells if cell.cell_type == "code"
               for output in cell.outputs)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.extend(value for name, value in attrs if name == "href" and value)


def relative_hrefs(page_html: str) -> list[str]:
    parser = _Links()
    parser.feed(page_html)
    return [href for href in parser.hrefs
            if not href.startswith("#") and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", href)]


# ------------------------------------------------------------------------------------- the site

def test_site_has_a_page_per_notebook_and_carries_what_it_loads(course, site):
    infos, _ = course
    assert sorted(p.name for p in site.glob("*.html")) == sorted(["index.html", "status.html"]
                                                                 + [f"{i.path.stem}.html" for i in infos])
    assert sorted(p.name for p in (site / "zh").glob("*.html")) == sorted(  # the Chinese edition's twins
        ["index.html", "status.html"] + [f"{i.path.stem}.html" for i in infos])
    for page in site.glob("*.html"):  # every script is inside the site, by a relative path
        sources = re.findall(r'<script[^>]*\bsrc="([^"]*)"', page.read_text(encoding="utf-8"))
        assert {"lunr.min.js", "search-index.js", "search.js"} <= set(sources), page.name
        for source in sources:
            assert not re.match(r"^[a-z]+:|/", source) and (site / source.split("?")[0]).is_file(), (page.name, source)


def test_index_page_lists_every_notebook(chromium, course, site):
    infos, _ = course
    dom = dom_after_load(site / "index.html")
    for info in infos:
        assert f'href="{info.path.stem}.html"' in dom, f"index does not link to {info.path.stem}.html"
        assert info.heading.replace("&", "&amp;") in dom, f"index does not show {info.heading!r}"
    rows = re.findall(r"<tr>\s*<td[^>]*>\s*<a href=\"\d\d_[^\"]*\.html\"", dom)  # one row per notebook
    assert len(rows) == len(infos)


def test_notebook_pages_show_their_figures(chromium, course, site):
    infos, notebooks = course
    with_figures = [(info, png_outputs(notebooks[info.path])) for info in infos
                    if png_outputs(notebooks[info.path])]
    assert with_figures, "no notebook has a stored figure to look for"
    for info, figures in with_figures:
        dom = dom_after_load(site / f"{info.path.stem}.html")
        shown = len(PNG_IMG.findall(dom))
        assert shown >= figures > 0, f"{info.path.stem}.html shows {shown} of its {figures} figures"
        assert info.heading in dom


def test_links_stay_inside_the_site(course, site):
    """Nav and README links to notebooks point to .html pages that exist, in both editions; none to .ipynb or .md."""
    infos, _ = course
    for page in sorted(site.rglob("*.html")):
        name = page.relative_to(site)
        hrefs = relative_hrefs(page.read_text(encoding="utf-8"))
        for href in hrefs:
            target = href.split("#", 1)[0]
            assert not target.endswith((".ipynb", ".md")), f"{name} links to {href}"
            if target:
                assert (page.parent / target).exists(), f"{name} links to {href}, which is not in the site"
        if page.name != "index.html":
            assert "index.html" in hrefs, f"{name} has no link back to the index"
    second = relative_hrefs((site / f"{infos[1].path.stem}.html").read_text(encoding="utf-8"))
    assert f"{infos[0].path.stem}.html" in second and "index.html" in second


def test_screenshot_of_a_page_is_drawn(chromium, course, site, tmp_path):
    infos, notebooks = course
    page = next((site / f"{i.path.stem}.html" for i in infos if png_outputs(notebooks[i.path])), site / "index.html")
    shot = tmp_path / "page.png"
    result = make_pdf.browse(page, "--window-size=1280,1600", f"--screenshot={shot}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000  # not a blank page


# ------------------------------------------------------------------------------- without a browser

def test_site_links_rewrites_notebook_and_readme_links():
    markdown = ("[← 00 · Data](00_data.ipynb) · [index](../README.md) · [02 · Loss →](02_loss.ipynb#top) "
                "[web](https://example.org/x.ipynb) [other](../data/README.md) [索引](../../README.md)")
    assert make_html.site_links(markdown) == (
        "[← 00 · Data](00_data.html) · [index](index.html) · [02 · Loss →](02_loss.html#top) "
        "[web](https://example.org/x.ipynb) [other](../data/README.md) [索引](index.html)")


def test_synthetic_site_gets_nav_and_replaces_itself_atomically(tmp_path):
    root = tmp_path / "course"
    (root / "notebooks").mkdir(parents=True)
    (root / "README.md").write_text("# A small course\n", encoding="utf-8")
    for number, stem in (("00", "00_a"), ("01", "01_b")):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
            f"# {number} · Notebook {stem}\n\n**In one line:** About *{stem}*.\n\n**Needs:** nothing")])
        nbformat.write(nb, root / "notebooks" / f"{stem}.ipynb")
    before = {p.name: p.read_bytes() for p in (root / "notebooks").iterdir()}
    out = tmp_path / "site"
    (out).mkdir()
    (out / "stale.html").write_text("old", encoding="utf-8")
    pages = make_html.build(root, out)
    assert sorted(p.name for p in out.glob("*.html")) == ["00_a.html", "01_b.html", "index.html", "status.html"]
    assert not (out / "stale.html").exists()
    assert [p.name for p in pages] == ["index.html", "status.html", "00_a.html", "01_b.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["course", "site"]  # no temporary folders left
    page = (out / "00_a.html").read_text(encoding="utf-8")
    assert '<a href="index.html">index</a> · <a href="01_b.html">01 · Notebook 01_b →</a>' in page  # nav, not stored
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<title>A small course</title>" in index and "<em>00_a</em>" in index
    assert {p.name: p.read_bytes() for p in (root / "notebooks").iterdir()} == before  # notebooks untouched


@pytest.mark.parametrize("allow, ci, outcome", [(None, None, "fail"), ("1", None, "skip"), ("1", "true", "fail")])
def test_missing_browser_fails_unless_skipping_is_allowed(monkeypatch, allow, ci, outcome):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    for name, value in ((ALLOW_NO_BROWSER, allow), ("CI", ci)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    expected = pytest.fail.Exception if outcome == "fail" else pytest.skip.Exception
    with pytest.raises(expected, match="apt-get install -y chromium"):
        find_chromium()


# A script run after the page has loaded: it clicks the first "Show solution" that holds a figure
# and reports what was visible before and after, in a <pre id="probe"> the dumped DOM carries.
SOLUTION_PROBE = """<script>
window.addEventListener('load', () => {
  const folds = Array.from(document.querySelectorAll('details.solution'));
  const fold = folds.find(d => d.querySelector('img'));
  const figure = fold.querySelector('img');
  const check = fold.nextElementSibling;
  const report = {folds: folds.length, openBefore: fold.open, figureShownBefore: figure.checkVisibility(),
                  checkShown: check.checkVisibility(), checkText: check.innerText.slice(0, 60)};
  fold.querySelector('summary').click();
  Object.assign(report, {openAfter: fold.open, figureShownAfter: figure.checkVisibility(),
                         figureHeight: figure.getBoundingClientRect().height,
                         textShownAfter: fold.innerText.length});
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify(report);
  document.body.appendChild(out);
});
</script>"""


def test_solutions_are_folded_until_clicked(chromium, course, site, tmp_path):
    infos, notebooks = course
    solutions = {info.path.stem: sum(1 for k, cell in enumerate(notebooks[info.path].cells)
                                     if notebook_model.is_solution(cell)
                                     and not (k and notebook_model.is_solution(notebooks[info.path].cells[k - 1])))
                 for info in infos}
    for stem, runs in solutions.items():
        assert (site / f"{stem}.html").read_text(encoding="utf-8").count('<details class="solution">') == runs, stem
    report = probe(site / "06_exercises.html", SOLUTION_PROBE)
    assert report["folds"] == solutions["06_exercises"]
    assert report["openBefore"] is False and report["figureShownBefore"] is False, report  # folded
    assert report["checkShown"] and "# Check: exercise" in report["checkText"], report  # check in view
    assert report["openAfter"] is True and report["figureShownAfter"] is True, report  # one click shows it
    assert report["figureHeight"] > 50 and report["textShownAfter"] > 200, report


def probe(page: Path, script: str) -> dict:
    """Load a copy of ``page`` with ``script`` added, and return the JSON the script left in <pre id="probe">."""
    probe_page = page.with_name(page.stem + ".probe.html")
    probe_page.write_text(page.read_text(encoding="utf-8").replace("</body>", script + "</body>"), encoding="utf-8")
    try:
        dom = dom_after_load(probe_page)
    finally:
        probe_page.unlink()
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, f"the probe script left no report in {page.name}"
    return json.loads(html.unescape(found.group(1)))


# Draws each character of a Chinese term in the font the page gives it, and a code point no font
# has: with a CJK font the three glyphs differ from each other and from the missing-glyph box;
# without one, all are the same empty box.
CJK_PROBE = """<script>
window.addEventListener('load', () => {
  const term = '交叉熵';
  const holder = Array.from(document.querySelectorAll('td, p, li')).find(e => e.textContent.includes(term));
  const font = '40px ' + getComputedStyle(holder).fontFamily;
  const draw = ch => { const c = document.createElement('canvas'); c.width = c.height = 64;
                       const g = c.getContext('2d'); g.font = font; g.fillText(ch, 4, 48); return c.toDataURL(); };
  const glyphs = Array.from(term).map(draw);
  const missing = draw(String.fromCodePoint(0x10FFFD));
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify({font, distinct: new Set(glyphs).size,
                                    boxes: glyphs.filter(g => g === missing).length});
  document.body.appendChild(out);
});
</script>"""


def test_chinese_terms_render_with_real_glyphs(chromium, site):
    """Debian's fonts-noto-cjk (installed by .ci/run) is in the pages' font stack, and is used."""
    for page in (site / "index.html", site / "02_cross_entropy.html"):
        report = probe(page, CJK_PROBE)
        assert "Noto Sans CJK" in report["font"], report
        assert report["distinct"] == 3 and report["boxes"] == 0, \
            f"{page.name}: Chinese text renders as empty boxes ({report}); install fonts-noto-cjk"


# --------------------------------------------------------------- formulas, wherever the site is put

def typeset_formulas(dom: str) -> int:
    return len(re.findall(r'class="mjx-chtml', dom))


def test_formulas_are_typeset_from_disk_by_the_copy_the_site_carries(chromium, site):
    page = site / "01_softmax.html"
    assert 'src="mathjax/MathJax.js?config=TeX-AMS_CHTML-full"' in page.read_text(encoding="utf-8")
    dom = dom_after_load(page)  # the browser has no network: only the site's own copy can typeset
    assert typeset_formulas(dom) > 20 and "Math Processing Error" not in dom, \
        f"only {typeset_formulas(dom)} formulas typeset by MathJax in 01_softmax.html opened from disk"


class _RecordingHandler(SimpleHTTPRequestHandler):
    requests: list[str] = []

    def log_request(self, code="-", size="-"):  # instead of printing each request, keep it
        type(self).requests.append(f"{self.requestline} {int(code)}")

    def log_message(self, format, *args):
        pass


def test_formulas_are_typeset_when_the_site_is_served_over_http(chromium, site):
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_RecordingHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = make_pdf.browse(f"http://127.0.0.1:{server.server_port}/01_softmax.html", "--dump-dom", timeout=180)
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr[-2000:]
    assert typeset_formulas(result.stdout) > 20, f"only {typeset_formulas(result.stdout)} formulas typeset over HTTP"
    assert any("/mathjax/MathJax.js" in line and line.endswith(" 200") for line in _RecordingHandler.requests)
    missing = [line for line in _RecordingHandler.requests if not line.endswith(" 200") and "/favicon.ico" not in line]
    assert not missing, f"the page asked for what the site does not have: {missing}"


# --------------------------------------------------------------------- search, sidebar, contents

def search_probe(query: str) -> str:
    """A script that types `query` into the search box and reports the results it lists."""
    return """<script>
window.addEventListener('load', () => {
  const box = document.getElementById('search');
  box.value = %s;
  box.dispatchEvent(new Event('input'));
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify(Array.from(document.querySelectorAll('#results li'),
                                              li => ({href: li.querySelector('a')?.getAttribute('href'), text: li.innerText})));
  document.body.appendChild(out);
});
</script>""" % json.dumps(query)


def test_search_finds_a_word_in_every_lesson_that_uses_it(chromium, site):
    hits = probe(site / "03_information_theory.html", search_probe("temperature"))
    assert hits and hits[0]["href"] == "01_softmax.html#Temperature", hits  # the section's title weighs most
    assert {hit["href"].split("#")[0] for hit in hits} >= {"01_softmax.html", "06_exercises.html"}, hits
    assert all(hit["href"] and "temperature" in hit["text"].lower() for hit in hits), hits
    assert probe(site / "index.html", search_probe("temperature softmax"))[0]["href"].startswith("01_softmax")
    nothing = probe(site / "index.html", search_probe("xylophone"))
    assert len(nothing) == 1 and nothing[0].get("href") is None and "No section" in nothing[0]["text"], nothing


def test_sidebar_lists_every_lesson_and_the_page_headings(course, site):
    infos, _ = course
    for info in infos:
        page = (site / f"{info.path.stem}.html").read_text(encoding="utf-8")
        sidebar = page.split('<nav class="sidebar">', 1)[1].split("</nav>", 1)[0]
        lessons = re.findall(r'<ol class="lessons">.*?</ol>', sidebar, re.S)[0]
        assert re.findall(r'<li[^>]*><a href="(\d\d_[^"]+\.html)"', lessons) == [f"{i.path.stem}.html" for i in infos]
        assert re.findall(r'<li[^>]*aria-current="page"[^>]*><a href="([^"]+)"', lessons) == [f"{info.path.stem}.html"]
        toc = re.findall(r'<ul class="toc">(.*?)</ul>', sidebar, re.S)[0]
        anchors = re.findall(r'href="#([^"]+)"', toc)
        headings = re.findall(r'<h[23] id="([^"]+)"', page.split("<main>", 1)[1])
        assert anchors == headings and len(anchors) >= 3, info.path.name  # every h2 and h3, in order


def test_solution_markers_and_hidden_tests_are_hidden_and_solutions_kept(course, site):
    infos, notebooks = course
    hidden = 0
    for info in infos:
        solutions = [cell for cell in notebooks[info.path].cells
                     if notebook_model.is_solution(cell) and cell.cell_type == "code"]
        text = make_html.plain((site / f"{info.path.stem}.html").read_text(encoding="utf-8").split("<main>", 1)[1])
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert f"### {marker}" not in text, f"{info.path.stem}.html shows the marker line '### {marker}'"
        for cell in solutions:  # the solution's own code is all there
            code = [line for line in cell.source.splitlines() if line.strip() and "### " not in line]
            assert code and all(" ".join(line.split()) in text for line in code), (info.path.name, code[:3])
        source = "\n".join(cell.source for cell in notebooks[info.path].cells)
        blocks = re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", source, re.S)
        elsewhere = {" ".join(line.split()) for block in re.split(r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS",
                                                                 source, flags=re.S) for line in block.splitlines()}
        lines = [" ".join(line.split()) for block in blocks for line in block.splitlines() if line.strip()]
        lines = [line for line in lines if line not in elsewhere]  # the hidden tests' own lines, not shown
        hidden += len(lines)
        assert not [line for line in lines if line in text], (info.path.name, lines[:2])
    assert hidden > 10  # notebooks 01, 02, 03 and 06 have hidden tests


def test_a_fold_does_not_repeat_its_label_as_a_heading(course, site):
    _, notebooks = course
    assert "### Solution\n" in "".join(cell.source for cell in notebooks[next(iter(p for p in notebooks
                                                                      if p.stem == "06_exercises"))].cells)
    for page, heading in (("06_exercises.html", "Solution"), ("zh/06_exercises.html", "解答")):
        after_folds = re.findall(r"</summary>(.{0,800})", (site / page).read_text(encoding="utf-8"), re.S)
        assert len(after_folds) >= 8 and not [text for text in after_folds if f'id="{heading}' in text], page


# -------------------------------------------------------------------------------- both languages

def test_each_page_links_to_its_twin_in_the_other_language(course, site):
    infos, _ = course
    for name in ["index.html", "status.html", *(f"{info.path.stem}.html" for info in infos)]:
        english = (site / name).read_text(encoding="utf-8")
        chinese = (site / "zh" / name).read_text(encoding="utf-8")
        assert f'href="zh/{name}" hreflang="zh">中文</a>' in english and '<html lang="en">' in english
        assert f'href="../{name}" hreflang="en">English</a>' in chinese and '<html lang="zh">' in chinese
    page = (site / "zh" / "01_softmax.html").read_text(encoding="utf-8")
    assert "把一组原始分数变成一个概率分布" in page and 'src="../mathjax/MathJax.js' in page and 'src="../lunr.min.js"' in page
    assert 'href="status.html">验证状态</a>' in page and "[索引]" not in page and ">索引</a>" in page


def test_the_chinese_search_finds_chinese_words(chromium, site):
    page = site / "zh" / "01_softmax.html"
    for word in ("交叉熵", "温度", "熵"):
        hits = probe(page, search_probe(word))
        assert hits and hits[0]["href"], (word, hits)
        assert all(word in hit["text"] for hit in hits), (word, hits)
    assert probe(page, search_probe("熵交"))[0].get("href") is None  # the pair 熵交 is in no section
    english = probe(site / "01_softmax.html", search_probe("temperature"))
    assert english[0]["href"] == "01_softmax.html#Temperature"  # each edition searches its own pages


# ------------------------------------------------------------------------------- verified or not

def test_without_a_record_every_page_says_not_verified(site, course):
    infos, _ = course
    assert "Not verified on this machine" in (site / "status.html").read_text(encoding="utf-8")
    assert "本机尚未验证" in (site / "zh" / "status.html").read_text(encoding="utf-8")
    for info in infos:
        assert "Not verified on this machine" in (site / f"{info.path.stem}.html").read_text(encoding="utf-8")
        chinese = (site / "zh" / f"{info.path.stem}.html").read_text(encoding="utf-8")
        assert "本机尚未验证" in chinese and "Not verified" not in chinese, info.path.stem
