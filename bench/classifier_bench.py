"""Classifier benchmarks (05_classifier). Run under `flock /tmp/fairdiff_heavy.lock`.

  python bench/classifier_bench.py table [--n 4000] [--seeds 0 1 2] [--methods ...] [--out /tmp/fairdiff_clf_runs] [--csv /tmp/...csv]
      all methods x seeds on synth_histo at the quick preset -> tidy metrics (fairdiff_nb.metrics.evaluate), summary
      (mean +- s.d. over seeds) of ID / OOD accuracy and the hospital (site) gap, printed and saved as CSV.
  python bench/classifier_bench.py time [--methods erm randaugment_std]
      wall time of one quick run per method (no cache), to size the quick preset.
  python bench/classifier_bench.py throughput [--repeats 5] [--steps 60]
      training images/s of train_classifier (method erm) vs a plain PyTorch loop, same model, batch and data, same
      process, interleaved; medians and their ratio.
"""
import argparse, math, os, sys, time, warnings
import numpy as np, pandas as pd, torch, torch.nn.functional as F
from fairdiff_nb.benchmarks import make_benchmark
from fairdiff_nb.classifier import (METHODS, classifier_preset, train_classifier, run_metrics, build_resnet, head_size,
                                    n_classes_of)
from fairdiff_nb.core import set_seed, atomic_write_csv
from fairdiff_nb.training import lr_schedule

def cohort(n, seed=0, size=32): return make_benchmark('synth_histo', n=n, seed=seed, size=size)

def cmd_time(a):
    images, df = cohort(a.n)
    for m in a.methods:
        cfg = classifier_preset('quick', method=m, seed=0)
        t = time.perf_counter(); r = train_classifier(df, images, cfg, verbose=False); wall = time.perf_counter() - t
        print(f"{m:16s} wall {wall:6.1f}s  train {r.result['train_seconds']:6.1f}s  {r.result['train_images_per_s']:6.0f} train img/s  "
              f"best step {r.result['best_step']}  val {r.result['best_val_score']:.3f}", flush=True)

def cmd_table(a):
    images, df = cohort(a.n)
    t0 = time.perf_counter(); tables = []
    for m in a.methods:
        for s in a.seeds:
            cfg = classifier_preset('quick', method=m, seed=s)
            t = time.perf_counter(); r = train_classifier(df, images, cfg, out=a.out, verbose=False)
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                tables.append(run_metrics(r, df, splits={'id': 'test_id', 'ood': 'test_ood', 'all': ['test_id', 'test_ood']}, n_boot=a.n_boot))
            print(f"{m:16s} seed {s}: {time.perf_counter() - t:5.1f}s  ({r.folder})", flush=True)
    print(f"total {time.perf_counter() - t0:.0f}s for {len(tables)} runs")
    tidy = pd.concat(tables, ignore_index=True)
    atomic_write_csv(a.csv, tidy); print('tidy metrics table:', a.csv, tidy.shape)
    acc = tidy[tidy.metric == 'accuracy']
    rows = {'ID acc': acc[(acc.split == 'id') & (acc.attribute == 'all')],
            'OOD acc': acc[(acc.split == 'ood') & (acc.attribute == 'all')],
            'ID site gap': acc[(acc.split == 'id') & (acc.attribute == 'site') & (acc.group == 'gap')],
            'OOD site gap': acc[(acc.split == 'ood') & (acc.attribute == 'site') & (acc.group == 'gap')],
            'all-sites gap': acc[(acc.split == 'all') & (acc.attribute == 'site') & (acc.group == 'gap')],
            'worst site': acc[(acc.split == 'all') & (acc.attribute == 'site') & (acc.group == 'worst')]}
    summ = pd.DataFrame({k: v.groupby('method').value.agg(lambda x: f'{x.mean():.3f} +- {x.std(ddof=1):.3f}') for k, v in rows.items()})
    summ = summ.loc[[m for m in a.methods if m in summ.index]]
    auc = tidy[(tidy.metric == 'roc_auc') & (tidy.attribute == 'all')]
    for sp in ('id', 'ood'):
        summ[f'{sp.upper()} AUROC'] = auc[auc.split == sp].groupby('method').value.agg(lambda x: f'{x.mean():.3f} +- {x.std(ddof=1):.3f}')
    pd.set_option('display.width', 250)
    print(f"\nsynth_histo (n={a.n}, 32 px), quick preset, {len(a.seeds)} seeds: mean +- s.d. over seeds "
          "(site gap = max - min accuracy over hospitals; 'all' = test_id + test_ood, 5 hospitals)")
    print(summ.to_string())
    atomic_write_csv(a.csv.replace('.csv', '_summary.csv'), summ.reset_index())

def plain_loop(model, x_all, y_all, steps, batch_size, lr, wd, seed):
    "A bare PyTorch loop: random batches from a pre-made float tensor, AdamW + the same schedule, BCE."
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=wd)
    sched = lr_schedule(opt, steps, round(0.05 * steps)); g = torch.Generator().manual_seed(seed)
    model.train(); t = time.perf_counter()
    for _ in range(steps):
        idx = torch.randint(0, len(x_all), (batch_size,), generator=g)
        loss = F.binary_cross_entropy_with_logits(model(x_all[idx])[:, 0], y_all[idx])
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step(); sched.step()
    return steps * batch_size / (time.perf_counter() - t)

def cmd_throughput(a):
    images, df = cohort(a.n)
    cfg = classifier_preset('quick', method='erm', steps=a.steps, eval_every=10**9)  # one evaluation, at the end (not timed)
    tr = df[(df.split == 'train') & df.label.notna()]
    x_nhwc = torch.from_numpy(images[tr.index.to_numpy()]).permute(0, 3, 1, 2).float().div(255)  # channels-last strides
    x_all = x_nhwc.contiguous()  # the usual NCHW-contiguous tensor
    y_all = torch.from_numpy(tr.label.to_numpy(np.float32))
    ours, plain, plain_cl = [], [], []
    for r in range(a.repeats):
        set_seed(r); res = train_classifier(df, images, cfg.replace(seed=r), verbose=False).result
        ours.append(res['train_images_per_s'])
        set_seed(r); m = build_resnet(cfg.arch, 1, cfg.width, True)
        plain.append(plain_loop(m, x_all, y_all, a.steps, cfg.batch_size, cfg.lr, cfg.weight_decay, r))
        set_seed(r); m = build_resnet(cfg.arch, 1, cfg.width, True)
        plain_cl.append(plain_loop(m, x_nhwc, y_all, a.steps, cfg.batch_size, cfg.lr, cfg.weight_decay, r))
        print(f"repeat {r}: ours {ours[-1]:.0f} img/s, plain NCHW {plain[-1]:.0f} img/s, plain channels-last {plain_cl[-1]:.0f} img/s", flush=True)
    mo, mp, mc = float(np.median(ours)), float(np.median(plain)), float(np.median(plain_cl))
    print(f"\nresnet18 width {cfg.width}, small stem, batch {cfg.batch_size}, {a.steps} steps, {torch.get_num_threads()} threads, medians of {a.repeats}: "
          f"train_classifier {mo:.0f} img/s; plain loop NCHW input {mp:.0f} img/s (ratio {mo / mp:.3f}); "
          f"plain loop channels-last input, as our batches arrive from the HWC uint8 array, {mc:.0f} img/s (ratio {mo / mc:.3f})")

if __name__ == '__main__':
    p = argparse.ArgumentParser(); p.add_argument('cmd', choices=['table', 'time', 'throughput'])
    p.add_argument('--n', type=int, default=4000); p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--methods', nargs='+', default=list(METHODS)); p.add_argument('--out', default='/tmp/fairdiff_clf_runs')
    p.add_argument('--csv', default='/tmp/fairdiff_classifier_synth_histo_quick.csv'); p.add_argument('--n_boot', type=int, default=200)
    p.add_argument('--repeats', type=int, default=5); p.add_argument('--steps', type=int, default=60)
    p.add_argument('--threads', type=int, default=1, help='torch threads (1: the 2 cores are shared with other jobs)')
    a = p.parse_args(); os.environ.setdefault('FAIRDIFF_PROGRESS', 'quiet'); torch.set_num_threads(a.threads)
    {'table': cmd_table, 'time': cmd_time, 'throughput': cmd_throughput}[a.cmd](a)
