"""Quality benchmark (08_quality): the whole quality table for N real vs N "synthetic" images at 32 px, timed.

  flock /tmp/fairdiff_heavy.lock python bench/quality_bench.py [--dataset synth_derm] [--n 2000] [--repeats 3]

Real data: `make_benchmark(dataset)`. The feature model (label classifier) and the independent fidelity classifiers
(one per field: label, each attribute, site) are trained with the classifier chapter's `train_classifier` (quick
preset) on one draw of the benchmark (seed 0); they are trained once, outside the timing. The evaluated sets come from
a second draw (seed 1): real sample A (N images) is the reference; the "synthetic" sets are (1) a disjoint real sample
B of the same distribution with its true conditions, (2) B with Gaussian pixel noise (s.d. 16), (3) B blurred
(Gaussian, sigma 1), (4) B with noise on one site only. The timed call is `quality_report` (features of both sets,
FD / KID / precision / recall / density / coverage overall and per group, conditional fidelity for every field, gaps);
CAS is timed separately (it trains a classifier). Median over `--repeats` runs.
"""
import argparse, os, sys, time, warnings
os.environ.setdefault('HF_HUB_OFFLINE', '1')
import numpy as np, pandas as pd, torch
from torchvision.transforms.functional import gaussian_blur
from fairdiff_nb.benchmarks import make_benchmark
from fairdiff_nb.classifier import classifier_preset, train_classifier
from fairdiff_nb.quality import quality_report, classification_accuracy_score, image_batch, field_cohort, classifier_cas_train_fn

def train_field(df, images, field, seed, steps):
    cfg = classifier_preset('quick', seed=seed, steps=steps, select_metric='accuracy')
    t = time.perf_counter(); run = train_classifier(field_cohort(df, field), images, cfg, verbose=False)
    print(f"  {field:10s} classifier: {time.perf_counter() - t:5.1f}s, best val accuracy {run.result['best_val_score']:.3f}", flush=True)
    return run.model

def main():
    p = argparse.ArgumentParser()
    p.add_argument('--dataset', default='synth_derm'); p.add_argument('--n', type=int, default=2000)
    p.add_argument('--repeats', type=int, default=3); p.add_argument('--steps', type=int, default=300)
    p.add_argument('--threads', type=int, nargs='+', default=[2, 1], help='torch thread counts to time quality_report with (the first also prints the tables)')
    p.add_argument('--cas', action='store_true', help='also time CAS on scenario B (trains a classifier)')
    p.add_argument('--untrained', action='store_true', help='timing only: random-init models of the same architecture (same FLOPs), scenario B only, no tables')
    a = p.parse_args()
    warnings.simplefilter('ignore')
    print(f"{a.dataset}, N = {a.n} vs {a.n} at 32 px; torch threads (default) {torch.get_num_threads()}; load average {os.getloadavg()[0]:.1f}", flush=True)
    tr_img, tr_df = make_benchmark(a.dataset, 1000 if a.untrained else 6000, seed=0)
    ev_img, ev_df = make_benchmark(a.dataset, int(2.2 * a.n), seed=1)
    assert len(ev_df) >= 2 * a.n, f"benchmark draw has {len(ev_df)} rows, need {2 * a.n}"
    A, B = ev_df.iloc[:a.n], ev_df.iloc[a.n:2 * a.n]
    print('training the feature model and the fidelity classifiers (not timed):', flush=True)
    fields = ['label', *tr_df.attrs['attributes'], 'site']
    if a.untrained:
        from fairdiff_nb.classifier import build_resnet, head_size
        cfg, at = classifier_preset('quick'), tr_df.attrs
        values = lambda f: at['classes'] if f == 'label' else at['sites'] if f == 'site' else at['attr_values'][f]
        out = lambda f: head_size('binary' if len(values(f)) == 2 else 'multiclass', len(values(f)))
        feature_model = build_resnet(cfg.arch, 1, cfg.width, True).eval()
        fidelity = {f: build_resnet(cfg.arch, out(f), cfg.width, True).eval() for f in fields}
    else:
        feature_model = train_field(tr_df, tr_img, 'label', 0, a.steps)
        fidelity = {f: train_field(tr_df, tr_img, f, 1, a.steps) for f in fields}
    rows, g = B.index.to_numpy(), np.random.default_rng(0)
    def perturbed(fn, sel=rows):
        x = ev_img.copy(); x[sel] = fn(ev_img[sel]); return x
    noise = lambda x: np.clip(x + g.normal(0, 16, x.shape), 0, 255).astype(np.uint8)
    blur = lambda x: (gaussian_blur(image_batch(x), 7, 1.0) * 255).round().byte().permute(0, 2, 3, 1).numpy()
    one_site = B.attrs['sites'][-1]
    scenarios = {'B (real, true conditions)': ev_img} if a.untrained else {'B (real, true conditions)': ev_img, 'B + noise s.d. 16': perturbed(noise), 'B blurred sigma 1': perturbed(blur),
                 f'B + noise on {one_site} only': perturbed(noise, B.index[B.site == one_site].to_numpy())}
    pd.set_option('display.width', 250); pd.set_option('display.max_columns', 30)
    med = {}
    for ti, threads in enumerate(a.threads):
        torch.set_num_threads(threads)
        for name, imgs in scenarios.items():
            times = []
            for _ in range(a.repeats):
                t = time.perf_counter(); table = quality_report(ev_img, A, imgs, B, feature_model, fidelity_classifier=fidelity); times.append(time.perf_counter() - t)
            med[name, threads] = float(np.median(times))
            print(f"\n== {name}, {threads} torch thread(s), load average {os.getloadavg()[0]:.1f}: quality_report median {med[name, threads]:.2f}s over {a.repeats} runs "
                  f"(runs: {', '.join(f'{x:.2f}' for x in times)}); parts of the last run: { {k: round(v, 2) for k, v in table.attrs['seconds'].items()} }", flush=True)
            if ti or a.untrained: continue
            wide = table[table.group != 'gap'].pivot_table(index=['attribute', 'group'], columns='metric', values='value', sort=False)
            print(wide.round(3).to_string())
            gaps = table[table.group == 'gap'].pivot_table(index='attribute', columns='metric', values='value', sort=False)
            print('gaps (max - min over groups):'); print(gaps.round(3).to_string(), flush=True)
    if a.cas:
        torch.set_num_threads(a.threads[0]); t = time.perf_counter()
        cas = classification_accuracy_score(classifier_cas_train_fn(ev_df, ev_img, classifier_preset('quick', seed=0, steps=a.steps)), ev_img, B[B.split != 'test_id'], ev_img, ev_df, n_boot=200)
        print(f"\nCAS (train on B minus its test_id rows, test on real test_id of the evaluation draw): {time.perf_counter() - t:.1f}s")
        print(cas[cas.metric.isin(['cas_accuracy', 'cas_roc_auc', 'cas_high_risk_sensitivity'])].round(3).to_string())
    print(f"\nmedian seconds per quality table ({a.n} vs {a.n}, feature dim {table.attrs['num_features']}, fidelity for {fields} + ceilings):")
    for (name, threads), v in med.items(): print(f"  {name:32s} {threads} thread(s): {v:.2f}s")

if __name__ == '__main__': main()
