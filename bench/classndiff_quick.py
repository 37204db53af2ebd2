"""Class-N-Diff guidance at the quick preset (SynthDerm by default; `--dataset ham10000 --data-root DIR` for real data): the same joint model (one seed), its `classndiff_synthetic`
samples drawn with the label gradient alone (classndiff_hold=False) and with guidance that holds the requested
attributes and site (classndiff_hold=True, the `sample_classndiff` defaults), each scored by the protocol's quality
table (independent real-trained judges; FD on the project's own classifier features, not Inception FID) beside the
plain generator's `diffusion_label_property` cohort, and the OOD headline rows (mean [t-interval over seeds], paired
difference to ERM) of erm, diffusion_label_property, classndiff and classndiff_synthetic.
Run: flock /tmp/fairdiff_heavy.lock python bench/classndiff_quick.py [--seeds 0] [--out runs/classndiff_quick] [--dataset D --data-root DIR]
    [--lam 0.05] [--decay cosine] [--coupling signal] [--target clean] [--ema] [--held-only]
The synthetic cohort comes from the first seed's joint model: run `--seeds 1`, `--seeds 2` for the other seeds' fidelity."""
import argparse, time
from pathlib import Path
import pandas as pd
from fairdiff_nb.experiments import protocol_config, run_protocol, HEADLINE
from generator_downstream import headline_rows  # this script's folder is on sys.path

ap = argparse.ArgumentParser()
ap.add_argument('--seeds', type=int, nargs='+', default=[0]); ap.add_argument('--out', default='runs/classndiff_quick')
ap.add_argument('--scale', type=float, default=1.)
ap.add_argument('--lam', type=float, default=0.2, help="weight of the joint classifier's loss in the denoiser's loss on gated steps (the seed's 0.2)")
ap.add_argument('--coupling', default='uniform', help="how the joint pair's gated loss weighs rows by noise: 'uniform' (the seed's), 'signal' (the protocol's) or 'noise'")
ap.add_argument('--decay', default='constant', help="the joint denoiser's learning rate after warm-up: 'constant' (the seed's) or 'cosine' (the protocol's)")
ap.add_argument('--target', default='label', help="the joint pair's gated loss: 'label' (CE, the seed's) or 'clean' (KL to the classifier's reading of the clean input, the protocol's)")
ap.add_argument('--ema', action='store_true', help="the joint denoiser is sampled with an EMA of its weights (the plain generator's decay)")
ap.add_argument('--held-only', action='store_true', help='sample with the held guidance only (skip the label gradient alone)')
ap.add_argument('--dataset', default='synth_derm'); ap.add_argument('--data-root', default='')
a = ap.parse_args()
extra = {'data_root': str(Path(a.data_root).resolve())} if a.data_root else {}
metric, attr = HEADLINE[a.dataset]
tables = {}
for hold in ((True,) if a.held_only else (False, True)):
    t0 = time.time()
    cfg = protocol_config('quick', a.dataset, methods=('erm', 'diffusion_label_property', 'classndiff', 'classndiff_synthetic'), seeds=tuple(a.seeds),
                          classndiff_hold=hold, classndiff_scale=a.scale, classndiff_lam=a.lam,
                          classndiff_coupling=a.coupling, classndiff_decay=a.decay, classndiff_target=a.target, classndiff_ema=a.ema, **extra)
    folder = run_protocol(cfg, a.out, verbose=True)
    print(f'hold={hold}: {time.time() - t0:.0f} s, {folder}', flush=True)
    q = pd.read_csv(folder/'quality.csv')
    tables['held' if hold else 'label gradient alone'] = q[q.method == 'classndiff_synthetic'].set_index(['metric', 'attribute', 'group'])['value']
    tables['plain generator'] = q[q.method == 'diffusion_label_property'].set_index(['metric', 'attribute', 'group'])['value']
    res = pd.read_csv(folder/'results.csv')
    print(res[(res.attribute == 'all')].groupby(['method', 'split', 'metric'])['value'].mean().unstack().round(3).to_string(), flush=True)
    for m in (metric, 'high_risk_sensitivity_at_spec80', 'roc_auc'):
        print(f'\nOOD {m}, hold={hold}:\n{headline_rows(folder, m, attr).to_string()}', flush=True)
both = pd.DataFrame(tables)
keep = both.index.get_level_values('metric').str.startswith('fidelity') | both.index.get_level_values('metric').isin(['fd', 'cas_auroc', 'cas_accuracy'])
print(f'\nclassndiff_synthetic quality, seed(s) {a.seeds}, s = {a.scale}:')
print(both[keep].round(3).to_string())
