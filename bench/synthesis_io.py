"""Throughput of the synthesis chapter's I/O paths (not of the generator): writing a synthetic cohort with a trivial
sample_fn, reusing it, and serving real + synthetic batches with `mixed_loader`. Medians of repeats.
Run: python bench/synthesis_io.py (about 20 s; light enough to run without the heavy-job lock)"""
import statistics, tempfile, time
import numpy as np, torch
from fairdiff_nb.benchmarks import make_benchmark
from fairdiff_nb.data import CohortDataset, cohort_loader
from fairdiff_nb.synthesis import labeled_train, mixed_loader, sample_synthetic_cohort, sampling_plan

def timed(f, repeat=3):
    ts = []
    for _ in range(repeat): t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return statistics.median(ts)

torch.set_num_threads(1)
imgs, coh = make_benchmark('synth_histo', n=6000, seed=0, size=32)
n_syn, B, steps = 10_000, 64, 200
plan = sampling_plan(coh, n_syn, seed=0)
const = lambda c: np.full((len(c['label']), 32, 32, 3), 128, np.uint8)
t_plan = timed(lambda: sampling_plan(coh, n_syn, seed=0))
t_write = timed(lambda: sample_synthetic_cohort(plan, const, tempfile.mkdtemp(), batch_size=256, desc='write'))
d = tempfile.mkdtemp(); sample_synthetic_cohort(plan, const, d, batch_size=256)
t_reuse = timed(lambda: sample_synthetic_cohort(plan, const, d, batch_size=256))
si, sc = sample_synthetic_cohort(plan, const, d, batch_size=256)

def drain(loader):
    n = 0
    for b in loader: n += len(b['label'])
    return n

res = {}
for r in (0.0, 0.5, 1.0):
    t = timed(lambda: drain(mixed_loader(coh, imgs, sc, si, batch_size=B, ratio=r, seed=0, steps=steps)))
    res[r] = B * steps / t
tr = labeled_train(coh)
def real_steps():
    n, ld = 0, cohort_loader(CohortDataset(tr, imgs), batch_size=B, shuffle=True, drop_last=True)
    while n < B * steps:
        for b in ld:
            n += len(b['label'])
            if n >= B * steps: break
    return n
t_real = timed(real_steps)
print(f"real labeled train rows: {len(tr)}; synthetic images: {n_syn}; batch {B}; {steps} steps; 1 torch thread")
print(f"plan: sampling_plan(n={n_syn}) takes {t_plan*1e3:.0f} ms")
print(f"sample_synthetic_cohort write (trivial generator): {n_syn / t_write:,.0f} images/s; reuse of the finished folder: {t_reuse*1e3:.0f} ms")
for r, v in res.items(): print(f"mixed_loader ratio {r}: {v:,.0f} images/s")
print(f"reference, contract cohort_loader on the real train rows: {B * steps / t_real:,.0f} images/s")
