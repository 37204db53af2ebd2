"""Downstream effect of a generator setting: the quick protocol on one data set with other diffusion options and
sampler, and its headline rows (OOD headline metric and fairness gap: mean [95% t-interval] over seeds, paired
difference to ERM) beside a reference protocol folder's (e.g. the tutorial's run with the default generator).
Run alone, under the heavy-job lock:

  flock /tmp/fairdiff_heavy.lock python bench/generator_downstream.py --dataset synth_derm --opt steps=4800 \\
      --sampler dpmsolver++-quad --out runs/guidance_bench --reference runs/quick/protocol-d150da35a4f1

The run reuses whatever its stage folder already holds (e.g. a generator and cohort made by generator_bench.py),
and prints the wall time of this invocation. `--set` changes a protocol field instead, e.g. the ratio study
(`--set "ratios=(0.1,0.25,0.75)"`, which adds `diffusion_label_property` at those synthetic ratios and prints them). Rows come from each protocol's `results.csv` at its main ratio
(as its `summary.csv`, which older folders lack)."""
import argparse, json, time
from pathlib import Path
import pandas as pd
from fairdiff_nb.experiments import protocol_config, run_protocol, seed_summary_table, HEADLINE
from generator_bench import _value  # the same `--opt name=value` parsing (this script's folder is on sys.path)

def headline_rows(folder:Path, metric:str, attr:str, summary:pd.DataFrame|None=None) -> pd.DataFrame:
    "Per method: OOD metric and gap (mean [t-interval]) and their paired differences to ERM, from results.csv at the main ratio (or `summary`)."
    if summary is None: summary = seed_summary_table(pd.read_csv(Path(folder)/'results.csv'), json.loads((Path(folder)/'config.json').read_text())['ratio'])
    s = summary[(summary['split'] == 'ood') & (summary['metric'] == metric)]
    def cell(r, col='mean', lo='ci_low', hi='ci_high'):
        return '' if pd.isna(r[col]) else f"{100 * r[col]:.1f} [{100 * r[lo]:.1f}, {100 * r[hi]:.1f}]"
    out = {}
    for m, g in s.groupby('method', sort=False):
        overall, gap = g[g['attribute'] == 'all'].iloc[0], g[(g['attribute'] == attr) & (g['group'] == 'gap')].iloc[0]
        out[m] = {metric: cell(overall), 'Δ vs ERM': cell(overall, 'difference', 'ci_low_difference', 'ci_high_difference'),
                  f'{attr} gap': cell(gap), 'gap Δ': cell(gap, 'difference', 'ci_low_difference', 'ci_high_difference')}
    return pd.DataFrame(out).T

def ratio_rows(folder:Path, metric:str, attr:str) -> pd.DataFrame:
    "The ratio study: `diffusion_label_property`'s headline row at each synthetic ratio in results.csv (ERM beside it)."
    results = pd.read_csv(Path(folder)/'results.csv')
    ratios = sorted(results['ratio'].dropna().unique())
    rows = {f'r = {r:g}': headline_rows(folder, metric, attr, seed_summary_table(results, r)).loc['diffusion_label_property'] for r in ratios}
    return pd.DataFrame(rows).T

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--dataset', default='synth_derm'); p.add_argument('--data-root', default='')
    p.add_argument('--opt', action='append', default=[], help='name=value: a DiffusionConfig field (repeatable)')
    p.add_argument('--sampler', default='dpmsolver++'); p.add_argument('--out', default='runs/guidance_bench')
    p.add_argument('--set', action='append', default=[], help='name=value: a ProtocolConfig field, e.g. ratios=(0.25,0.75) (repeatable)')
    p.add_argument('--reference', default='', help='a protocol folder to print beside (same data set)')
    a = p.parse_args()
    opts = tuple(sorted((k, _value(v)) for k, v in (o.split('=', 1) for o in a.opt)))
    extra = {k: _value(v) for k, v in (o.split('=', 1) for o in a.set)}
    if a.data_root: extra['data_root'] = str(Path(a.data_root).resolve())
    cfg = protocol_config('quick', a.dataset, diffusion_options=opts, sampler=a.sampler, **extra)
    t = time.monotonic()
    folder = run_protocol(cfg, a.out)
    print(f'{folder}: {time.monotonic() - t:.0f} s this invocation (options {dict(opts)}, sampler {a.sampler}, protocol {extra})')
    metric, attr = HEADLINE.get(a.dataset, ('roc_auc', 'site'))
    with pd.option_context('display.width', 250, 'display.max_columns', None):
        print(f'\nthis setting ({folder.name}), OOD:\n{headline_rows(folder, metric, attr).to_string()}')
        if cfg.ratios: print(f'\nratio study ({folder.name}), OOD, diffusion_label_property:\n{ratio_rows(folder, metric, attr).to_string()}')
        if a.reference: print(f'\nreference ({Path(a.reference).name}), OOD:\n{headline_rows(Path(a.reference), metric, attr).to_string()}')
