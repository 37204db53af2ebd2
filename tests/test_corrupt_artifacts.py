"""Issue 18 (items 3, 4), end to end: each cached artifact of a tiny protocol run is damaged in turn, the protocol is run
again, and the damaged file is named in a warning, moved aside and recomputed (its stage only), to the same results."""
import os, warnings
from pathlib import Path
import pandas as pd, pytest
from fairdiff_nb.experiments import protocol_config, run_protocol

os.environ.setdefault('FAIRDIFF_PROGRESS', 'quiet')

def zero_block(p:Path, n:int=4096):
    "Zero `n` bytes in the middle of `p` (it keeps its size)."
    b = bytearray(p.read_bytes())
    b[len(b) // 2:len(b) // 2 + n] = bytes(n)
    p.write_bytes(bytes(b))

def cut_rows(p:Path, drop:int=5):
    "Cut the last `drop` rows of a CSV, at a row boundary (it still parses)."
    p.write_text(''.join(p.read_text().splitlines(keepends=True)[:-drop]))

@pytest.fixture(scope='module')
def protocol(tmp_path_factory):
    "A tiny protocol run: (config, out folder, results.csv of the first run)."
    out = tmp_path_factory.mktemp('protocol')
    cfg = protocol_config('tiny', 'synth_histo', methods=('erm', 'diffusion_label_property'), quality=True, n_boot=20)
    folder = run_protocol(cfg, out, verbose=False)
    return cfg, out, folder, pd.read_csv(folder/'results.csv')

def artifacts(out:Path) -> dict:
    "The cached artifact of each stage: name -> path."
    root = next(p for p in out.iterdir() if p.name.startswith('synth_histo-'))
    found = {'benchmark': next((root/'data').glob('synth_histo-*.npy')),
             'diffusion': next(root.glob('diffusion-*'))/'model.safetensors',
             'synthetic': next(p for p in (root/'synthetic').glob('synthetic-*') if '.stale-' not in p.name)/'images.npy',
             'quality': next((root/'quality').glob('quality-*/quality.csv'))}
    for m in sorted((root/'classifiers').glob('classifier-*/metrics-*-b20-*.csv')): found[f'metrics {m.parent.name}'] = m
    return found

CASES = {  # what is damaged, how, which file the warning must name, which stages recompute
    'metrics csv cut at a row boundary': ('metrics', cut_rows, 'metrics-v'),
    'synthetic cohort.csv cut at a row boundary': ('synthetic', lambda p: cut_rows(p.with_name('cohort.csv'), 32), 'cohort.csv'),
    'synthetic images.npy zeroed': ('synthetic', zero_block, 'images.npy'),
    'diffusion model.safetensors zeroed': ('diffusion', zero_block, 'model.safetensors'),
    'benchmark npy zeroed': ('benchmark', zero_block, '.npy'),
    'quality.csv cut at a row boundary': ('quality', cut_rows, 'quality.csv'),
}

@pytest.mark.parametrize('case', list(CASES))
def test_damaged_artifact_recomputed(protocol, case):
    cfg, out, folder, first = protocol
    kind, damage, named = CASES[case]
    before = artifacts(out)
    target = next(p for k, p in before.items() if k.startswith(kind))
    mtimes = {k: p.stat().st_mtime_ns for k, p in before.items()}
    damage(target)
    (folder/'results.csv').unlink()  # written again from the stages' tables
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        folder = run_protocol(cfg, out, verbose=False)
    msgs = [str(m.message) for m in w if 'record' in str(m.message)]
    assert len(msgs) == 1 and named in msgs[0].split(' ')[0] and str(out) in msgs[0], msgs  # the file is named
    assert list(target.parent.glob('*.stale-*')) or list(target.parent.parent.glob(f'{target.parent.name}.stale-*'))  # moved aside
    after = artifacts(out)
    changed = {k for k in after if after[k].stat().st_mtime_ns != mtimes.get(k)}
    assert changed == {next(k for k in before if k.startswith(kind))}, changed  # only that stage recomputed
    pd.testing.assert_frame_equal(pd.read_csv(folder/'results.csv'), first)  # to the same results
