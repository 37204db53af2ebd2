"""Benchmark of `fairdiff_nb.metrics.evaluate`: 50,000 binary predictions, 2 attributes (sex: 2 groups,
fitzpatrick: 6 groups), high-risk sensitivity on, 1,000 stratified bootstrap resamples. Target: under 5 s.
Prints the time of each of 3 runs and their median. Run: `flock /tmp/fairdiff_heavy.lock python bench/metrics_bench.py`."""
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
