"""Benchmark of fairdiff_nb.benchmarks: generation speed, cached loading, and the designed shift measured by a small CNN.

Run from the repo root (heavy: ~4 min on 2 shared cores):
    flock /tmp/fairdiff_heavy.lock python bench/benchmarks_bench.py
"""
import argparse, tempfile, time
import numpy as np, pandas as pd, torch
from fairdiff_nb.benchmarks import make_benchmark, probe_report, HISTO_HOSPITALS
from fairdiff_nb.data import load_cohort, SplitSpec


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
    for name in ('synth_histo', 'synth_derm'):
        for size in (32, 64):
            med, lo, hi = speed(name, a.n if size == 32 else a.n // 4, size, a.repeats)
            print(f'{name:12s} {size:3d}px: {med:8.0f} images/s (min {lo:.0f}, max {hi:.0f})')
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter(); df = load_cohort('synth_histo', root=d, n=a.n, seed=0); t1 = time.perf_counter() - t
        t = time.perf_counter(); df = load_cohort('synth_histo', root=d, n=a.n, seed=0); t2 = time.perf_counter() - t
        print(f'load_cohort synth_histo n={a.n}: first call (draw + write .npy) {t1:.2f}s, cached call {t2:.3f}s')


def run_probe(a):
    seeds = list(range(a.seeds))
    print(f'\n== probe: tiny CNN (width 16, ~25k params), {a.steps} steps x batch 64 on `train`, n={a.probe_n}, seeds {seeds} (mean +- sd) ==')
    for name in ('synth_histo', 'synth_derm'):
        r = probe(name, a.probe_n, seeds, a.steps)
        print(f'\n{name}:'); print(summary(r).to_string())
    print('\nsynth_histo with all 5 hospitals labeled (label recoverable under OOD stains):')
    r = probe('synth_histo', a.probe_n, seeds, a.steps, spec=SplitSpec(id_sites=tuple(HISTO_HOSPITALS)))
    s = summary(r, ('accuracy',)); print(s.loc['test_id'].to_string())


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--n', type=int, default=8192, help='images per speed run')
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--probe-n', type=int, default=8000)
    ap.add_argument('--steps', type=int, default=300)
    ap.add_argument('--seeds', type=int, default=2)
    ap.add_argument('--only', choices=['speed', 'probe'], default=None, help='run one part (speed alone takes < 1 min)')
    a = ap.parse_args()
    pd.set_option('display.width', 160)
    print(f'torch {torch.__version__}, default threads {torch.get_num_threads()} (generation and probe use 1)')
    if a.only != 'probe':
        run_speed(a)
    if a.only != 'speed':
        run_probe(a)
