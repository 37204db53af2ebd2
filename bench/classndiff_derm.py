"""Class-N-Diff vs the plain conditional model (same loop, lam=0: the denoiser gets only the diffusion gradient; same
batches, noise and steps) on synth_derm at 16 px with the tiny preset. Reports label fidelity of CFG samples (w=2) read
by an independent classifier, with and without the joint classifier's guidance, and the joint classifier's own ID / OOD
high-risk sensitivity and skin-tone sensitivity gap (threshold 0.5).
Run: OMP_NUM_THREADS=1 flock /tmp/fairdiff_heavy.lock python bench/classndiff_derm.py [--seeds 0 1 2] [--steps 400]"""
import argparse, time
import numpy as np, pandas as pd, torch, torch.nn.functional as F
from fairdiff_nb.benchmarks import make_benchmark
from fairdiff_nb.data import encode_conditions
from fairdiff_nb.diffusion import DiffusionConfig
from fairdiff_nb.training import image_tensor
from fairdiff_nb.classndiff import (ClassNDiffConfig, TimestepClassifier, fit_classndiff, sample_classndiff, predict_classndiff)

ap = argparse.ArgumentParser()
ap.add_argument('--seeds', type=int, nargs='+', default=[0]); ap.add_argument('--steps', type=int, default=400)
ap.add_argument('--n', type=int, default=2000); ap.add_argument('--size', type=int, default=16); ap.add_argument('--samples', type=int, default=128)
a = ap.parse_args(); torch.set_num_threads(1)

def to_x(u8): return image_tensor(u8, signed=True)

def independent_classifier(x, y, seed, steps=400):
    "A classifier trained alone on real labeled images (clean only), other seed: the judge of label fidelity."
    torch.manual_seed(seed + 1000); c = TimestepClassifier(2, 16, timestep_aware=False); opt = torch.optim.AdamW(c.parameters(), 2e-3)
    g = np.random.default_rng(seed + 1000)
    for _ in range(steps):
        i = g.integers(0, len(x), 64); xb = torch.where(torch.rand(64, 1, 1, 1) < .5, x[i].flip(3), x[i])
        loss = F.cross_entropy(c(xb), y[i]); opt.zero_grad(); loss.backward(); opt.step()
    return c.eval()

def sens(p, y, m=None):
    m = np.ones(len(y), bool) if m is None else m; pos = (y == 1) & m
    return ((p[pos] >= .5).mean()) if pos.any() else np.nan

rows = []
for seed in a.seeds:
    imgs, coh = make_benchmark('synth_derm', a.n, seed, size=a.size)
    tr = coh[coh.split.isin(['train', 'unlabeled'])]; lab = coh[coh.split.isin(['train', 'val_id'])]
    judge = independent_classifier(to_x(imgs[lab.index]), torch.tensor(encode_conditions(lab)['label']), seed)
    for split in ('test_id',):
        te = coh[coh.split == split]
        jacc = (judge(to_x(imgs[te.index])).argmax(1).numpy() == encode_conditions(te)['label']).mean()
    base = DiffusionConfig.for_cohort(coh, 'tiny', image_size=a.size, mixed_precision='no', steps=a.steps, batch_size=32, checkpoint_every=0, seed=seed)
    tgt = np.repeat([0, 1], a.samples // 2)
    for name, lam in (('plain (lam=0)', 0.), ('classndiff (lam=0.2)', 0.2)):
        cfg = ClassNDiffConfig(base, lam=lam, width=16)
        t0 = time.time(); m = fit_classndiff(cfg, imgs[tr.index], encode_conditions(tr), log_every=1e9); secs = time.time() - t0
        r = dict(seed=seed, model=name, train_s=round(secs), judge_acc_test_id=round(jacc, 3))
        for s in (0., 3.):
            smp = sample_classndiff(m, {'label': tgt}, scale=s, guidance=2., steps=20, seed=seed)
            with torch.no_grad(): r[f'fidelity_s{s:g}'] = (judge(to_x(smp)).argmax(1).numpy() == tgt).mean()
        for split in ('test_id', 'test_ood'):
            te = coh[coh.split == split]; p = predict_classndiff(m, imgs[te.index])[:, 1]; y = encode_conditions(te)['label']
            r[f'sens_{split}'] = sens(p, y); r[f'acc_{split}'] = ((p >= .5) == y)[y >= 0].mean()
            if split == 'test_id':
                st = encode_conditions(te)['skin_tone']; r['sens_gap_skin_id'] = abs(sens(p, y, st == 0) - sens(p, y, st == 1))
        rows.append(r); print(pd.DataFrame([r]).to_string(index=False), flush=True)
df = pd.DataFrame(rows)
print('\nall runs:'); print(df.round(3).to_string(index=False))
print('\nmedian over seeds:'); print(df.drop(columns='seed').groupby('model').median().round(3).to_string())
