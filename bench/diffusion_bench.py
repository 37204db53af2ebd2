"""Benchmarks of fairdiff_nb.diffusion (run from the repo root, under the heavy-job lock):

  flock /tmp/fairdiff_heavy.lock python bench/diffusion_bench.py speed      # train steps/s, sampler s / 100 images
  flock /tmp/fairdiff_heavy.lock python bench/diffusion_bench.py train      # quick preset on synth_histo (+ synth_derm)
  flock /tmp/fairdiff_heavy.lock python bench/diffusion_bench.py fidelity   # conditional fidelity of the trained model
      [--run runs/quick/synth_histo-<hash>/diffusion-<hash>] [--compose product] [--sampler dpmsolver++ --steps 15]

Outputs go to runs/diffusion_bench/ (git-ignored); tables are printed and written as CSV there.
"""
import argparse, json, os, sys, time, warnings
from pathlib import Path
import numpy as np, pandas as pd, torch, torch.nn as nn, torch.nn.functional as F

from fairdiff_nb.core import set_seed, torch_generator, atomic_write_csv, atomic_write_json
from fairdiff_nb.diffusion import (DiffusionConfig, DiffusionModel, diffusion_config, fit_diffusion, load_diffusion, sample,
                                   noise_scheduler, n_params, toy_squares, fast_bf16, resolve_precision)

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(os.environ.get('FAIRDIFF_DIFFUSION_BENCH', ROOT/'runs'/'diffusion_bench'))
HISTO_N, HISTO_SEED = 10_000, 0  # the benchmark instance the diffusion model trains on


# ----------------------------------------------------------------------------------------------------------- speed
def _median_step_time(run_step, n=12, warm=3):
    ts = []
    for i in range(n + warm):
        t0 = time.perf_counter(); run_step(); ts.append(time.perf_counter() - t0)
    return float(np.median(ts[warm:]))

def bare_diffusers_step_fn(cfg, attention=None, mid_attention=None, batch=64):
    "A bare diffusers fp32 loop (diffusers' train_unconditional recipe without EMA): UNet2DModel, DDPMScheduler, AdamW."
    from diffusers import UNet2DModel
    att = cfg.attention if attention is None else attention
    unet = UNet2DModel(sample_size=cfg.image_size, in_channels=3, out_channels=3, block_out_channels=cfg.block_out_channels,
                       layers_per_block=cfg.layers_per_block, norm_num_groups=cfg.norm_num_groups,
                       down_block_types=tuple('AttnDownBlock2D' if a else 'DownBlock2D' for a in att),
                       up_block_types=tuple('AttnUpBlock2D' if a else 'UpBlock2D' for a in reversed(att)),
                       add_attention=cfg.mid_attention if mid_attention is None else mid_attention)
    opt = torch.optim.AdamW(unet.parameters(), lr=1e-4); sched = noise_scheduler(cfg)
    x0 = torch.rand(batch, 3, cfg.image_size, cfg.image_size) * 2 - 1
    def step():
        noise = torch.randn_like(x0); t = torch.randint(0, 1000, (batch,))
        loss = F.mse_loss(unet(sched.add_noise(x0, noise, t), t).sample, noise)
        loss.backward(); torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.); opt.step(); opt.zero_grad()
    return step, n_params(unet)

def our_loop_step_time(cfg, n=12, warm=3):
    "Median seconds per step of `fit_diffusion` itself (timed between steps through its loss hook)."
    import tempfile
    imgs = np.random.default_rng(0).integers(0, 256, (2048, cfg.image_size, cfg.image_size, 3), dtype=np.uint8)
    codes = {'label': np.random.default_rng(1).integers(-1, 2, 2048), 'site': np.random.default_rng(2).integers(0, 5, 2048)}
    stamps = []
    def hook(step, loss): stamps.append(time.perf_counter()); return loss
    with tempfile.TemporaryDirectory() as d, warnings.catch_warnings():
        warnings.filterwarnings('ignore', message="mixed_precision='bf16' on a CPU")  # measured on purpose
        fit_diffusion(cfg.replace(steps=n + warm + 1, checkpoint_every=0), imgs, codes, d, loss_hook=hook)
    return float(np.median(np.diff(stamps)[warm:]))

def compiled_step_fn(cfg, batch=64):
    "The same UNet as ours under `torch.compile` (inductor), fp32: tried as a further speed-up on CPU."
    net = torch.compile(DiffusionModel(cfg), dynamic=False)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-4); sched = noise_scheduler(cfg)
    x0 = torch.rand(batch, 3, cfg.image_size, cfg.image_size) * 2 - 1; c = torch.zeros(batch, len(cfg.fields), dtype=torch.long)
    def step():
        noise = torch.randn_like(x0); t = torch.randint(0, 1000, (batch,))
        loss = F.mse_loss(net(sched.add_noise(x0, noise, t), t, c), noise)
        loss.backward(); torch.nn.utils.clip_grad_norm_(net.parameters(), 1.); opt.step(); opt.zero_grad()
    return step

def hardware() -> str:
    import platform
    name = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor())
    return (f"CPU {name}, {os.cpu_count()} cores, torch CPU capability {torch.backends.cpu.get_cpu_capability()}, "
            f"bf16 kernels: {fast_bf16('cpu')}, 'auto' precision -> {resolve_precision('auto', 'cpu')!r}")

def speed(args):
    torch.set_num_threads(args.threads)
    cfg = diffusion_config('quick', (('label', 2), ('site', 5)))
    auto = resolve_precision(cfg.mixed_precision, 'cpu'); fast = fast_bf16('cpu')
    print(hardware(), flush=True)
    print(f'load average before: {os.getloadavg()}', flush=True)
    rows, P = [], n_params(DiffusionModel(cfg))
    def ours(name, c, n=12, warm=3):
        rows.append(dict(loop=name, params=P, s_per_step=our_loop_step_time(c, n, warm))); print(rows[-1], flush=True)
    ours(f"ours: fit_diffusion, quick preset as resolved here (mixed_precision 'auto' -> {auto!r}; no attention, EMA, condition encoder)", cfg)
    other = 'no' if auto == 'bf16' else 'bf16'
    # forced bf16 without bf16 kernels is ~17x slower: fewer steps, so that the benchmark still ends in minutes
    ours(f"ours, mixed_precision forced to {other!r}", cfg.replace(mixed_precision=other), *((12, 3) if fast or other == 'no' else (3, 1)))
    for name, att, mid in [('bare diffusers fp32, identical UNet config', None, None),
                           ("bare diffusers fp32, diffusers' default block pattern (attention below full res + mid)", (False, True, True), True),
                           ('bare diffusers fp32, attention at every level incl. full resolution + mid', (True, True, True), True)]:
        step, p = bare_diffusers_step_fn(cfg, att, mid, cfg.batch_size)
        rows.append(dict(loop=name, params=p, s_per_step=_median_step_time(step))); print(rows[-1], flush=True)
    if args.compile:
        t0 = time.perf_counter(); step = compiled_step_fn(cfg, cfg.batch_size); step(); t_c = time.perf_counter() - t0
        rows.append(dict(loop=f'ours under torch.compile (inductor), fp32; first step incl. compilation {t_c:.0f} s', params=P,
                         s_per_step=_median_step_time(step))); print(rows[-1], flush=True)
    t_ours = rows[0]['s_per_step']
    df = pd.DataFrame(rows); df['steps_per_s'] = 1 / df.s_per_step; df['ours_speedup'] = df.s_per_step / t_ours
    print(f'\nbatch {cfg.batch_size}, 32 px, torch threads {torch.get_num_threads()}, medians of 12 steps after 3 warm-up '
          f'(forced bf16 without bf16 kernels: 3 after 1)', flush=True)
    print(df.to_string(index=False, float_format=lambda v: f'{v:.3f}'))
    OUT.mkdir(parents=True, exist_ok=True); atomic_write_csv(OUT/'speed_train.csv', df)

    net = DiffusionModel(cfg).eval()
    srows = []
    for smp, st in [('ddim', 50), ('dpmsolver++', 20), ('ddpm', 1000)]:
        for ac in (True, False):
            if ac and not fast and not args.all: continue  # bf16 without bf16 kernels: minutes per row
            if smp == 'ddpm' and not ac and fast and not args.all: continue
            n = args.ddpm_images if smp == 'ddpm' else 100
            conds = {'label': np.arange(n) % 2, 'site': np.arange(n) % 5}
            t0 = time.perf_counter()
            sample(net, conds, sampler=smp, steps=st, guidance=3., seed=0, batch_size=100, autocast=ac, show_progress=False)
            secs = time.perf_counter() - t0
            srows.append(dict(sampler=f'{smp}-{st}', guidance=3., autocast_bf16=ac, images_timed=n, s_per_100_images=secs * 100 / n))
            print(srows[-1], flush=True)
    sdf = pd.DataFrame(srows)
    print('\nsampling 100 images, classifier-free guidance (2 x 100 per forward), quick preset UNet')
    print(sdf.to_string(index=False, float_format=lambda v: f'{v:.2f}'))
    atomic_write_csv(OUT/'speed_sample.csv', sdf)


# ----------------------------------------------------------------------------------------------------------- data
def histo_training_data(n=HISTO_N, seed=HISTO_SEED):
    "synth_histo with its default split: labels from hospitals 1-3, unlabeled images from all 5 -> train + unlabeled rows."
    from fairdiff_nb.benchmarks import make_benchmark
    from fairdiff_nb.data import encode_conditions
    images, df = make_benchmark('synth_histo', n, seed)
    tr = df[df.split.isin(['train', 'unlabeled'])]
    return images[tr.index.to_numpy()], encode_conditions(tr), tr, df

def derm_training_data(n=HISTO_N, seed=HISTO_SEED):
    from fairdiff_nb.benchmarks import make_benchmark
    from fairdiff_nb.data import encode_conditions
    images, df = make_benchmark('synth_derm', n, seed)
    tr = df[df.split.isin(['train', 'unlabeled'])]
    return images[tr.index.to_numpy()], encode_conditions(tr), tr, df

def train(args):
    torch.set_num_threads(args.threads)
    for name in args.datasets:
        imgs, codes, tr, df = (histo_training_data if name == 'synth_histo' else derm_training_data)()
        over = json.loads(args.overrides) if args.overrides else {}
        cfg = DiffusionConfig.for_cohort(tr, 'quick', mode=args.mode, **over)
        out = OUT/f'{name}_{args.tag}'
        print(f'{name}: {len(imgs)} training images ({tr.label.notna().sum()} labeled); {n_params(DiffusionModel(cfg)):,} params; -> {out}', flush=True)
        print(tr.groupby(['site', 'split'], observed=True).size().unstack(fill_value=0).to_string(), flush=True)
        r = fit_diffusion(cfg, imgs, codes, out, log_every=60.)
        print(f'{name}: steps {r.start_step}->{r.step} in {r.seconds:.0f}s ({r.seconds / max(1, r.step - r.start_step):.3f} s/step), last loss {r.last_loss:.4f}', flush=True)


# ----------------------------------------------------------------------------------------------------------- fidelity
class FidelityNet(nn.Module):
    "Independent small CNN with a label head and a hospital head (trained on real benchmark images only)."
    def __init__(self, n_labels=2, n_sites=5, w=32):
        super().__init__()
        def blk(i, o): return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(), nn.Conv2d(o, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU())
        self.body = nn.Sequential(blk(3, w), nn.MaxPool2d(2), blk(w, 2*w), nn.MaxPool2d(2), blk(2*w, 4*w), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.label, self.site = nn.Linear(4*w, n_labels), nn.Linear(4*w, n_sites)
    def forward(self, x): h = self.body(x); return self.label(h), self.site(h)

def _x(u8): return torch.from_numpy(u8).permute(0, 3, 1, 2).float() / 255

def fidelity_classifier(steps=1500, seed=1):
    "Train (or load) the fidelity classifier on an independent synth_histo draw with every image labeled."
    from fairdiff_nb.benchmarks import make_benchmark
    path = OUT/'fidelity_classifier.pt'
    net = FidelityNet()
    spec = dict(id_sites=['hospital_1', 'hospital_2', 'hospital_3', 'hospital_4', 'hospital_5'], ood_sites=[], labeled_fraction=1.0,
                unlabeled_sites=[], val_fraction=0.1, test_fraction=0.2, seed=seed)
    images, df = make_benchmark('synth_histo', 12_000, 100 + seed, spec=spec)
    sites = {s: i for i, s in enumerate(df.attrs['sites'])}
    y, s = df.label.to_numpy(np.int64), df.site.map(sites).to_numpy(np.int64)
    tr, te = np.flatnonzero(df.split.isin(['train', 'val_id'])), np.flatnonzero(df.split == 'test_id')
    if path.exists(): net.load_state_dict(torch.load(path)); net.eval()
    else:
        set_seed(seed); opt = torch.optim.AdamW(net.parameters(), 2e-3, weight_decay=1e-4)
        lr = torch.optim.lr_scheduler.OneCycleLR(opt, 2e-3, total_steps=steps)
        rng = np.random.default_rng(seed); net.train()
        for i in range(steps):
            b = rng.choice(tr, 128)
            x = _x(images[b]); x = torch.where(torch.rand(len(x), 1, 1, 1) < .5, x.flip(3), x)
            ly, ls = net(x)
            loss = F.cross_entropy(ly, torch.from_numpy(y[b])) + F.cross_entropy(ls, torch.from_numpy(s[b]))
            loss.backward(); opt.step(); opt.zero_grad(); lr.step()
            if (i + 1) % 250 == 0: print(f'fidelity classifier step {i+1}/{steps} loss {loss.item():.3f}', flush=True)
        net.eval(); OUT.mkdir(parents=True, exist_ok=True); torch.save(net.state_dict(), path)
    py, ps = predict(net, images[te])
    rep = pd.DataFrame({'site': df.site.to_numpy()[te], 'label': y[te], 'label_ok': py == y[te], 'site_ok': ps == s[te]})
    return net, rep

@torch.no_grad()
def predict(net, u8, bs=500):
    out = [net(_x(u8[i:i+bs])) for i in range(0, len(u8), bs)]
    return torch.cat([o[0] for o in out]).argmax(1).numpy(), torch.cat([o[1] for o in out]).argmax(1).numpy()

def fidelity_table(net, samples, want_label, want_site, site_names):
    py, ps = predict(net, samples)
    d = pd.DataFrame({'label': want_label, 'site': np.asarray(site_names)[want_site], 'label_ok': py == want_label,
                      'site_ok': ps == want_site})
    d['joint_ok'] = d.label_ok & d.site_ok
    return d

def fidelity(args):
    torch.set_num_threads(args.threads)
    net_f, rep = fidelity_classifier(args.clf_steps)
    print('fidelity classifier on held-out REAL images (independent draw, all 5 hospitals labeled):')
    print(rep.groupby('site')[['label_ok', 'site_ok']].mean().round(3).to_string())
    print('by class:', rep.groupby('label').label_ok.mean().round(3).to_dict(), flush=True)
    run = Path(args.run) if args.run else OUT/f'synth_histo_{args.tag}'
    model = load_diffusion(run)
    compose = [['label'], ['site']] if args.compose == 'product' else None
    site_names = ['hospital_1', 'hospital_2', 'hospital_3', 'hospital_4', 'hospital_5']
    rows, per = [], {}
    def conds(n): return np.tile(np.repeat([0, 1], 5), n // 10), np.tile(np.arange(5), n // 5)
    for w in args.guidance + ['final']:
        if w == 'final':  # the best scale of the sweep (by its worse class), again with the full number of samples
            sw = pd.DataFrame(rows); w = float(sw.guidance[sw[['label_normal', 'label_tumor']].min(axis=1).idxmax()])
            n = args.n
        else: n = args.n_sweep
        want_label, want_site = conds(n)
        t0 = time.perf_counter()
        smp = sample(model, {'label': want_label, 'site': want_site}, sampler=args.sampler, steps=args.steps, guidance=w,
                     compose=compose, seed=0, batch_size=250, show_progress=False)
        secs = time.perf_counter() - t0
        d = fidelity_table(net_f, smp, want_label, want_site, site_names); per[w] = d
        if n == args.n: np.save(OUT/f'samples_{args.tag}_w{w}.npy', smp)
        ood = d.site.isin(['hospital_4', 'hospital_5'])
        rows.append(dict(guidance=w, n=n, label_normal=d.label_ok[d.label == 0].mean(), label_tumor=d.label_ok[d.label == 1].mean(),
                         site_all=d.site_ok.mean(), site_ood=d.site_ok[ood].mean(), joint_ood=d.joint_ok[ood].mean(),
                         joint_ood_normal=d.joint_ok[ood & (d.label == 0)].mean(), joint_ood_tumor=d.joint_ok[ood & (d.label == 1)].mean(),
                         seconds=secs))
        print(pd.DataFrame(rows[-1:]).to_string(index=False, float_format=lambda v: f'{v:.3f}'), flush=True)
    tab = pd.DataFrame(rows)
    print(f'\nconditional fidelity vs guidance: {run.name}, {args.sampler}-{args.steps}, {args.compose} condition, n samples per scale '
          f'(labels x hospitals balanced); requested label / hospital recognised by the independent classifier; last row = best scale, {args.n} samples')
    print(tab.to_string(index=False, float_format=lambda v: f'{v:.3f}'))
    best = w; d = per[best]
    print(f'\nper hospital and class at guidance {best} ({args.n} samples):')
    print(d.groupby(['site', 'label'])[['label_ok', 'site_ok', 'joint_ok']].mean().round(3).unstack('label').to_string())
    atomic_write_csv(OUT/f'fidelity_{args.tag}_{args.compose}_{args.sampler}{args.steps}.csv', tab)
    atomic_write_csv(OUT/f'fidelity_{args.tag}_{args.compose}_{args.sampler}{args.steps}_per_cell.csv',
                     d.groupby(['site', 'label'])[['label_ok', 'site_ok', 'joint_ok']].mean().reset_index())


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('what', choices=['speed', 'train', 'fidelity'])
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--all', action='store_true', help='speed: every sampler row, with and without bf16 autocast')
    p.add_argument('--compile', action='store_true', help='speed: also time the UNet under torch.compile')
    p.add_argument('--datasets', nargs='+', default=['synth_histo'])
    p.add_argument('--mode', default='label_property')
    p.add_argument('--tag', default='quick')
    p.add_argument('--run', default='', help='fidelity: a diffusion run folder (default: runs/diffusion_bench/synth_histo_<tag>)')
    p.add_argument('--compose', default='joint', choices=['joint', 'product'], help="fidelity: joint condition, or label x site composed as experts")
    p.add_argument('--overrides', default='', help='JSON dict of DiffusionConfig overrides')
    p.add_argument('--n', type=int, default=1000)
    p.add_argument('--ddpm-images', type=int, default=100, help='speed: images timed for DDPM-1000 (scaled to 100)')
    p.add_argument('--n-sweep', type=int, default=400)
    p.add_argument('--clf-steps', type=int, default=1500, help='training steps of the fidelity classifier')
    p.add_argument('--sampler', default='ddim')
    p.add_argument('--steps', type=int, default=50)
    p.add_argument('--guidance', type=float, nargs='+', default=[1., 2., 3., 5.])
    a = p.parse_args()
    {'speed': speed, 'train': train, 'fidelity': fidelity}[a.what](a)
