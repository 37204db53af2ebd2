"""OpenMP settings under load: one diffusion training step (quick preset's UNet) per setting, alone and next to a busy process.

  cd /work/main && flock /tmp/fairdiff_heavy.lock python bench/threads_bench.py [--load spin|train] [--steps 8 --warmup 2]
      [--only PASSIVE SPINCOUNT]   # a subset of the settings (the 2-thread default, the baseline, always runs)

Each setting runs in a fresh Python process (OpenMP reads `OMP_NUM_THREADS` and `OMP_WAIT_POLICY` once, when torch's
runtime starts): a diffusers `UNet2DModel` (32 px, blocks (32, 64, 64), one layer per block, no attention, 8 norm
groups: the `quick` preset) at batch 64, forward + MSE loss + backward + AdamW step; the median of `--steps` steps
after `--warmup`. "busy" runs the same step next to one background process: `--load spin` a Python `while True` loop,
`--load train` a second copy of this workload (one thread, stepping forever). Prints a markdown table.
"""
import argparse, json, os, statistics, subprocess, sys, time

SETTINGS = {  # name: variables set in the worker's environment (OMP_WAIT_POLICY removed unless given)
    '2 threads, default wait policy': {'OMP_NUM_THREADS': '2'},
    '2 threads, OMP_WAIT_POLICY=PASSIVE': {'OMP_NUM_THREADS': '2', 'OMP_WAIT_POLICY': 'PASSIVE'},
    '1 thread, default wait policy': {'OMP_NUM_THREADS': '1'},
    '1 thread, OMP_WAIT_POLICY=PASSIVE': {'OMP_NUM_THREADS': '1', 'OMP_WAIT_POLICY': 'PASSIVE'},
    # libgomp (torch's OpenMP) spins GOMP_SPINCOUNT times before sleeping: 300000 by default, 0 with PASSIVE
    '2 threads, GOMP_SPINCOUNT=100000': {'OMP_NUM_THREADS': '2', 'GOMP_SPINCOUNT': '100000'},
    '2 threads, GOMP_SPINCOUNT=30000': {'OMP_NUM_THREADS': '2', 'GOMP_SPINCOUNT': '30000'},
    '2 threads, GOMP_SPINCOUNT=10000': {'OMP_NUM_THREADS': '2', 'GOMP_SPINCOUNT': '10000'},
    '2 threads, GOMP_SPINCOUNT=1000': {'OMP_NUM_THREADS': '2', 'GOMP_SPINCOUNT': '1000'},
}
CLEARED = ('OMP_WAIT_POLICY', 'GOMP_SPINCOUNT', 'KMP_BLOCKTIME', 'MKL_NUM_THREADS', 'OMP_NUM_THREADS')

def training_step(batch=64, seed=0):
    "One quick-preset UNet training step (forward, loss, backward, AdamW), as a closure."
    import torch, torch.nn.functional as F
    from diffusers import UNet2DModel
    torch.manual_seed(seed)
    unet = UNet2DModel(sample_size=32, in_channels=3, out_channels=3, block_out_channels=(32, 64, 64), layers_per_block=1,
                       down_block_types=('DownBlock2D',) * 3, up_block_types=('UpBlock2D',) * 3, add_attention=False,
                       norm_num_groups=8)
    opt = torch.optim.AdamW(unet.parameters(), lr=1e-4)
    x0 = torch.rand(batch, 3, 32, 32) * 2 - 1
    def step():
        noise = torch.randn_like(x0); t = torch.randint(0, 1000, (batch,))
        a = (1 - t / 1000).view(-1, 1, 1, 1)
        loss = F.mse_loss(unet(a.sqrt() * x0 + (1 - a).sqrt() * noise, t).sample, noise)
        loss.backward(); opt.step(); opt.zero_grad()
    return step

def worker(steps, warmup, batch):
    "Time the step in this process; print one JSON line."
    import torch
    step, ts = training_step(batch), []
    for _ in range(warmup + steps):
        t0 = time.perf_counter(); step(); ts.append(time.perf_counter() - t0)
    print(json.dumps(dict(median=statistics.median(ts[warmup:]), steps=ts[warmup:], threads=torch.get_num_threads(),
                          wait_policy=os.environ.get('OMP_WAIT_POLICY'))))

def forever(batch):
    "The `train` background load: the same step, one thread, until killed."
    step = training_step(batch, seed=1)
    while True: step()

def _env(setting):
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(setting); return env

def _start_load(kind, batch):
    if kind == 'spin': cmd = [sys.executable, '-c', 'while True: pass']
    else: cmd = [sys.executable, __file__, '--forever', '--batch', str(batch)]
    p = subprocess.Popen(cmd, env=_env({'OMP_NUM_THREADS': '1'}))
    time.sleep(8 if kind == 'train' else 1)  # let the load reach its steady state (imports, warm-up)
    return p

def run(args):
    rows, chosen = [], {n: v for n, v in SETTINGS.items() if n == next(iter(SETTINGS)) or not args.only or
                        any(o in n for o in args.only)}
    for name, setting in chosen.items():
        for load in ('idle', 'busy'):
            bg = _start_load(args.load, args.batch) if load == 'busy' else None
            try:
                out = subprocess.run([sys.executable, __file__, '--worker', '--steps', str(args.steps), '--warmup',
                                      str(args.warmup), '--batch', str(args.batch)],
                                     env=_env(setting), capture_output=True, text=True, check=True).stdout
            finally:
                if bg: bg.kill(); bg.wait()
            r = json.loads(out.strip().splitlines()[-1]); r.update(setting=name, load=load); rows.append(r)
            print(f"{name:36s} {load:4s} median {r['median']:.2f} s/step (threads {r['threads']}, "
                  f"steps {' '.join(f'{t:.2f}' for t in r['steps'])})", file=sys.stderr, flush=True)
    base = next(r['median'] for r in rows if r['setting'] == next(iter(SETTINGS)) and r['load'] == 'idle')
    med = {(r['setting'], r['load']): r['median'] for r in rows}
    print(f"\nbatch {args.batch}, median of {args.steps} steps after {args.warmup} warm-up; busy = one background "
          f"{'Python while-True loop' if args.load == 'spin' else 'copy of this workload (1 thread)'}\n")
    print('| setting | idle s/step | busy s/step | busy / idle | idle vs 2-thread default | busy vs 2-thread default idle |')
    print('|---|---|---|---|---|---|')
    for name in chosen:
        i, b = med[(name, 'idle')], med[(name, 'busy')]
        print(f'| {name} | {i:.2f} | {b:.2f} | {b / i:.2f}x | {i / base:.2f}x | {b / base:.2f}x |')

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--load', choices=('spin', 'train'), default='spin', help='the background process of the busy runs')
    ap.add_argument('--steps', type=int, default=8); ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--only', nargs='+', metavar='TEXT', help='run only the settings whose name contains one of these (and the baseline)')
    ap.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--forever', action='store_true', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker: worker(a.steps, a.warmup, a.batch)
    elif a.forever: forever(a.batch)
    else: run(a)
