"Shared fixtures: a small cohort of your own (PNG files, a CSV and its card), as a new user would bring it."
import json
from pathlib import Path
import numpy as np, pandas as pd, pytest
from PIL import Image

SITES = ('clinic_a', 'clinic_b', 'clinic_c')  # clinic_c is the out-of-distribution site

def cohort_image(label:int, site:int, seed:int, size:int=16, channels:int=3) -> np.ndarray:
    "A small image: noise, a bright square for class 1, a site-specific tint (grey level for 1 channel)."
    rng = np.random.default_rng(seed)
    im = rng.integers(40, 90, (size, size, 3)).astype(np.int16)
    im += np.array([[0, 20, 40], [30, 0, 10], [10, 40, 0]][site], np.int16)
    if label == 1: im[size//4:3*size//4, size//4:3*size//4] += 120
    im = np.clip(im, 0, 255).astype(np.uint8)
    return im.mean(-1, keepdims=True).astype(np.uint8) if channels == 1 else im

def write_cohort(folder:Path, channels:int=3, patients_per_site:int=12, images_per_patient:int=2,
                 unlabeled_share:float=0.15, card:dict|None=None) -> tuple[Path, Path]:
    "Write `folder/images/*.png`, `folder/cohort.csv` (path, finding, patient_id, hospital, sex, age) and `folder/cohort.json`."
    folder = Path(folder)
    (folder/'images').mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    rows = []
    for s, site in enumerate(SITES):
        for p in range(patients_per_site):
            pid, label = f'{site}-p{p:03d}', p % 2
            sex, age = ('female', 'male')[(p // 2) % 2], int(25 + 7 * p + 3 * s) % 80 + 18
            for k in range(images_per_patient):
                name = f'images/{pid}-{k}.png'
                im = cohort_image(label, s, hash((s, p, k)) % 2**31, channels=channels)
                Image.fromarray(im[..., 0] if channels == 1 else im).save(folder/name)
                finding = '' if rng.random() < unlabeled_share else ('pneumonia' if label else 'normal')
                rows.append(dict(path=name, finding=finding, patient_id=pid, hospital=site, sex=sex, age=age))
    csv = folder/'cohort.csv'
    pd.DataFrame(rows).to_csv(csv, index=False)
    card_path = folder/'cohort.json'
    card_path.write_text(json.dumps(card if card is not None else default_card(channels), indent=1))
    return csv, card_path

def default_card(channels:int=3) -> dict:
    "The card of `write_cohort`'s CSV."
    return {'image': 'path', 'label': 'finding', 'classes': ['normal', 'pneumonia'], 'high_risk': ['pneumonia'],
            'patient': 'patient_id', 'site': 'hospital',
            'attributes': ['sex', {'name': 'age_group', 'column': 'age', 'bins': [40, 60]}],
            'ood_sites': ['clinic_c'], 'channels': channels}

@pytest.fixture
def cohort_folder(tmp_path):
    "A fresh small RGB cohort in a temporary folder: (csv, card)."
    return write_cohort(tmp_path/'study')
