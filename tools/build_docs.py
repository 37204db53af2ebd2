#!/usr/bin/env python
"""Build the documentation site into `_docs/` offline, without Quarto.

nbdev prepares the notebooks exactly as it does for Quarto (its processor chain `FilterDefaults`: show_doc cells
executed into API docs, hidden cells dropped, front matter added) into `_proc/`; nbconvert's HTML exporter (a
maintained renderer of notebooks) turns each processed notebook into a page body, with figures extracted to PNG
files. This script adds only what Quarto would: a page shell with a sidebar of every chapter in order, relative links
between pages, and the rewriting of Quarto-only markup. Where Quarto exists, `nbdev_docs` still works from
`nbs/_quarto.yml`.

The build installs and downloads nothing. nbdev's `nbdev_proc_nbs` (and `nbdev_docs`, `nbdev_preview`) first call
`nbdev.quarto._ensure_quarto`, which, when `quarto` is not on PATH, runs nbdev's installer: `sudo` + `curl` of the
Quarto package, then `pip install -e <project>[dev]` into whatever environment is active. So this script never calls
those commands: it runs nbdev's processor chain on each notebook itself (the loop `nbdev.serve.proc_nbs` runs, minus
the installer, the `_quarto.yml`/`sidebar.yml` refresh and the `_modidx.py` rewrite, all of which only Quarto needs
or `nbdev_export` already did), and it replaces nbdev's installer functions by ones that fail, in case any code
reached them. Run `nbdev_export` first, as `.ci/check` does.
"""
import argparse, ast, configparser, html, os, re, shutil, sys
from pathlib import Path
import nbformat, yaml
from nbconvert import HTMLExporter
from nbconvert.preprocessors import ExtractOutputPreprocessor, TagRemovePreprocessor
from pygments.formatters import HtmlFormatter

ROOT = Path(__file__).resolve().parents[1]
CSS = """
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #212529; }
nav#sidebar { position: fixed; top: 0; left: 0; bottom: 0; width: 250px; overflow-y: auto; background: #f7f7f9;
  border-right: 1px solid #ddd; padding: 1rem; box-sizing: border-box; }
nav#sidebar a { display: block; padding: .25rem .4rem; color: #2c3e50; text-decoration: none; border-radius: 4px; }
nav#sidebar a.active { background: #2780e3; color: white; }
nav#sidebar .site-title { font-weight: bold; font-size: 1.2rem; margin-bottom: .8rem; }
main { margin-left: 270px; padding: 1rem 2rem 4rem; max-width: 980px; }
pre { background: #f5f5f5; padding: .6rem; overflow-x: auto; border-radius: 4px; }
.jp-OutputArea pre, .output pre { background: none; border-left: 2px solid lightsalmon; }
table { border-collapse: collapse; } td, th { border: 1px solid #ddd; padding: .2rem .5rem; }
img { max-width: 100%; }
a.anchor-link { text-decoration: none; opacity: .3; margin-left: .3rem; }
p.description { font-style: italic; font-size: 1.25rem; opacity: .7; }
.jp-InputPrompt, .jp-OutputPrompt, .prompt { display: none; }
"""

def _settings():
    cfg = configparser.ConfigParser(delimiters=['=']); cfg.read(ROOT/'settings.ini')
    return cfg['DEFAULT']

def _front_matter(nb):
    "Pop nbdev's raw front-matter cell and return it as a dict."
    if nb.cells and nb.cells[0].cell_type == 'raw' and nb.cells[0].source.strip().startswith('---'):
        meta = yaml.safe_load(nb.cells.pop(0).source.strip().strip('-')) or {}
        return meta
    return {}

def _tag_cells(nb):
    "Translate Quarto cell options (`#| echo: false`, `#| output: false`) into nbconvert remove tags."
    for c in nb.cells:
        if c.cell_type != 'code': continue
        lines = c.source.splitlines()
        opts = {l[2:].split(':')[0].strip(): l.split(':', 1)[1].strip() for l in lines if l.startswith('#|') and ':' in l}
        tags = set(c.metadata.get('tags', []))
        if opts.get('echo') == 'false': tags.add('remove_input')
        if opts.get('output') == 'false' or opts.get('include') == 'false': tags.add('remove_output')
        if opts.get('include') == 'false': tags.add('remove_cell')
        c.metadata['tags'] = sorted(tags)
        c.source = '\n'.join(l for l in lines if not l.startswith('#|')).strip('\n')
        if not c.source and not c.get('outputs'): tags.add('remove_cell'); c.metadata['tags'] = sorted(tags)
    return nb

def _fix_links(body, pages, site_url):
    "Relative links between pages; drop Quarto attribute blocks after links."
    body = re.sub(r'\{target=&quot;_blank&quot;[^}]*\}|\{target="_blank"[^}]*\}', '', body)
    if site_url: body = body.replace(site_url.rstrip('/') + '/', '')
    for nb_name, html_name in pages.items(): body = body.replace(f'href="{nb_name}', f'href="{html_name}')
    return body

def _fix_anchors(out):
    "Point `page.html#frag` links at the id that exists (nbconvert keeps the heading's case and markup, Quarto lowercases)."
    ids = {p.name: set(re.findall(r'id="([^"]+)"', p.read_text())) for p in out.glob('*.html')}
    key = lambda i: re.sub(r'[^a-z0-9]', '', i.lower())  # markdown may eat '__' (bold) or change case in heading ids
    lower = {page: {key(i): i for i in v} for page, v in ids.items()}
    def fix(m):
        page, frag = m.group(1), m.group(2)
        if page not in ids or frag in ids[page]: return m.group(0)
        if key(frag) in lower[page]: return f'href="{page}#{lower[page][key(frag)]}"'
        return f'href="{page}"'  # a symbol without its own doc heading: link to its chapter
    for p in out.glob('*.html'):
        p.write_text(re.sub(r'href="([\w.-]+\.html)#([^"]+)"', fix, p.read_text()))

def _page(title, description, body, nav, out_name, site_title):
    active = ' class="active"'
    links = '\n'.join(f'<a href="{href}"{active if href == out_name else ""}>{html.escape(t)}</a>' for href, t in nav)
    desc = f'<p class="description">{html.escape(description)}</p>' if description else ''
    pyg = HtmlFormatter().get_style_defs('.highlight')
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} - {html.escape(site_title)}</title>
<style>{CSS}\n{pyg}</style></head>
<body><nav id="sidebar"><div class="site-title"><a href="index.html">{html.escape(site_title)}</a></div>
{links}</nav>
<main><h1 class="title">{html.escape(title)}</h1>{desc}
{body}
</main></body></html>
"""

def _only_imports(src):
    "True if a cell holds nothing but import statements (and comments)."
    try: tree = ast.parse(src)
    except SyntaxError: return False
    return all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in tree.body)

def _forbid_installers():
    "Replace nbdev's Quarto installer (sudo, curl, `pip install -e`) by functions that fail: the docs build installs nothing."
    import nbdev.quarto as Q
    def refuse(*args, **kwargs):
        raise SystemExit('tools/build_docs.py does not install Quarto or pip packages (nbdev.quarto installer called)')
    for name in ('install_quarto', 'install', '_ensure_quarto', '_install_linux', '_install_mac'): setattr(Q, name, refuse)

def _proc_nbs(proc, only=None):
    "nbdev's docs processing of every notebook into `proc`, evaluating for show_doc only exported, show_doc and pure import cells."
    # nbdev also runs any test cell that contains an import, out of context (its other cells are not run), which
    # fails on cells such as `if x: import y` or `import pickle; pickle.dumps(obj)`. Those cells' imports are never
    # needed by show_doc, so they are left out of the docs-time evaluation; nbdev_test still runs them.
    import nbdev.processors as P, nbdev.serve_drv
    from nbdev.config import get_config
    from nbdev.doclinks import nbglob
    _forbid_installers()
    for k in ('HF_HUB_OFFLINE', 'TRANSFORMERS_OFFLINE', 'HF_DATASETS_OFFLINE'): os.environ.setdefault(k, '1')
    nbs_path = get_config(path=ROOT).nbs_path
    srcs = [p for p in nbglob(nbs_path, func=Path) if not only or p.name in only]  # nbs/**/*.ipynb, not `_*`
    if only and len(srcs) != len(only): raise SystemExit(f'no such notebooks in {nbs_path}: {sorted(set(only) - {p.name for p in srcs})}')
    if proc.resolve() != (ROOT/'_proc').resolve() and any(p.is_file() and p.suffix != '.ipynb' for p in proc.rglob('*')):
        raise SystemExit(f'{proc} holds files other than processed notebooks: not deleting it')
    orig = P._do_eval
    def _do_eval(cell):
        if not orig(cell): return False
        src = cell.source
        if any(k.startswith('export') for k in getattr(cell, 'directives_', {})) or 'show_doc' in src: return True
        return _only_imports(src)
    P._do_eval = _do_eval
    shutil.rmtree(proc, ignore_errors=True); proc.mkdir(parents=True)
    try:
        for src in srcs:
            dst = proc/src.relative_to(nbs_path); dst.parent.mkdir(parents=True, exist_ok=True)
            nbdev.serve_drv.main((src, dst, P.FilterDefaults))  # in-process, so that the patch applies
    finally: P._do_eval = orig

def build(out=ROOT/'_docs', proc=ROOT/'_proc', skip_proc=False, only=None):
    "Process the notebooks with nbdev into `proc`, render them with nbconvert, write the site to `out`."
    s = _settings()
    if not skip_proc: _proc_nbs(proc, only)
    nbs = sorted(p for p in proc.glob('*.ipynb'))
    nbs = sorted(nbs, key=lambda p: (p.name != 'index.ipynb', p.name))
    if not nbs: raise SystemExit(f'no processed notebooks in {proc}: did nbdev_proc_nbs run?')
    shutil.rmtree(out, ignore_errors=True); (out/'figures').mkdir(parents=True)
    loaded, pages, nav = [], {}, []
    for p in nbs:
        nb = nbformat.read(p, as_version=4); fm = _front_matter(nb)
        name = 'index.html' if p.name == 'index.ipynb' else fm.get('output-file', p.stem + '.html')
        title = fm.get('title', p.stem)
        pages[p.name] = name; nav.append((name, 'Home' if name == 'index.html' else title))
        loaded.append((p, nb, fm, name, title))
    exporter = HTMLExporter(template_name='basic')
    exporter.register_preprocessor(TagRemovePreprocessor(remove_input_tags=('remove_input',),
        remove_all_outputs_tags=('remove_output',), remove_cell_tags=('remove_cell',), enabled=True), enabled=True)
    exporter.register_preprocessor(ExtractOutputPreprocessor(enabled=True), enabled=True)
    for p, nb, fm, name, title in loaded:
        nb = _tag_cells(nb)
        if name == 'index.html' and nb.cells and nb.cells[0].cell_type == 'markdown':  # the H1 of index is the page title
            nb.cells[0].source = re.sub(r'^#\s+.*\n?', '', nb.cells[0].source, count=1)
        body, res = exporter.from_notebook_node(nb, resources={'output_files_dir': 'figures/' + Path(name).stem})
        for fn, data in res.get('outputs', {}).items():
            (out/fn).parent.mkdir(parents=True, exist_ok=True); (out/fn).write_bytes(data)
        body = _fix_links(body, pages, f"{s.get('doc_host', '')}{s.get('doc_baseurl', '')}")
        (out/name).write_text(_page(title, fm.get('description', ''), body, nav, name, s.get('title', 'docs')))
    _fix_anchors(out)
    print(f'built {len(loaded)} pages into {out}')
    return out

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--out', default=str(ROOT/'_docs'))
    ap.add_argument('--proc', default=str(ROOT/'_proc'), help='folder for the processed notebooks')
    ap.add_argument('--skip-proc', action='store_true', help='reuse the processed notebooks of an earlier build in --proc')
    ap.add_argument('--only', nargs='+', metavar='NB', help='build only these notebooks (file names), e.g. for a quick check')
    a = ap.parse_args()
    build(Path(a.out), Path(a.proc), skip_proc=a.skip_proc, only=set(a.only) if a.only else None)
