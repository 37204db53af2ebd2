"""Your own data through the command (issue 17): a folder of PNG files, a CSV (patient, site, sex, age, some blank
labels) and its card, run end to end by the installed `fairdiff_run` script at the `tiny` preset."""
import os, subprocess, sys
from pathlib import Path
import numpy as np, pandas as pd, pytest
from conftest import write_cohort

def _console_script() -> str:
    exe = Path(sys.executable).parent/'fairdiff_run'
    if not exe.exists(): pytest.skip(f'the console script fairdiff_run is not installed beside {sys.executable}')
    return str(exe)

def test_grayscale_csv_end_to_end(tmp_path):
    csv, card = write_cohort(tmp_path/'xray', channels=1)
    out = tmp_path/'runs'
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'FAIRDIFF_PROGRESS': 'quiet', 'HF_HUB_OFFLINE': '1'}
    words = [_console_script(), '--preset', 'tiny', '--dataset', str(csv), '--out', str(out),
             '--methods', 'erm,stain_jitter,diffusion_label_property', '--intersections', 'sex x age_group']
    r = subprocess.run(words, capture_output=True, text=True, timeout=900, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    folder = next(out.glob('protocol-*'))
    res = pd.read_csv(folder/'results.csv')
    # stain jitter on X-ray data is colour jitter, and named so
    assert set(res['method']) == {'erm', 'color_jitter', 'diffusion_label_property'}
    ood = res[res['split'] == 'ood']
    assert ood['n'].max() > 0 and np.isfinite(ood.loc[(ood.metric == 'high_risk_sensitivity') & (ood.attribute == 'all'), 'value']).all()
    gaps = res[res['group'] == 'gap']
    assert {'sex', 'age_group', 'site', 'sex x age_group'} <= set(gaps['attribute'])  # the intersection given on the command line
    report = (folder/'report.md').read_text()
    assert 'high_risk_sensitivity' in report and 'fairness attribute `sex`' in report and 'from the cohort card' in report
    assert '## Data' in report and 'clinic_c' in report
    assert {p.name for p in (folder/'figures').glob('*.png')} >= {'ood_bars.png', 'gap_vs_metric.png', 'samples.png'}
    # the generator and the samples stayed 1-channel
    synth = next(out.glob('*/synthetic/*/images.npy'))
    assert np.load(synth, mmap_mode='r').shape[-1] == 1

def test_unreadable_images_dropped_and_counted(tmp_path):
    "With `--on-error drop` an unreadable image leaves the cohort before training, and the report counts it."
    csv, card = write_cohort(tmp_path/'study')
    (csv.parent/'images'/'clinic_a-p001-0.png').write_bytes(b'not an image')
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'FAIRDIFF_PROGRESS': 'quiet', 'HF_HUB_OFFLINE': '1'}
    words = [_console_script(), '--preset', 'tiny', '--dataset', str(csv), '--out', str(tmp_path/'runs'), '--methods', 'erm', '--no-quality']
    r = subprocess.run(words, capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 2 and 'clinic_a-p001-0.png' in r.stderr.splitlines()[0], r.stderr  # raise is the default
    r = subprocess.run(words + ['--on-error', 'drop'], capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    report = (next((tmp_path/'runs').glob('protocol-*'))/'report.md').read_text()
    assert '1 image(s) cannot be read (line' in report and 'their rows are dropped (on_error: drop)' in report
    assert '| train |' in report  # the split table is there
