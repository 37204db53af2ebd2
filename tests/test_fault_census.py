"""Fault census (issue 18): bad input through `fairdiff_run`, each case asserting that the command stops before any
training with exit status 2, no traceback, and a first line on stderr that names the culprit (file, column, value,
site, patient or option) and says what to do.

Most cases call the console entry point `main()` in this process (the same code path as the `fairdiff_run` script,
seconds in all); `test_console_script_*` run the installed script itself for a few of them. Each CSV case starts from
`conftest.write_cohort` (a valid cohort that runs end to end in `test_your_data.py`) and breaks one thing.
"""
import json, os, shutil, subprocess, sys
from pathlib import Path
import pandas as pd, pytest
from conftest import write_cohort, default_card
from fairdiff_nb.experiments import main

def edit_csv(fn):
    "A setup that rewrites the cohort CSV with `fn(DataFrame) -> DataFrame`."
    def setup(csv, card):
        df = pd.read_csv(csv, dtype=str, keep_default_na=False)
        fn(df).to_csv(csv, index=False)
    return setup

def edit_card(**changes):
    "A setup that changes (or with value None, removes) fields of the card."
    def setup(csv, card):
        d = json.loads(card.read_text())
        for k, v in changes.items():
            if v is None: d.pop(k, None)
            else: d[k] = v
        card.write_text(json.dumps(d))
    return setup

def set_cell(row, col, value):
    def fn(df):
        df.loc[row, col] = value
        return df
    return fn

def write_bytes(relpath, data:bytes):
    "A setup that overwrites a file of the study folder."
    def setup(csv, card): (csv.parent/relpath).write_bytes(data)
    return setup

def truncate(relpath, keep:int):
    def setup(csv, card):
        p = csv.parent/relpath
        p.write_bytes(p.read_bytes()[:keep])
    return setup

def copy_image(src_row, dst_row, new_patient=None, new_label=None):
    "Row `dst_row` points at a byte copy of row `src_row`'s image (same pixels, another path)."
    def setup(csv, card):
        df = pd.read_csv(csv, dtype=str, keep_default_na=False)
        dst = f'images/copy-of-{Path(df.loc[src_row, "path"]).name}'
        shutil.copy(csv.parent/df.loc[src_row, 'path'], csv.parent/dst)
        df.loc[dst_row, 'path'] = dst
        df.to_csv(csv, index=False)
    return setup

FIRST_ID = 'clinic_a-p000'
ROW_A0 = 0  # clinic_a-p000, image 0 (label normal unless blanked)

# (case id, setup(csv, card) or None, extra command-line words ('{csv}', '{card}', '{out}', '{tmp}' filled in), culprit)
CASES = [
    # arguments
    ('unknown preset', None, ['--preset', 'huge'], "'huge'"),
    ('unknown dataset name', None, ['--dataset', 'mnist'], "'mnist'"),
    ('unknown method', None, ['--methods', 'erm,mixup'], "'mixup'"),
    ('negative seeds', None, ['--seeds', '-1'], '--seeds'),
    ('ratio above 1', None, ['--ratios', '0.25,1.5'], '1.5'),
    ('ratio not a number', None, ['--ratios', '0.5,x'], "'0.5,x'"),
    ('unknown composition', None, ['--compose', 'sum'], "'sum'"),
    ('out under a file', 'out-under-file', ['--out', '{tmp}/a_file/runs'], 'a_file/runs'),
    ('out not writable', None, ['--out', '/proc/fairdiff-census'], '/proc/fairdiff-census'),
    ('ham10000 without data root', None, ['--dataset', 'ham10000'], '--data-root'),
    ('ham10000 data root missing', None, ['--dataset', 'ham10000', '--data-root', '{tmp}/nowhere'], 'nowhere'),
    ('CSV missing', None, ['--dataset', '{tmp}/nowhere/cohort.csv'], 'nowhere/cohort.csv'),
    ('card option on a named data set', None, ['--dataset', 'synth_derm', '--site', 'hospital'], '--site'),
    ('card file missing', None, ['--card', '{tmp}/missing.yaml'], 'missing.yaml'),
    ('channels neither 1 nor 3', None, ['--channels', '2'], 'channels'),
    ('unknown on-error', None, ['--on-error', 'ignore'], "'ignore'"),
    ('generator seeds above seeds', None, ['--generator-seeds', '3'], 'generator_seeds'),
    # the card
    ('card unknown key', edit_card(lable='finding'), [], "'lable'"),
    ('card broken JSON', write_bytes('cohort.json', b'{"image": "path", "label": '), [], 'cohort.json'),
    ('card broken YAML', 'broken-yaml', ['--card', '{tmp}/study/card.yaml'], 'card.yaml'),
    ('card names a missing column', edit_card(patient='pid_x'), [], "'pid_x'"),
    ('card high risk not a class', edit_card(high_risk=['cancer']), [], "'cancer'"),
    ('card OOD site not in the CSV', edit_card(ood_sites=['clinic_z']), [], "'clinic_z'"),
    ('card without OOD sites', edit_card(ood_sites=None), [], 'ood_sites'),
    ('card channels 2', edit_card(channels=2), [], 'channels'),
    # the CSV as a file
    ('empty CSV', write_bytes('cohort.csv', b''), [], 'cohort.csv'),
    ('header-only CSV', write_bytes('cohort.csv', b'path,finding,patient_id,hospital,sex,age\n'), [], 'cohort.csv'),
    ('CSV not text', write_bytes('cohort.csv', bytes(range(256)) * 8), [], 'cohort.csv'),
    ('CSV ragged row', 'ragged', [], 'cohort.csv'),
    # columns
    ('missing image column', edit_csv(lambda d: d.drop(columns='path')), [], "'path'"),
    ('missing label column', edit_csv(lambda d: d.drop(columns='finding')), [], "'finding'"),
    ('missing attribute column', edit_csv(lambda d: d.drop(columns='sex')), [], "'sex'"),
    ('missing site column', edit_csv(lambda d: d.drop(columns='hospital')), [], "'hospital'"),
    # images
    ('image file missing', edit_csv(set_cell(ROW_A0, 'path', 'images/gone.png')), [], 'gone.png'),
    ('image truncated', truncate('images/clinic_a-p000-0.png', 60), [], 'clinic_a-p000-0.png'),
    ('image not an image', write_bytes('images/clinic_a-p000-0.png', b'not a png at all'), [], 'clinic_a-p000-0.png'),
    ('JPEG truncated', 'truncated-jpeg', [], 'cut.jpg'),
    # labels
    ('label value abc', edit_csv(set_cell(ROW_A0, 'finding', 'abc')), [], "'abc'"),
    ('label code 2', edit_csv(set_cell(ROW_A0, 'finding', '2')), [], "'2'"),
    ('label code 0.5', edit_csv(set_cell(ROW_A0, 'finding', '0.5')), [], "'0.5'"),
    ('one class only', edit_csv(lambda d: d.assign(finding=d['finding'].where(d['finding'] == '', 'normal'))), [], 'class'),
    ('no labels at all', edit_csv(lambda d: d.assign(finding='')), [], 'label'),
    # sites and patients
    ('site with a single class', edit_csv(lambda d: d.assign(finding=d['finding'].where((d['hospital'] != 'clinic_b') | (d['finding'] == ''), 'normal'))), [], "'clinic_b'"),
    ('site with too few patients', edit_csv(set_cell(ROW_A0, 'hospital', 'clinic_tiny')), [], "'clinic_tiny'"),
    ('blank site', edit_csv(set_cell(ROW_A0, 'hospital', '')), [], 'hospital'),
    ('patient at two sites', edit_csv(set_cell(ROW_A0, 'hospital', 'clinic_b')), [], FIRST_ID),
    # duplicates and conflicts
    ('same path, two patients', edit_csv(lambda d: d.assign(path=d['path'].where(d.index != 30, d.loc[0, 'path']))), [], 'clinic_a-p000-0.png'),
    ('same pixels, two patients', copy_image(0, 30), [], 'clinic_a-p000-0.png'),
    ('split column with a bad value', 'bad-split', [], "'tested'"),
]

def _prepare(case_setup, tmp:Path) -> tuple[Path, Path]:
    csv, card = write_cohort(tmp/'study')
    if case_setup == 'out-under-file': (tmp/'a_file').write_text('x')
    elif case_setup == 'broken-yaml': (tmp/'study'/'card.yaml').write_text('image: path\nlabel: [finding\n')
    elif case_setup == 'ragged':
        with open(csv, 'a') as f: f.write('images/x.png,normal,p9,clinic_a,male,40,extra,cells\n')
    elif case_setup == 'truncated-jpeg':
        from PIL import Image
        import io
        buf = io.BytesIO()
        Image.new('RGB', (64, 64), (120, 60, 30)).save(buf, format='JPEG')
        (csv.parent/'images'/'cut.jpg').write_bytes(buf.getvalue()[:len(buf.getvalue()) // 2])
        edit_csv(set_cell(ROW_A0, 'path', 'images/cut.jpg'))(csv, card)
    elif case_setup == 'bad-split':
        df = pd.read_csv(csv, dtype=str, keep_default_na=False)
        by_patient = df['patient_id'].str[-1].astype(int) % 5  # patient-wise: 0-2 train, 3 val, 4 test
        df['split'] = by_patient.map({0: 'train', 1: 'train', 2: 'train', 3: 'val_id', 4: 'test_id'})
        ood = df['hospital'] == 'clinic_c'
        df.loc[ood, 'split'] = by_patient[ood].map(lambda k: 'val_ood' if k < 2 else 'test_ood')
        df.loc[df['patient_id'] == 'clinic_a-p002', 'split'] = 'tested'
        df.to_csv(csv, index=False)
        edit_card(split='split')(csv, card)
    elif case_setup is not None: case_setup(csv, card)
    return csv, card

def run_main(words, monkeypatch, capsys):
    "Exit status and stderr lines of `fairdiff_run <words>` run in this process."
    monkeypatch.setattr(sys, 'argv', ['fairdiff_run', *words])
    with pytest.raises(SystemExit) as exit_info: main()
    return exit_info.value.code, capsys.readouterr().err.strip().splitlines()

@pytest.mark.parametrize('name,setup,extra,culprit', CASES, ids=[c[0] for c in CASES])
def test_fault(name, setup, extra, culprit, tmp_path, monkeypatch, capsys):
    csv, card = _prepare(setup, tmp_path)
    fill = dict(csv=str(csv), card=str(card), out=str(tmp_path/'runs'), tmp=str(tmp_path))
    words = ['--preset', 'tiny', '--dataset', str(csv), '--out', str(tmp_path/'runs'), '--methods', 'erm']
    words += [w.format(**fill) for w in extra]
    status, lines = run_main(words, monkeypatch, capsys)
    assert status == 2, (status, lines)
    assert lines and lines[0].startswith('fairdiff_run: '), lines
    assert culprit in lines[0], f"first line does not name {culprit!r}: {lines}"
    assert not any('Traceback' in l for l in lines), lines
    runs = tmp_path/'runs'
    assert not list(runs.glob('*/diffusion-*')) and not list(runs.glob('*/classifiers')), 'something trained before the error'
    assert not list(runs.glob('protocol-*')), 'a run folder was made for input that failed its checks'

def test_census_size():
    assert len(CASES) >= 40

def _console_script() -> str:
    exe = Path(sys.executable).parent/'fairdiff_run'
    if not exe.exists(): pytest.skip(f'the console script fairdiff_run is not installed beside {sys.executable}')
    return str(exe)

@pytest.mark.parametrize('name', ['label value abc', 'image truncated', 'negative seeds'])
def test_console_script_one_line(name, tmp_path):
    "The installed `fairdiff_run` script: exit status 2, the culprit on the first line, no traceback; `--debug` shows it."
    _, setup, extra, culprit = next(c for c in CASES if c[0] == name)
    csv, card = _prepare(setup, tmp_path)
    words = [_console_script(), '--preset', 'tiny', '--dataset', str(csv), '--out', str(tmp_path/'runs'), '--methods', 'erm', *extra]
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'FAIRDIFF_PROGRESS': 'quiet'}
    r = subprocess.run(words, capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 2, r.stderr
    assert culprit in r.stderr.splitlines()[0] and 'Traceback' not in r.stderr, r.stderr
    r = subprocess.run(words + ['--debug'], capture_output=True, text=True, timeout=300, env=env)
    assert 'Traceback' in r.stderr
