"""What the SynthDerm samples draw, in pixels (issue 21): per skin tone and class, the skin luminance (median of the
top and bottom 3 rows), the lesion contrast (skin minus the mean of the darkest 15% of pixels) and the share of
lesion pixels (more than 0.1 under the skin), for the real generator rows and for cached synthetic cohorts.
Luminance is the RGB mean in [0, 1]. Run: python bench/derm_pixels.py [--out runs/classndiff_quick] [--match TEXT ...]
(each TEXT picks the cached cohorts whose folder name or generator id contains it, e.g. a pair folder `classndiff-231f2d60dc52` or
`ddim-trailing`; the default lists every cohort of the SynthDerm quick stage)."""
import argparse, json
from pathlib import Path
import numpy as np, pandas as pd
from fairdiff_nb.experiments import protocol_config, stage_root, load_data, _generator_rows

def pixel_stats(images:np.ndarray, cohort:pd.DataFrame) -> pd.DataFrame:
    "Per image: skin tone, label, skin luminance, lesion contrast and lesion share."
    lum = images.astype(np.float32).mean(-1) / 255
    flat = lum.reshape(len(lum), -1)
    skin = np.median(np.concatenate([lum[:, :3], lum[:, -3:]], 1).reshape(len(lum), -1), 1)
    darkest = np.sort(flat, 1)[:, : flat.shape[1] * 15 // 100].mean(1)
    return pd.DataFrame(dict(tone=cohort['skin_tone'].to_numpy(), label=cohort['label'].astype(int).to_numpy(), skin=skin,
                             contrast=skin - darkest, lesion_share=((skin[:, None] - flat) > 0.1).mean(1)))

def cached_cohorts(folder:Path, match:list) -> dict:
    "Generator id -> cohort folder, for the finished cohorts whose id contains one of `match` (all when empty)."
    found = {}
    for d in sorted(folder.glob('synthetic-*')):
        if not (d/'done.json').exists(): continue
        gid = json.loads((d/'meta.json').read_text())['generator_id']
        if not match or any(m in gid or m in d.name for m in match): found[gid] = d
    return found

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default='runs/classndiff_quick')
    ap.add_argument('--match', nargs='*', default=[])
    a = ap.parse_args()
    cfg = protocol_config('quick', 'synth_derm')
    root = stage_root(cfg, a.out)
    cohort, images = load_data(cfg, root)
    rows = _generator_rows(cohort)
    labeled = rows[rows['label'].notna()]
    tables = [pixel_stats(images[labeled.index.to_numpy()], labeled).assign(source='real (generator rows)')]
    for gid, d in cached_cohorts(root/'synthetic', a.match).items():
        tables.append(pixel_stats(np.load(d/'images.npy'), pd.read_csv(d/'cohort.csv')).assign(source=f'{d.name}: {gid[:70]}'))
    df = pd.concat(tables)
    print(df.groupby(['source', 'tone', 'label'])[['skin', 'contrast', 'lesion_share']].mean().round(3).unstack([1, 2]).to_string())
