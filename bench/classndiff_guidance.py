"""Class-N-Diff on toy squares: does classifier guidance steer unconditional samples towards the requested class?
Run: OMP_NUM_THREADS=1 flock /tmp/fairdiff_heavy.lock python bench/classndiff_guidance.py [--steps 400] [--seeds 0 1 2]"""
import argparse, time
import numpy as np, pandas as pd, torch
from fairdiff_nb.diffusion import diffusion_config, toy_squares
from fairdiff_nb.classndiff import ClassNDiffConfig, fit_classndiff, sample_classndiff, toy_square_class

ap = argparse.ArgumentParser()
ap.add_argument('--steps', type=int, default=400); ap.add_argument('--seeds', type=int, nargs='+', default=[0])
ap.add_argument('--scales', type=float, nargs='+', default=[0., 1., 3., 10., 30., 100.]); ap.add_argument('--n', type=int, default=64)
a = ap.parse_args()
torch.set_num_threads(1)
imgs, conds, labels = toy_squares(1024, size=16, seed=1)
rows = []
for seed in a.seeds:
    cfg = ClassNDiffConfig(diffusion_config('tiny', (('label', 2), ('site', 2)), mixed_precision='no', steps=a.steps, batch_size=32,
                                            checkpoint_every=0, p_drop_all=0.3, seed=seed), width=16)
    t0 = time.time(); m = fit_classndiff(cfg, imgs, conds, log_every=1e9); train_s = time.time() - t0
    tgt = np.repeat([0, 1], a.n // 2)
    for s in a.scales:
        for w, lab in ((1., -1), (2., tgt)):  # unconditional + classifier guidance; and label-conditional CFG w=2 + classifier guidance
            t0 = time.time(); smp = sample_classndiff(m, {'label': lab}, target=tgt, n=a.n, scale=s, guidance=w, steps=20, seed=seed)
            k = toy_square_class(smp)
            rows.append(dict(seed=seed, cfg_w=w, scale=s, requested=(k == tgt).mean(), other=((k >= 0) & (k != tgt)).mean(),
                             neither=(k == -1).mean(), sample_s=round(time.time() - t0, 1), train_s=round(train_s)))
df = pd.DataFrame(rows); print(df.to_string(index=False))
print('\nmedian over seeds of the fraction recognised as the requested class:')
print(df.groupby(['cfg_w', 'scale']).requested.median().unstack())
