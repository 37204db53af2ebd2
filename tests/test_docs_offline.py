"""The docs build (`python tools/build_docs.py`) installs and downloads nothing, with or without Quarto.

nbdev's `nbdev_proc_nbs` / `nbdev_docs` run nbdev's Quarto installer when `quarto` is not on PATH: `sudo`, `curl`,
then `pip install -e <project>[dev]` into the active environment. Here the build runs with a PATH that starts with
stand-ins for every such command (`pip`, `pip3`, `sudo`, `curl`, `wget`, `quarto`, `apt-get`), each of which notes
its call in a marker file and fails; once with the `quarto` stand-in on PATH (nothing may render with Quarto) and
once with no `quarto` anywhere on PATH (the case that triggers nbdev's installer). The build writes into a temporary
folder (`--out`, `--proc`) and processes two chapters (`--only`), so the test takes seconds; `.ci/check` builds the
whole site.
"""
import os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
GUARDED = ('pip', 'pip3', 'sudo', 'curl', 'wget', 'quarto', 'apt-get')
CHAPTERS = ('index.ipynb', '00_core.ipynb')

def _stand_ins(folder:Path, names, marker:Path) -> Path:
    "Executables `names` in `folder` that append their command line to `marker` and exit 1."
    folder.mkdir()
    for n in names:
        exe = folder/n
        exe.write_text(f'#!/bin/sh\necho "{n} $*" >> "{marker}"\nexit 1\n'); exe.chmod(0o755)
    return folder

def _install_location() -> dict:
    "`pip show fairdiff_nb`'s location lines (the real pip, run by this interpreter)."
    out = subprocess.run([sys.executable, '-m', 'pip', 'show', 'fairdiff_nb'], capture_output=True, text=True, check=True,
                         env={**os.environ, 'PIP_DISABLE_PIP_VERSION_CHECK': '1'}).stdout
    return dict(l.split(': ', 1) for l in out.splitlines() if 'location' in l.lower().split(':')[0])

def _path_without_quarto() -> list:
    return [d for d in os.environ.get('PATH', '').split(os.pathsep) if d and not os.access(Path(d)/'quarto', os.X_OK)]

@pytest.mark.parametrize('quarto', ['stand-in', 'absent'])
def test_docs_build_installs_nothing(tmp_path, quarto):
    marker = tmp_path/'called'
    names = GUARDED if quarto == 'stand-in' else tuple(n for n in GUARDED if n != 'quarto')
    bin_dir = _stand_ins(tmp_path/'bin', names, marker)
    rest = _path_without_quarto() if quarto == 'absent' else os.environ.get('PATH', '').split(os.pathsep)
    env = {**os.environ, 'PATH': os.pathsep.join([str(bin_dir), *rest])}
    assert (subprocess.run(['sh', '-c', 'command -v quarto'], env=env, capture_output=True, text=True).stdout.strip()
            == (str(bin_dir/'quarto') if quarto == 'stand-in' else ''))
    before = _install_location()
    assert before, 'fairdiff_nb is not installed (pip install -e ".[dev]")'
    out = tmp_path/'docs'
    r = subprocess.run([sys.executable, 'tools/build_docs.py', '--out', str(out), '--proc', str(tmp_path/'proc'),
                        '--only', *CHAPTERS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f'build failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}'
    assert not marker.exists(), f'the docs build ran: {marker.read_text()}'
    assert _install_location() == before
    assert 'built 2 pages' in r.stdout
    core = (out/'core.html').read_text()
    assert 'openmp_defaults' in core and 'Set each variable of' in core  # show_doc ran: the API docs are there
    assert (out/'index.html').stat().st_size > 1000

def test_stand_ins_catch_the_installer(tmp_path):
    "The harness sees nbdev's installer: its first command (`sudo touch .installing`) hits the `sudo` stand-in."
    marker = tmp_path/'called'
    bin_dir = _stand_ins(tmp_path/'bin', ('sudo', 'curl'), marker)
    env = {**os.environ, 'PATH': os.pathsep.join([str(bin_dir), *_path_without_quarto()])}
    code = 'from nbdev.quarto import install_quarto; install_quarto.__wrapped__()'  # Quarto only: no pip step
    subprocess.run([sys.executable, '-c', code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert marker.read_text().startswith('sudo touch .installing')
    assert 'curl' not in marker.read_text()  # sudo failed, so the installer stopped ("Cancelled")
