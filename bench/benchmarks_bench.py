"""Benchmark of fairdiff_nb.benchmarks: generation speed, cached loading, the designed shift measured by a small CNN, and
whether HED stain jitter closes the OOD gap of each SynthHisto shift family (stain vs scanner).

Run from the repo root (heavy: ~15 min on 2 shared cores; `--only speed|probe|jitter` runs one part):
    OMP_NUM_THREADS=1 flock /tmp/fairdiff_heavy.lock python bench/benchmarks_bench.py
"""
import argparse, os, tempfile, time
import numpy as np, pandas as pd, torch
from fairdiff_nb.benchmarks import make_benchmark, probe_report, HISTO_HOSPITALS
from fairdiff_nb.data import load_cohort, SplitSpec

HISTO_FAMILIES = ('synth_histo', 'synth_histo_scanner')  # stain and scanner shift families


def speed(name, n, size, repeats):
    "Median images/s of make_benchmark over `repeats` runs (first call warms up)."
    make_benchmark(name, 512, 99, size=size)
    times = []
    for r in range(repeats):
        t = time.perf_counter(); make_benchmark(name, n, r, size=size); times.append(time.perf_counter() - t)
    return n / np.median(times), n / np.max(times), n / np.min(times)


def probe(name, n, seeds, steps, **kw):
    "Full-size probe (width 16, batch 64) trained on `train`, one run per seed; returns the stacked reports."
    out = []
    for s in seeds:
        im, df = make_benchmark(name, n, s, **kw)
        r = probe_report(im, df, steps=steps, seed=s); r['seed'] = s; out.append(r)
    return pd.concat(out)


def summary(r, metrics=('accuracy', 'sensitivity')):
    g = r.groupby(['split', 'attribute', 'group'], sort=False)
    cols = {}
    for m in metrics:
        cols[m] = g[m].mean().map('{:.3f}'.format) + ' +- ' + g[m].std().fillna(0).map('{:.3f}'.format)
    cols['n'] = g['n'].mean().round().astype(int)
    return pd.DataFrame(cols)


def run_speed(a):
    print(f'\n== make_benchmark speed, {a.n} images, median of {a.repeats} runs ==')
    for name in (*HISTO_FAMILIES, 'synth_derm'):
        for size in (32, 64):
            med, lo, hi = speed(name, a.n if size == 32 else a.n // 4, size, a.repeats)
            print(f'{name:20s} {size:3d}px: {med:8.0f} images/s (min {lo:.0f}, max {hi:.0f})')
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter(); df = load_cohort('synth_histo', root=d, n=a.n, seed=0); t1 = time.perf_counter() - t
        t = time.perf_counter(); df = load_cohort('synth_histo', root=d, n=a.n, seed=0); t2 = time.perf_counter() - t
        print(f'load_cohort synth_histo n={a.n}: first call (draw + write .npy) {t1:.2f}s, cached call {t2:.3f}s')


def run_probe(a):
    seeds = list(range(a.seeds))
    print(f'\n== probe: tiny CNN (width 16, ~25k params), {a.steps} steps x batch 64 on `train`, n={a.probe_n}, seeds {seeds} (mean +- sd) ==')
    for name in (*HISTO_FAMILIES, 'synth_derm'):
        r = probe(name, a.probe_n, seeds, a.steps)
        print(f'\n{name}:'); print(summary(r).to_string())
    for name in HISTO_FAMILIES:
        print(f'\n{name} with all 5 hospitals labeled (label recoverable under the OOD hospitals\' shift):')
        r = probe(name, a.probe_n, seeds, a.steps, spec=SplitSpec(id_sites=tuple(HISTO_HOSPITALS)))
        s = summary(r, ('accuracy',)); print(s.loc['test_id'].to_string())


def split_site_accuracy(run):
    "Accuracy (threshold 0.5) of a classifier run on test_id and test_ood, overall and per hospital."
    p = run.predictions[run.predictions['split'].isin(['test_id', 'test_ood'])]
    ok = ((p['prob'] > 0.5).astype(int) == p['label'].astype(int))
    out = {f'{sp} all': ok[p.split == sp].mean() for sp in ('test_id', 'test_ood')}
    return {**out, **{site: v for site, v in ok[p.split == 'test_ood'].groupby(p.site[p.split == 'test_ood']).mean().items()}}


def run_jitter(a):
    "The project's real-only classifier (05_classifier, quick preset) without and with HED stain jitter, on both families."
    from fairdiff_nb.classifier import classifier_preset, train_classifier
    methods = [('erm', {})] + [(f'stain_jitter s={sg:g}', dict(method='stain_jitter', stain_sigma=sg, stain_bias=sg / 5)) for sg in a.jitter_sigmas]
    print(f'\n== real-only classifier: resnet18 width 8, quick preset (200 steps x 64), n={a.clf_n}, seeds {a.clf_seeds}; '
          f'HED jitter (fairdiff_nb.classifier.hed_jitter) with stain scale U(1 - s, 1 + s), shift U(-s/5, s/5); mean +- sd ==')
    rows = []
    for name in HISTO_FAMILIES:
        images, df = make_benchmark(name, a.clf_n, 0)
        for label, kw in methods:
            for s in a.clf_seeds:
                t = time.perf_counter(); run = train_classifier(df, images, classifier_preset('quick', seed=s, **kw), verbose=False)
                rows.append(dict(family=name, method=label, seed=s, **split_site_accuracy(run)))
                print(f'{name:20s} {label:20s} seed {s}: OOD acc {rows[-1]["test_ood all"]:.3f} ({time.perf_counter() - t:.0f}s)', flush=True)
    r = pd.DataFrame(rows); cols = [c for c in r.columns if c not in ('family', 'method', 'seed')]
    g = r.groupby(['family', 'method'], sort=False)[cols]
    print((g.mean().map('{:.3f}'.format) + ' +- ' + g.std().fillna(0).map('{:.3f}'.format)).to_string())


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--n', type=int, default=8192, help='images per speed run')
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--probe-n', type=int, default=8000)
    ap.add_argument('--steps', type=int, default=300)
    ap.add_argument('--seeds', type=int, default=2)
    ap.add_argument('--clf-n', type=int, default=4000, help='cohort size of the classifier runs (as bench/classifier_bench.py)')
    ap.add_argument('--clf-seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--jitter-sigmas', type=float, nargs='+', default=[0.05, 0.2], help='HED jitter strengths (0.05 = the classifier default)')
    ap.add_argument('--only', choices=['speed', 'probe', 'jitter'], default=None, help='run one part (speed alone takes < 1 min)')
    a = ap.parse_args()
    pd.set_option('display.width', 200); os.environ.setdefault('FAIRDIFF_PROGRESS', 'quiet')
    print(f'torch {torch.__version__}, default threads {torch.get_num_threads()} (generation, probe and classifier use 1)')
    torch.set_num_threads(1)
    if a.only in (None, 'speed'):
        run_speed(a)
    if a.only in (None, 'probe'):
        run_probe(a)
    if a.only in (None, 'jitter'):
        run_jitter(a)
