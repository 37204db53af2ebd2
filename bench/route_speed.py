"""Cost of one training step and of sampling, per generator route (run alone, under the heavy-job lock):

  flock /tmp/fairdiff_heavy.lock python bench/route_speed.py [--threads 2] [--size 32] [--only patched transformer]

For each route (the quick preset's UNet on pixels, on 2x2 and 4x4 patches, on f = 4 latents with a wider UNet, a diffusion transformer
(denoiser='dit') on 4x4 patches, and the latent route's autoencoder step), prints parameters, GFLOP per training step (forward + backward, torch's
`FlopCounterMode`, batch 64), the median seconds per step of `fit_diffusion`'s own loop (12 steps after 3 warm-up,
timed through its loss hook), and seconds per 1,000 composed samples (DPM-Solver++ 15 steps, 2 experts + the
unconditional pass = 3 forwards per step), all in one process, one after the other."""
import argparse, tempfile, time, warnings
import numpy as np, torch, torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode
from fairdiff_nb.diffusion import (diffusion_config, DiffusionModel, fit_diffusion, build_autoencoder, noise_scheduler, sample, n_params)
from fairdiff_nb.training import image_tensor

FIELDS = (('label', 2), ('sex', 2), ('skin_tone', 2), ('site', 4))

def routes(size):
    base = dict(image_size=size, dropout='group', p_drop=0.35)
    return {'pixel': diffusion_config('quick', FIELDS, **base, patch_size=1),
            'patched 2x2': diffusion_config('quick', FIELDS, **base, patch_size=2),
            'patched 2x2, wide (64, 128, 128)': diffusion_config('quick', FIELDS, **base, patch_size=2, block_out_channels=(64, 128, 128)),
            'patched 4x4': diffusion_config('quick', FIELDS, **base, patch_size=4),
            'patched 4x4, (64, 64, 64)': diffusion_config('quick', FIELDS, **base, patch_size=4, block_out_channels=(64, 64, 64)),
            'latent f=4, (64, 128, 128)': diffusion_config('quick', FIELDS, **base, patch_size=1, latent_factor=4, block_out_channels=(64, 128, 128)),
            'transformer, 4x4 patches, width 128, 4 blocks': diffusion_config('quick', FIELDS, **base, denoiser='dit', patch_size=4),
            'transformer, 4x4 patches, width 192, 6 blocks': diffusion_config('quick', FIELDS, **base, denoiser='dit', patch_size=4, dit_width=192, dit_depth=6, dit_heads=6)}

def step_flops(cfg, batch=64) -> float:
    net = DiffusionModel(cfg); x = torch.randn(batch, *cfg.sample_shape); t = torch.randint(0, 1000, (batch,))
    c = torch.zeros(batch, len(cfg.fields), dtype=torch.long)
    with FlopCounterMode(display=False) as fc: F.mse_loss(net(x, t, c), x).backward()
    return fc.get_total_flops() / 1e9

def loop_step_time(cfg, n=12, warm=3) -> float:
    "Median seconds per step of fit_diffusion itself (the latent route trains on pre-made latents, so its AE is skipped here)."
    size = cfg.image_size
    imgs = np.random.default_rng(0).integers(0, 256, (1024, size, size, 3), dtype=np.uint8)
    codes = {f: np.random.default_rng(i).integers(-1, k, 1024) for i, (f, k) in enumerate(FIELDS)}
    stamps = []
    def hook(step, loss): stamps.append(time.perf_counter()); return loss
    with tempfile.TemporaryDirectory() as d:
        c = cfg.replace(steps=n + warm + 1, checkpoint_every=0, ae_steps=1)
        fit_diffusion(c, imgs, codes, d, loss_hook=hook)
    return float(np.median(np.diff(stamps)[warm:]))

def sample_time(cfg, n=256) -> float:
    "Seconds per 1,000 composed samples (DPM-Solver++ 15 steps), decoder included for latents."
    net = DiffusionModel(cfg).eval()
    if cfg.latent_factor > 1:
        ae = build_autoencoder(cfg).eval(); ae.scale = 1.; net.__dict__['autoencoder'] = ae
    conds = {f: np.random.default_rng(i).integers(0, k, n) for i, (f, k) in enumerate(FIELDS)}
    t = time.perf_counter()
    sample(net, conds, sampler='dpmsolver++', steps=15, guidance=1.5, compose=[['label'], ['sex', 'skin_tone', 'site']], show_progress=False)
    return (time.perf_counter() - t) * 1000 / n

def ae_step(cfg, batch=64) -> tuple[float, float, int]:
    "GFLOP, median seconds per step and parameters of the latent route's autoencoder step."
    ae = build_autoencoder(cfg); opt = torch.optim.AdamW(ae.parameters(), 1e-3)
    x = image_tensor(np.random.default_rng(0).integers(0, 256, (batch, cfg.image_size, cfg.image_size, 3), dtype=np.uint8), signed=True)
    def step():
        post = ae.encode(x).latent_dist
        loss = F.mse_loss(ae.decode(post.sample()).sample, x) + 1e-6 * post.kl().mean()
        opt.zero_grad(); loss.backward(); opt.step()
    with FlopCounterMode(display=False) as fc: step()
    ts = []
    for _ in range(10):
        t = time.perf_counter(); step(); ts.append(time.perf_counter() - t)
    return fc.get_total_flops() / 1e9, float(np.median(ts[2:])), n_params(ae)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--threads', type=int, default=2); p.add_argument('--size', type=int, default=32)
    p.add_argument('--only', nargs='*', default=[], help='measure only the routes whose name holds one of these words')
    a = p.parse_args(); torch.set_num_threads(a.threads); warnings.filterwarnings('ignore')
    print(f'image size {a.size}, batch 64, {a.threads} threads, torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}')
    print(f"| route | denoiser input | params | GFLOP / step | s / step | s / 1000 samples |\n|---|---|---|---|---|---|")
    for name, cfg in routes(a.size).items():
        if a.only and not any(k in name for k in a.only): continue
        c, h, w = cfg.sample_shape
        inp = f'{h // cfg.patch_size}x{w // cfg.patch_size}x{c * cfg.patch_size ** 2}'
        print(f'| {name} | {inp} | {n_params(DiffusionModel(cfg)) / 1e6:.2f}M | {step_flops(cfg):.1f} | {loop_step_time(cfg):.3f} | {sample_time(cfg):.0f} |', flush=True)
    if not a.only:
        g, s, n = ae_step(routes(a.size)['latent f=4, (64, 128, 128)'])
        print(f'| latent route: autoencoder step (width 32) | {a.size}x{a.size}x3 | {n / 1e6:.2f}M | {g:.1f} | {s:.3f} | |')
