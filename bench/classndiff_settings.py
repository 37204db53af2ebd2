"""Class-N-Diff sampling settings on the quick protocol's cached joint pairs (issue 21: FD no worse than the plain
generator, skin tone held). For each seed: the pair `classndiff_quick.py` trained, sampled with each setting
(classifier-guidance scale s, guidance window, holding term), 1,000 `label_property` images each, scored by the protocol's quality
table (independent judges; FD on the features of that seed's ERM run, so compare rows within a seed) beside the plain
generator's cohort. The protocol's own setting (DDIM, s = 1, held) is read from its cache. `sample_classndiff` samples
with DDIM by default; every sampler starts at t = 999, where an edit of the noise estimate enters the clean estimate
times ~20,000 (guidance there diverged with DPM-Solver++), so a setting's window should end below it (hi = 0.999, as
`sample_classndiff`'s default).
Run (after classndiff_quick.py trained the pairs): flock /tmp/fairdiff_heavy.lock python bench/classndiff_settings.py
    [--seeds 0 1 2] [--out runs/classndiff_quick] [--dataset D --data-root DIR] [--settings '0,0,0.999,nohold' ...]
A setting is `s,window_lo,window_hi[,nohold][,sampler]` (classifier guidance only at timesteps in [lo, hi) x T; nohold: no
holding term either; sampler: a name in `SAMPLERS`, DDIM by default, e.g. `1,0,0.95,dpmsolver++`). `--plain-samplers ddim` also draws the plain generator's cohort with that sampler; `--plain-generators 1 2` also trains
(once) the plain generators of seeds 1 and 2 and draws their cohorts as the protocol does (the count of groups 'worse
than the plain generator' that a rerun of the same recipe reaches by chance); `--lam 0.05` also trains (once) and
samples a joint pair whose classifier loss enters the denoiser with that weight (the seed's: 0.2); `--decay cosine`
makes those pairs' denoiser learning rate decay as `fit_diffusion`'s does; `--coupling signal` (or `noise`) weighs their gated
loss per row by alpha_bar_t (or 1 - alpha_bar_t); `--target clean` makes their gated loss the KL from the classifier's
prediction on the clean input to the one on x0_hat; `--ema` samples their denoiser's EMA; `--balance skin_tone` weighs their gated KL so each skin tone counts alike. `--no-protocol-pair` leaves out the protocol's own pair and its
cohort (it trains, about 15 min a seed, when not cached)."""
import argparse, time
from pathlib import Path
import pandas as pd
from fairdiff_nb.classndiff import sample_classndiff
from fairdiff_nb.experiments import (protocol_config, stage_root, load_data, generator_stage, diffusion_stage, synthesis_stage,
                                     composition, quality_stage, _synthetic_id)
from fairdiff_nb.synthesis import sampling_plan, sample_synthetic_cohort
from fairdiff_nb.diffusion import sampler_key

SETTINGS = ('0,0,0.999,nohold', '0,0,0.999', '0.3,0,0.999', '1,0.5,0.999')  # windows end below t = 999 (see above)
KEEP = ('fd', 'fidelity_label', 'fidelity_skin_tone', 'fidelity_site', 'cas_accuracy')

def parse(setting:str) -> tuple:
    "Scale, window, held fields (None = the defaults, [] = none) and sampler of a `s,lo,hi[,nohold][,sampler]` setting."
    s, lo, hi, *rest = setting.split(',')
    samplers = [r for r in rest if r != 'nohold']
    return float(s), (float(lo), float(hi)), [] if 'nohold' in rest else None, samplers[0] if samplers else 'ddim'

def classndiff_cohort(cfg, cohort, model, folder, root, setting:str):
    "The 1,000-image `label_property` cohort of a joint pair under one sampling setting (cached by its settings)."
    scale, window, hold, sampler = parse(setting)
    groups = composition(cfg, cohort, model.cfg.denoiser_config, 'label_property')
    plan = sampling_plan(cohort, cfg.n_synthetic, seed=cfg.data_seed, mode='label_property')
    def sample_fn(conds, generator=None):
        seed = int(__import__('torch').randint(0, 2**31 - 1, (1,), generator=generator))
        return sample_classndiff(model, conds, scale=scale, guidance=cfg.guidance, steps=cfg.sample_steps, compose=groups,
                                 seed=seed, window=window, hold=hold, sampler=sampler)
    held = 'held-defaults' if hold is None else 'nohold'
    gid = f'{folder.name}:{sampler_key(sampler)}:{cfg.sample_steps}:{cfg.guidance}:s{scale}:{groups}:{held}:window{window}'
    return sample_synthetic_cohort(plan, sample_fn, Path(root)/'synthetic', seed=cfg.data_seed, generator_id=gid, desc=setting)

def pair_with_lam(cfg, cohort, images, root, seed:int, lam:float, decay:str='constant', coupling:str='uniform', target:str='label', ema:bool=False, balance:str=''):
    "The protocol's joint pair of `seed` with weight `lam` of the classifier loss into the denoiser, its learning-rate `decay`, `coupling`, `target`, `ema` and `balance` (trained once, then cached)."
    pcfg = cfg.replace(classndiff_lam=lam, classndiff_decay=decay, classndiff_coupling=coupling, classndiff_target=target, classndiff_ema=ema, classndiff_balance=balance)
    return generator_stage(pcfg, cohort, images, root, 'classndiff', seed=seed)

def rows_of(q:pd.DataFrame, name:str) -> pd.Series:
    "The kept quality rows of one cohort, indexed by metric / attribute / group."
    q = q[q['metric'].isin(KEEP) & ~q['group'].isin(['gap', 'worst'])]
    return q.set_index(['metric', 'attribute', 'group'])['value'].rename(name)

def seed_table(a, seed:int, extra:dict) -> pd.DataFrame:
    "Quality of the plain generator, the protocol's Class-N-Diff setting and each setting of `a.settings`, for one seed."
    cfg = protocol_config('quick', a.dataset, methods=('erm', 'diffusion_label_property', 'classndiff', 'classndiff_synthetic'),
                          seeds=(seed,), **extra)
    root = stage_root(cfg, a.out)
    cohort, images = load_data(cfg, root)
    plain, gid = diffusion_stage(cfg, cohort, images, root)
    cohorts = {'plain generator': synthesis_stage(cfg, cohort, plain, gid, root)}
    pairs = {} if a.no_protocol_pair else {'': generator_stage(cfg, cohort, images, root, 'classndiff', seed=seed)}
    if pairs: cohorts['protocol (1,0,1)'] = synthesis_stage(cfg, cohort, pairs[''][0], pairs[''][1].name, root)
    for sampler in a.plain_samplers: cohorts[f'plain generator, {sampler}'] = synthesis_stage(cfg.replace(sampler=sampler), cohort, plain, gid, root)
    for g in a.plain_generators:
        other, other_id = diffusion_stage(cfg, cohort, images, root, generator=g)
        cohorts[f'plain generator, seed {cfg.data_seed + g}'] = synthesis_stage(cfg, cohort, other, other_id, root)
    for lam in a.lam:
        t0 = time.time()
        tag = f'lam {lam}' + ('' if a.decay == 'constant' else f', {a.decay} lr') + ('' if a.coupling == 'uniform' else f', {a.coupling} coupling') + ('' if a.target == 'label' else f', target {a.target}') + (', EMA' if a.ema else '') + (f', balanced by {a.balance}' if a.balance else '') + ': '
        pairs[tag] = pair_with_lam(cfg, cohort, images, root, seed, lam, a.decay, a.coupling, a.target, a.ema, a.balance)
        print(f'seed {seed}, joint pair {tag}{time.time() - t0:.0f} s (0 when cached), {pairs[tag][1].name}', flush=True)
    for (tag, (p, f)), setting in ((kv, st) for kv in pairs.items() for st in a.settings):
        t0 = time.time()
        cohorts[tag + setting] = classndiff_cohort(cfg, cohort, p, f, root, setting)
        print(f'seed {seed}, {setting}: {time.time() - t0:.0f} s sampling (0 when cached)', flush=True)
    cols = []
    for name, (imgs, synth) in cohorts.items():
        q = quality_stage(cfg, cohort, images, {'classndiff_synthetic': (imgs, synth, _synthetic_id(synth))}, root, 'classndiff_synthetic')
        cols.append(rows_of(q, name))
    return pd.concat(cols, axis=1)

def summary(t:pd.DataFrame) -> pd.DataFrame:
    "Per setting: label fidelity per class, skin tone per tone, clinic, FD all / high risk, groups whose FD is worse than the plain generator's (and above every rerun of the plain recipe, with `--plain-generators`)."
    fd = t.xs('fd', level='metric')
    groups = fd.drop(index=[('all', 'all')])
    worse = groups.gt(groups['plain generator'], axis=0).sum()
    runs = [c for c in t.columns if c == 'plain generator' or c.startswith('plain generator, seed')]  # reruns of the plain recipe
    pick = lambda m, a, g: t.loc[(m, a, g)] if (m, a, g) in t.index else pd.Series(float('nan'), t.columns)
    labels = t.xs('fidelity_label', level='metric').xs('label', level='attribute')
    out = {f'label {g}': labels.loc[g] for g in labels.index}
    if ('fidelity_skin_tone', 'skin_tone', 'dark') in t.index:
        out.update({f'tone {g}': t.loc[('fidelity_skin_tone', 'skin_tone', g)] for g in ('light', 'dark')})
    out.update({'site': pick('fidelity_site', 'all', 'all'), 'FD all': fd.loc[('all', 'all')], 'FD high risk': pick('fd', 'label', 'high_risk'),
                f'FD worse than plain (of {len(fd) - 1})': worse, 'CAS acc.': pick('cas_accuracy', 'all', 'all')})
    if len(runs) > 1: out[f'FD above every plain run (of {len(fd) - 1})'] = groups.gt(groups[runs].max(axis=1), axis=0).sum()
    return pd.DataFrame(out).round(3)

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2]); ap.add_argument('--out', default='runs/classndiff_quick')
    ap.add_argument('--dataset', default='synth_derm'); ap.add_argument('--data-root', default='')
    ap.add_argument('--settings', nargs='+', default=list(SETTINGS))
    ap.add_argument('--lam', type=float, nargs='*', default=[], help="also joint pairs with these weights of the classifier loss into the denoiser (the seed's is 0.2)")
    ap.add_argument('--decay', default='constant', help="the --lam pairs' denoiser learning rate after warm-up: 'constant' (the seed's) or 'cosine' (the protocol's)")
    ap.add_argument('--coupling', default='uniform', help="the --lam pairs' gated loss per row: 'uniform' (the seed's), 'signal' (weighted by alpha_bar_t, the protocol's) or 'noise' (1 - alpha_bar_t)")
    ap.add_argument('--target', default='label', help="the --lam pairs' gated loss: 'label' (CE, the seed's) or 'clean' (KL to the classifier's reading of the clean input, the protocol's)")
    ap.add_argument('--ema', action='store_true', help="the --lam pairs' denoiser is sampled with an EMA of its weights (the plain generator's decay)")
    ap.add_argument('--balance', default='', help="the --lam pairs' gated KL gives each group of this condition field (e.g. skin_tone) the same total weight")
    ap.add_argument('--no-protocol-pair', action='store_true', help="leave out the protocol's own pair (trained when not cached)")
    ap.add_argument('--plain-samplers', nargs='*', default=[], help="the plain generator's cohort also drawn with these samplers")
    ap.add_argument('--plain-generators', type=int, nargs='*', default=[], help="also plain generators of seed data_seed + g (the protocol's is g = 0), trained once and sampled as the protocol's: how many groups a rerun of the same recipe has 'worse' by chance")
    a = ap.parse_args()
    extra = {'data_root': str(Path(a.data_root).resolve())} if a.data_root else {}
    for seed in a.seeds:
        t = seed_table(a, seed, extra)
        print(f'\nseed {seed}:\n{summary(t).to_string()}\nFD per group:\n{t.xs("fd", level="metric").round(2).T.to_string()}', flush=True)
