#!/usr/bin/env python
"""Write README.md from nbs/index.ipynb without Quarto (which `nbdev_readme` needs).

Cells flagged `#| hide` are dropped and nbdev directive lines (`#| ...`) are removed; nbconvert's
Markdown exporter renders the rest, outputs included. `--check` exits 1 when README.md is stale.
"""
import argparse, copy, sys
from pathlib import Path
import nbformat
from nbconvert import MarkdownExporter

ROOT = Path(__file__).resolve().parents[1]

def _directives(src):
    "nbdev directive names of a code cell (lines starting with '#|')."
    return [l[2:].strip().split()[0] for l in src.splitlines() if l.startswith('#|') and l[2:].strip()]

def readme_text(nb_path=ROOT/'nbs'/'index.ipynb'):
    "The Markdown for README.md rendered from `nb_path`."
    nb = copy.deepcopy(nbformat.read(nb_path, as_version=4))
    cells = []
    for c in nb.cells:
        if c.cell_type == 'code':
            if {'hide', 'exporti', 'exporth'} & set(_directives(c.source)): continue
            c.source = '\n'.join(l for l in c.source.splitlines() if not l.startswith('#|')).strip('\n')
        cells.append(c)
    nb.cells = cells
    nb.metadata['language_info'] = {'name': 'python'}  # nbdev_clean drops it; nbconvert uses it to tag code blocks
    body, _ = MarkdownExporter().from_notebook_node(nb)
    return '<!-- Generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file. -->\n\n' + body.strip() + '\n'

def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--check', action='store_true', help='exit 1 if README.md differs from the notebook')
    a = p.parse_args()
    text, readme = readme_text(), ROOT/'README.md'
    if a.check:
        if not readme.exists() or readme.read_text() != text:
            sys.exit('README.md is stale: run `python tools/make_readme.py` and commit the result')
        print('README.md is current'); return
    readme.write_text(text); print(f'wrote {readme}')

if __name__ == '__main__': main()
