"""Every stage is keyed by the rows it reads (issue 16, item 11): edit a cohort CSV in place and rerun the protocol;
exactly the stages whose rows changed run again, and the others are reused."""
from pathlib import Path
import pandas as pd, pytest
from conftest import write_cohort, default_card

SPLIT_OF = {0: 'train', 1: 'train', 2: 'train', 3: 'train', 4: 'val_id', 5: 'val_id', 6: 'test_id', 7: 'test_id'}

def _with_splits(csv:Path, card:Path) -> None:
    "Give the CSV a ready-made split column (patient-wise), so an edited label cannot move rows between splits."
    df = pd.read_csv(csv, keep_default_na=False)
    p = df['patient_id'].str[-3:].astype(int)
    ood = df['hospital'] == 'clinic_c'
    df['split'] = [('val_ood' if k % 2 else 'test_ood') if o else SPLIT_OF.get(k % 12, 'unlabeled') for k, o in zip(p, ood)]
    df.loc[df['split'] == 'unlabeled', 'finding'] = ''
    df.to_csv(csv, index=False)
    import json
    card.write_text(json.dumps({**default_card(), 'split': 'split'}))

def _stages(out:Path) -> dict:
    "Stage outputs under `out` by kind: generator, synthetic cohort, classifier run and metric table folders / files."
    root = next(p for p in out.iterdir() if not p.name.startswith('protocol-'))
    return {'generator': {p.name for p in root.glob('diffusion-*')},
            'synthetic': {p.name for p in root.glob('synthetic/synthetic-*') if '.stale-' not in p.name},
            'classifier': {p.name for p in root.glob('classifiers/classifier-*')},
            'metrics': {f'{p.parent.name}/{p.name}' for p in root.glob('classifiers/classifier-*/metrics-*.csv')}}

def _flip(csv:Path, split:str) -> None:
    "Give the first labeled row of `split` the other label."
    df = pd.read_csv(csv, keep_default_na=False)
    i = df.index[(df['split'] == split) & (df['finding'] != '')][0]
    df.loc[i, 'finding'] = 'normal' if df.loc[i, 'finding'] == 'pneumonia' else 'pneumonia'
    df.to_csv(csv, index=False)

def _added(before:dict, after:dict) -> dict:
    return {k: len(after[k] - before[k]) for k in after}

def test_edited_csv_reruns_exactly_the_affected_stages(tmp_path):
    from fairdiff_nb.experiments import protocol_config, run_protocol
    csv, card = write_cohort(tmp_path/'study', unlabeled_share=0.)
    _with_splits(csv, card)
    out = tmp_path/'runs'
    cfg = protocol_config('tiny', str(csv), methods=('erm', 'diffusion_label_property'), seeds=(0,), quality=False, n_boot=20)
    run = lambda: pd.read_csv(run_protocol(cfg, out, verbose=False)/'results.csv')
    first = run()
    s0 = _stages(out)
    assert {k: len(v) for k, v in s0.items()} == {'generator': 1, 'synthetic': 1, 'classifier': 2, 'metrics': 2}
    run()
    assert _stages(out) == s0  # the same CSV: nothing reruns
    _flip(csv, 'test_ood')  # a test label: the metrics only
    third = run()
    s1 = _stages(out)
    assert _added(s0, s1) == {'generator': 0, 'synthetic': 0, 'classifier': 0, 'metrics': 2}
    assert not first.drop(columns='run').equals(third.drop(columns='run'))  # and they changed
    _flip(csv, 'val_id')  # a validation label: the classifiers select on it; the generator and its samples stay
    run()
    s2 = _stages(out)
    assert _added(s1, s2) == {'generator': 0, 'synthetic': 0, 'classifier': 2, 'metrics': 2}
    _flip(csv, 'train')  # a training label: everything downstream of it
    run()
    s3 = _stages(out)
    assert _added(s2, s3) == {'generator': 1, 'synthetic': 1, 'classifier': 2, 'metrics': 2}
    assert len([p for p in out.iterdir() if not p.name.startswith('protocol-')]) == 1  # one stage folder for the CSV throughout
