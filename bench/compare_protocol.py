"""Is the protocol's output unchanged by a refactor? Runs the `tiny` protocol on each embedded benchmark with the code
of this checkout and compares its `results.csv`, method by method, with a reference run (e.g. one made from `main`).

  python bench/compare_protocol.py run --out runs/compare/after            # write this checkout's tiny runs
  python bench/compare_protocol.py diff runs/compare/before runs/compare/after

`run` prints the protocol folders; `diff` prints, per data set and method, whether the rows are identical (and the
largest absolute difference of `value` otherwise). Exit status 1 when anything differs. About 1 min per data set."""
import argparse, subprocess, sys
from pathlib import Path
import numpy as np, pandas as pd

DATASETS = ('synth_histo', 'synth_derm')

def run(out:Path):
    for ds in DATASETS:
        subprocess.run(['fairdiff_run', '--preset', 'tiny', '--dataset', ds, '--out', str(out/ds)],
                       check=True, stdout=subprocess.DEVNULL)
        print(ds, *sorted((out/ds).glob('protocol-*/results.csv')))

def _results(root:Path) -> pd.DataFrame:
    found = sorted(root.glob('protocol-*/results.csv'))
    if len(found) != 1: raise SystemExit(f"expected one protocol-*/results.csv under {root}, found {len(found)}")
    return pd.read_csv(found[0])

def diff(before:Path, after:Path) -> bool:
    same = True
    for ds in DATASETS:
        a, b = _results(before/ds), _results(after/ds)
        for m in sorted(set(a['method']) | set(b['method'])):
            x, y = a[a['method'] == m].reset_index(drop=True), b[b['method'] == m].reset_index(drop=True)
            if x.equals(y): print(f"{ds:12s} {m:26s} identical ({len(x)} rows)"); continue
            same = False
            keys = [c for c in x.columns if x[c].dtype == object]
            if x.shape != y.shape or not x[keys].equals(y[keys]):
                print(f"{ds:12s} {m:26s} DIFFERENT rows ({len(x)} vs {len(y)})"); continue
            d = np.abs(x['value'].to_numpy(float) - y['value'].to_numpy(float))
            print(f"{ds:12s} {m:26s} DIFFERENT values (|delta| of value: median {np.nanmedian(d):.3g}, max {np.nanmax(d):.3g})")
    return same

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='cmd', required=True)
    r = sub.add_parser('run'); r.add_argument('--out', type=Path, required=True)
    d = sub.add_parser('diff'); d.add_argument('before', type=Path); d.add_argument('after', type=Path)
    a = p.parse_args()
    if a.cmd == 'run': run(a.out)
    else: sys.exit(0 if diff(a.before, a.after) else 1)
