"Tests of the installed package, run by pytest from outside the source tree."
import configparser, os, subprocess, sys, shlex
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
CFG = configparser.ConfigParser(delimiters=['=']); CFG.read(ROOT/'settings.ini')
SETTINGS = CFG['DEFAULT']

def _run(code, cwd, **env):
    return subprocess.run([sys.executable, '-c', code], cwd=cwd, capture_output=True, text=True, env={**os.environ, 'PYTHONPATH': '', **env})

def test_imports_from_another_directory(tmp_path):
    r = _run("import fairdiff_nb, fairdiff_nb.core; print(fairdiff_nb.__version__); print(fairdiff_nb.__file__)", tmp_path)
    assert r.returncode == 0, r.stderr
    version, path = r.stdout.split()
    assert version == SETTINGS['version']
    assert Path(path).resolve().parent == (ROOT/'fairdiff_nb').resolve()

def test_every_exported_module_imports(tmp_path):
    mods = sorted(p.stem for p in (ROOT/'fairdiff_nb').glob('*.py') if not p.stem.startswith('_'))
    assert 'core' in mods
    r = _run('; '.join(f'import fairdiff_nb.{m}' for m in mods), tmp_path)
    assert r.returncode == 0, r.stderr

def _console_scripts():
    return [s.split('=')[0].strip() for s in shlex.split(SETTINGS.get('console_scripts', ''))]

@pytest.mark.parametrize('script', _console_scripts() or [pytest.param(None, marks=pytest.mark.skip(reason='no console scripts declared yet'))])
def test_console_script_help(script, tmp_path):
    exe = Path(sys.executable).parent/script
    r = subprocess.run([str(exe), '--help'], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert 'usage' in r.stdout.lower()

def test_config_hash_is_stable_across_processes(tmp_path):
    code = ("import dataclasses; from fairdiff_nb.core import Config\n"
            "@dataclasses.dataclass(frozen=True)\nclass C(Config):\n    a: int = 1\n    b: tuple = ('x', 2.5)\n"
            "print(C().config_hash())")
    hashes = {_run(code, tmp_path, PYTHONHASHSEED=str(s)).stdout.strip() for s in (1, 2)}  # salted str hashes differ
    assert len(hashes) == 1 and len(hashes.pop()) == 12
