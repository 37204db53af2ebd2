"""Class-N-Diff guidance that holds the skin tone, on SynthDerm at 16 px with the tiny preset (a TOY-SCALE measurement:
one small joint model per seed, 16 px, a few hundred steps; not the quick protocol).

Per seed: a synth_derm cohort, a joint pair (label classifier + attribute classifier with skin-tone / sex / site heads)
trained on its train + unlabeled rows, and two independent judges trained alone on real images (label on labeled
train + val_id rows, skin tone on all train + val_id rows). Samples are requested on the 4 (label, skin tone) cells in
equal numbers (sex and site drawn uniformly), classifier-free guidance w with every code (joint), and classifier
guidance s under each variant of `sample_classndiff`. Reported: label fidelity per class and skin-tone fidelity per
tone (share of samples the judge reads as requested).
With --toy: the hand-made shortcut toy of the chapter instead (toy-squares denoiser trained 250 steps; label classifier
`ToyLabelClassifier(shortcut)`, site classifier `ToySiteClassifier`); 32 samples asked for class 1 on site 1 (w = 1,
conditional), label and site read by pixel rules.
Run: flock /tmp/fairdiff_heavy.lock python bench/classndiff_hold.py [--toy] [--seeds 0 1] [--steps 600] [--scales 1 3]"""
import argparse, dataclasses, sys, time
import numpy as np, pandas as pd, torch, torch.nn.functional as F
from fairdiff_nb.benchmarks import make_benchmark
from fairdiff_nb.data import encode_conditions
from fairdiff_nb.diffusion import DiffusionConfig, diffusion_config, toy_squares
from fairdiff_nb.training import image_tensor
from fairdiff_nb.classndiff import (ClassNDiffConfig, TimestepClassifier, fit_classndiff, sample_classndiff, ToyLabelClassifier,
                                    ToySiteClassifier, toy_square_class, toy_square_site)

ap = argparse.ArgumentParser()
ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1]); ap.add_argument('--steps', type=int, default=600)
ap.add_argument('--n', type=int, default=3000); ap.add_argument('--samples', type=int, default=128)
ap.add_argument('--scales', type=float, nargs='+', default=[1., 3.]); ap.add_argument('--w', type=float, default=1.5)
ap.add_argument('--toy', action='store_true')
a = ap.parse_args()
VARIANTS = {  # name -> sample_classndiff options
    'plain': dict(hold=[]),
    'project': dict(hold=None, hold_scale=0., project=True),
    'term 1': dict(hold=None, hold_scale=1., project=False),
    'project + term 1': dict(hold=None, hold_scale=1., project=True),
    'low noise only (t < T/2)': dict(hold=[], window=(0., 0.5)),
    'high noise only (T/2 <= t < T - 1)': dict(hold=[], window=(0.5, 0.999)),  # the first step, t = 999, unguided as by default
    'project, low noise only': dict(hold=None, hold_scale=0., project=True, window=(0., 0.5)),
}

def toy_sweep():
    "The hand-made shortcut toy: share of samples showing the requested class / site, per shortcut weight, s and variant."
    imgs, conds, _ = toy_squares(1024, size=16, seed=1)
    cfg = ClassNDiffConfig(diffusion_config('tiny', (('label', 2), ('site', 2)), mixed_precision='no', steps=250, batch_size=32,
                                            checkpoint_every=0, p_drop_all=0.3), width=16)
    m, out = fit_classndiff(cfg, imgs, conds, log_every=1e9), []
    for shortcut in (0., 10., 30.):
        mh = dataclasses.replace(m, classifier=ToyLabelClassifier(shortcut), attributes=ToySiteClassifier())
        for s in (3., 10., 30., 100.):
            for name, opts in (('plain', dict(hold=[])), ('project', dict(hold_scale=0.)), ('term 1', dict(project=False, hold_scale=1.)),
                               ('term 3', dict(project=False, hold_scale=3.)), ('project + term 1', dict(hold_scale=1.))):
                smp = sample_classndiff(mh, {'label': 1, 'site': 1}, n=32, scale=s, steps=15, **opts)
                out.append(dict(shortcut=shortcut, s=s, variant=name, label=(toy_square_class(smp) == 1).mean(), site=(toy_square_site(smp) == 1).mean()))
    df = pd.DataFrame(out)
    print(df.pivot_table(index=['shortcut', 's'], columns='variant', values=['site', 'label'], sort=False).round(2).to_string())

if a.toy:
    toy_sweep()
    sys.exit()

def judge(x, y, seed, steps=400):
    "A classifier trained alone on real clean images (rows with y >= 0), its own seed: an independent reader of the samples."
    keep = y >= 0; x, y = x[keep], y[keep]
    torch.manual_seed(seed); c = TimestepClassifier(int(y.max()) + 1, 16, timestep_aware=False); opt = torch.optim.AdamW(c.parameters(), 2e-3)
    g = np.random.default_rng(seed)
    for _ in range(steps):
        i = g.integers(0, len(x), 64); xb = torch.where(torch.rand(64, 1, 1, 1) < .5, x[i].flip(3), x[i])
        loss = F.cross_entropy(c(xb), y[i]); opt.zero_grad(); loss.backward(); opt.step()
    return c.eval()

def read(j, u8):
    with torch.no_grad(): return j(image_tensor(u8, signed=True)).argmax(1).numpy()

rows = []
for seed in a.seeds:
    imgs, coh = make_benchmark('synth_derm', a.n, seed, size=16)
    tr, ev = coh[coh.split.isin(['train', 'unlabeled'])], coh[coh.split.isin(['train', 'val_id'])]
    te = coh[coh.split == 'test_id']
    x_ev, c_ev, c_te = image_tensor(imgs[ev.index], signed=True), encode_conditions(ev), encode_conditions(te)
    judges = {f: judge(x_ev, torch.tensor(c_ev[f]), 1000 + seed) for f in ('label', 'skin_tone')}
    ceiling = {f: (read(j, imgs[te.index]) == c_te[f])[c_te[f] >= 0].mean() for f, j in judges.items()}
    base = DiffusionConfig.for_cohort(coh, 'tiny', image_size=16, mixed_precision='no', steps=a.steps, batch_size=32, checkpoint_every=0, seed=seed)
    t0 = time.time(); m = fit_classndiff(ClassNDiffConfig(base, width=16), imgs[tr.index], encode_conditions(tr), log_every=1e9); train_s = time.time() - t0
    k = a.samples // 4; rng = np.random.default_rng(seed)
    req = {'label': np.repeat([0, 0, 1, 1], k), 'skin_tone': np.tile(np.repeat([0, 1], k), 2),
           'sex': rng.integers(0, 2, 4 * k), 'site': rng.integers(0, dict(base.fields)['site'], 4 * k)}
    grid = [('none (s=0)', 0., {})] + [(v, s, o) for s in a.scales for v, o in VARIANTS.items()]
    for name, s, opts in grid:
        t0 = time.time(); smp = sample_classndiff(m, req, scale=s, guidance=a.w, steps=20, seed=seed, **opts)
        lab, tone = read(judges['label'], smp) == req['label'], read(judges['skin_tone'], smp) == req['skin_tone']
        r = dict(seed=seed, variant=name, s=s)
        r.update({f'label {c}': lab[req['label'] == c].mean() for c in (0, 1)})
        r.update({f'tone {c}': tone[req['skin_tone'] == c].mean() for c in (0, 1)})
        r.update({'tone 1 | label 1': tone[(req['skin_tone'] == 1) & (req['label'] == 1)].mean(), 'sample_s': round(time.time() - t0, 1),
                  'train_s': round(train_s), 'judge_label_acc': round(ceiling['label'], 3), 'judge_tone_acc': round(ceiling['skin_tone'], 3)})
        rows.append(r)
    print(pd.DataFrame(rows[-len(grid):]).round(2).to_string(index=False), flush=True)
df = pd.DataFrame(rows)
print(f'\nmean over seeds {a.seeds} (label 0/1 = low / high risk; tone 0/1 = light / dark skin; w = {a.w}):')
print(df.drop(columns=['seed', 'sample_s', 'train_s']).groupby(['s', 'variant'], sort=False).mean().round(2).to_string())
