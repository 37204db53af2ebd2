"""Data-layer benchmarks (run under `flock /tmp/fairdiff_heavy.lock python bench/data_bench.py`).

1. First-time ImageCache build rate for the real HAM10000 subset at 64 px (fresh cache folder each run).
2. Cached loading through a torch DataLoader at 32 px with batched `__getitems__` (in-process and 2 workers),
   on the HAM10000 cache and on a 100,000-image memory-mapped array; plus the per-item path for comparison.
Figures are medians over repeats."""
import os, sys, tempfile, time, statistics as st
from pathlib import Path
import numpy as np, torch
from fairdiff_nb.data import load_cohort, images_for, CohortDataset, cohort_loader, finish_cohort, SplitSpec
import pandas as pd

torch.set_num_threads(1)
HAM = Path(os.environ.get('FAIRDIFF_HAM10000', Path(__file__).resolve().parents[2]/'shared'/'data'/'ham10000'))

def epoch_rate(ds, batch_size=256, num_workers=0, epochs=5):
    "Median images/s of full passes over `ds` (first pass of the loader discarded as warm-up)."
    dl = cohort_loader(ds, batch_size=batch_size, shuffle=True, num_workers=num_workers, seed=0)
    rates = []
    for e in range(epochs + 1):
        t = time.perf_counter(); n = 0
        for b in dl: n += len(b['row'])
        if e: rates.append(n / (time.perf_counter() - t))
    return st.median(rates)

class PerItem(torch.utils.data.Dataset):
    "The same dataset without __getitems__ (DataLoader then fetches item by item and collates)."
    def __init__(self, ds): self.ds = ds
    def __len__(self): return len(self.ds)
    def __getitem__(self, i): return self.ds[i]

def per_item_rate(ds, batch_size=256, epochs=2):
    dl = torch.utils.data.DataLoader(PerItem(ds), batch_size=batch_size, shuffle=True)
    rates = []
    for _ in range(epochs):
        t = time.perf_counter(); n = sum(len(b['row']) for b in dl); rates.append(n / (time.perf_counter() - t))
    return st.median(rates)

def main():
    print(f'torch {torch.__version__}, {os.cpu_count()} cpus, torch threads {torch.get_num_threads()}')
    tmp = Path(tempfile.mkdtemp(prefix='data_bench_'))
    if (HAM/'metadata.csv').is_file():
        ham = load_cohort('ham10000', root=HAM)
        builds = []
        for r in range(3):
            t, c = time.perf_counter(), time.process_time()
            a = images_for(ham, size=64, cache_dir=tmp/f'build{r}'); dt, dc = time.perf_counter() - t, time.process_time() - c
            builds.append(len(ham) / dt)
            print(f'  build {r}: {len(ham)} images in {dt:.2f} s wall = {len(ham)/dt:,.0f} images/s; CPU time {dc:.2f} s = {dc/len(ham)*1e3:.2f} ms/image; load avg {os.getloadavg()[0]:.1f}')
        t = time.perf_counter(); images_for(ham, size=64, cache_dir=tmp/'build0'); reuse = time.perf_counter() - t
        print(f'HAM10000 first-time cache build at 64 px: median {st.median(builds):,.0f} images/s '
              f'({a.shape}, {a.nbytes/1e6:.0f} MB); reuse of the cache: {reuse*1e3:.0f} ms')
        a32 = images_for(ham, size=32, cache_dir=tmp/'c32')
        ds = CohortDataset(ham, a32)
        for w, bs in ((0, 256), (2, 256), (2, 1024)):
            print(f'HAM10000 cached DataLoader at 32 px, batch {bs}, {w} workers: {epoch_rate(ds, batch_size=bs, num_workers=w):,.0f} images/s (load avg {os.getloadavg()[0]:.1f})')
        print(f'HAM10000 per-item DataLoader (no __getitems__, default collate), in-process: {per_item_rate(ds):,.0f} images/s')
    else: print(f'skipped the HAM10000 figures: no data at {HAM}')
    n = 100_000
    arr = np.lib.format.open_memmap(tmp/'big.npy', mode='w+', dtype=np.uint8, shape=(n, 32, 32, 3))
    arr[:] = np.random.default_rng(0).integers(0, 256, (n, 32, 32, 3), dtype=np.uint8); arr.flush(); del arr
    big = finish_cohort(pd.DataFrame({'image': np.arange(n), 'label': np.arange(n) % 2, 'site': 's', 'patient': np.arange(n).astype(str)}),
                        'big', 'binary', ['a', 'b'], image_array=tmp/'big.npy', spec=SplitSpec())
    ds = CohortDataset(big, images_for(big))
    for w, bs in ((0, 256), (2, 256), (2, 1024)):
        print(f'100,000-image memmap at 32 px, batch {bs}, {w} workers: {epoch_rate(ds, batch_size=bs, num_workers=w, epochs=3):,.0f} images/s (load avg {os.getloadavg()[0]:.1f})')

if __name__ == '__main__': main()
