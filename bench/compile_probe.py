"""Eager vs torch.compile (inductor, `nn.Module.compile`) for the quick preset's patched UNet: median seconds of a training
step (forward + backward + AdamW, batch 64, 20 steps after 4 warm-up) and of a sampling forward (batch 300, no grad).
Run alone, under the heavy-job lock: flock /tmp/fairdiff_heavy.lock python bench/compile_probe.py"""
import time, statistics, sys, torch, torch.nn.functional as F
from fairdiff_nb.diffusion import diffusion_config, DiffusionModel
torch.set_num_threads(2)
FIELDS = (('label', 2), ('sex', 2), ('skin_tone', 2), ('site', 4))
def bench(compile_mode, n=20, warm=4, mode=None):
    torch.manual_seed(0)
    cfg = diffusion_config('quick', FIELDS, dropout='group', p_drop=0.35, patch_size=2)
    net = DiffusionModel(cfg)
    if compile_mode: net.unet.compile(**({'mode': mode} if mode else {}))
    opt = torch.optim.AdamW(net.parameters(), 1e-3)
    x = torch.randn(64, 3, 32, 32); t = torch.randint(0, 1000, (64,)); c = torch.zeros(64, 4, dtype=torch.long)
    t0 = time.perf_counter(); ts = []
    for i in range(warm + n):
        s = time.perf_counter()
        loss = F.mse_loss(net(x, t, c), x); opt.zero_grad(); loss.backward(); opt.step()
        ts.append(time.perf_counter() - s)
        if i == warm - 1: print(f'  warm-up {time.perf_counter() - t0:.1f} s', flush=True)
    net.eval(); xs = torch.randn(3 * 100, 3, 32, 32); tt = torch.full((300,), 500); cc = torch.zeros(300, 4, dtype=torch.long)
    with torch.no_grad():
        for _ in range(3): net(xs, tt, cc)
        fs = []
        for _ in range(8):
            s = time.perf_counter(); net(xs, tt, cc); fs.append(time.perf_counter() - s)
    return statistics.median(ts[warm:]), statistics.median(fs)
for name, comp, mode in [('eager', False, None), ('compiled', True, None), ('eager again', False, None)]:
    st, fw = bench(comp, mode=mode)
    print(f'{name}: train step {st:.3f} s, sampling forward (batch 300) {fw:.3f} s', flush=True)
