"""Benchmark of `fairdiff_nb.metrics.evaluate`: 50,000 binary predictions, 2 attributes (sex: 2 groups,
fitzpatrick: 6 groups), high-risk sensitivity on, 1,000 stratified bootstrap resamples. Target: under 5 s.
Prints the time of each of 3 runs and their median, and for scale the time of a naive scikit-learn loop. Run: `flock /tmp/fairdiff_heavy.lock python bench/metrics_bench.py`."""
import os, statistics, time
import numpy as np
from fairdiff_nb.metrics import evaluate

def make_data(n=50_000, seed=0):
    "Binary labels (20% positive), p = sigmoid(score), two attributes with a group-dependent separation."
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < .2).astype(int)
    sex, fitz = rng.choice(['F', 'M'], n), rng.choice(['I', 'II', 'III', 'IV', 'V', 'VI'], n)
    sep = 1. + .5 * (sex == 'F') - .1 * np.searchsorted(['I', 'II', 'III', 'IV', 'V', 'VI'], fitz)
    p = 1 / (1 + np.exp(-rng.normal(sep * (2 * y - 1), 1.2)))
    return p, y, {'sex': sex, 'fitzpatrick': fitz}

if __name__ == '__main__':
    p, y, groups = make_data()
    load = os.getloadavg()
    times, cpus = [], []
    for run in range(3):
        t, c = time.perf_counter(), time.process_time()
        res = evaluate(p, y, groups, task='binary', high_risk=[1], n_boot=1000, seed=run)
        times.append(time.perf_counter() - t); cpus.append(time.process_time() - c)
        print(f'run {run}: {times[-1]:.2f} s wall, {cpus[-1]:.2f} s CPU (all threads) ({len(res)} rows)', flush=True)
    print(f'evaluate, N=50,000 binary, 2 attributes (2 + 6 groups), n_boot=1000: median of 3 runs {statistics.median(times):.2f} s wall '
          f'(target < 5 s), {statistics.median(cpus):.2f} s CPU; {os.cpu_count()} cores, load average before {load[0]:.1f}, numpy {np.__version__}')
    print(res[(res.metric == 'roc_auc')].to_string(index=False))
    # for scale: the naive loop (scikit-learn on each explicit resample), AUC and accuracy only, overall + 8 groups
    from sklearn.metrics import roc_auc_score, accuracy_score
    rng, masks = np.random.default_rng(0), [np.ones(len(y), bool)] + [g == v for g in groups.values() for v in np.unique(g)]
    t = time.perf_counter()
    for b in range(20):
        i = np.concatenate([rng.choice(np.flatnonzero(y == c), (y == c).sum()) for c in (0, 1)])
        for m in masks: roc_auc_score(y[i][m[i]], p[i][m[i]]); accuracy_score(y[i][m[i]], p[i][m[i]] >= .5)
    print(f'naive scikit-learn loop, 2 of the 7 metrics only: {(time.perf_counter() - t) / 20 * 1000:.0f} s per 1000 resamples (extrapolated from 20)')
