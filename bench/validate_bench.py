"""Wall time of `validate_csv` on a 10,000-image cohort CSV with its card (target: under 10 s on 2 cores).

Writes 10,000 random 16 x 16 PNGs (4 sites x 1,250 patients x 2 images), the CSV and its card to a temporary
folder, then prints the median wall time of `validate_csv` over 3 runs (every image decoded and hashed each run;
the second and third runs read the files from the page cache).

    flock /tmp/fairdiff_heavy.lock python bench/validate_bench.py
"""
import statistics, sys, tempfile, time
from pathlib import Path
import numpy as np, pandas as pd
from PIL import Image
from fairdiff_nb.data import validate_csv

N_SITES, N_PATIENTS, SIZE = 4, 1250, 16

def write_cohort(folder:Path) -> Path:
    "The CSV (and its card beside it) of N_SITES * N_PATIENTS * 2 random PNGs."
    rng, rows = np.random.default_rng(0), []
    (folder/'img').mkdir()
    for s in range(N_SITES):
        for p in range(N_PATIENTS):
            for k in range(2):
                f = f'img/s{s}_p{p}_{k}.png'
                Image.fromarray(rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)).save(folder/f)
                rows.append(dict(file=f, dx=['benign', 'malignant'][p % 2], hospital=f'site_{s}', pid=f's{s}_p{p}',
                                 sex=['F', 'M', ''][p % 3], age=str(20 + p % 60)))
    pd.DataFrame(rows).to_csv(folder/'cohort.csv', index=False)
    (folder/'cohort.yaml').write_text("image: file\nlabel: dx\nclasses: [benign, malignant]\nhigh_risk: [malignant]\n"
                                      "patient: pid\nsite: hospital\nattributes: [sex, age_group=age:40:60]\nood_sites: [site_3]\n")
    return folder/'cohort.csv'

def main(runs:int=3):
    with tempfile.TemporaryDirectory() as d:
        t0 = time.monotonic()
        csv = write_cohort(Path(d))
        print(f'wrote {2 * N_SITES * N_PATIENTS} PNGs ({SIZE} px) and the CSV in {time.monotonic() - t0:.1f} s', flush=True)
        times = []
        for _ in range(runs):
            t0 = time.monotonic()
            problems, warnings = validate_csv(csv, image_size=64)
            times.append(time.monotonic() - t0)
            assert not problems, problems
        print(f'validate_csv: median {statistics.median(times):.2f} s over {runs} runs '
              f'({", ".join(f"{t:.2f}" for t in times)}); {len(warnings)} warning(s)')

if __name__ == '__main__': main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
