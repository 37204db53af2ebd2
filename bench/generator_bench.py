"""Time to fidelity of the generator routes (the diffusion chapter's table). Run alone, under the heavy-job lock:

  flock /tmp/fairdiff_heavy.lock python bench/generator_bench.py --dataset synth_derm --route patched [--opt class_balance=0.5] [--label-guidance 3]
  python bench/generator_bench.py --table          # the rows measured so far

Each call trains (or reuses) the quick-preset generator of one route on the quick protocol's data of a data set
(labeled + unlabeled training rows), samples the protocol's 1,000 `label_property` images (DPM-Solver++, composed
as the protocol composes) and scores them with the protocol's own fidelity judges and task features, which are
cached per data set: every route meets the same judges. Prints one row and appends it to
runs/generator_bench/results.csv. Routes: `pixel` (the UNet on 32 x 32 pixels with per-field dropout: the quick
preset before the generator work), `patched` (space-to-depth 2x2), `latent` (AutoencoderKL, f = 4) and `dit` (a diffusion transformer on 4x4
patches); `--opt
name=value` overrides any DiffusionConfig field. For the latent route it also reports the autoencoder's
reconstruction error per class and site, and the label judge's accuracy on reconstructed test images. `--diagnose`
prints where the site judge puts each requested site, and the mean colour and texture (Laplacian RMS) of real and synthetic images per site
and first attribute (a systematic colour shift is what turns one clinic into another). FAIRDIFF_GENERATOR_BENCH
sets the output folder (e.g. a copy of a protocol's stage folder, to score new sampling settings of its generator)."""
import argparse, ast, json, os, time
from pathlib import Path
import numpy as np, pandas as pd, torch

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(os.environ.get('FAIRDIFF_GENERATOR_BENCH', ROOT/'runs'/'generator_bench'))
ROUTES = {'pixel': dict(patch_size=1, latent_factor=1, dropout='field', p_drop=0.15, class_balance=0.),
          'patched': dict(patch_size=2, latent_factor=1), 'latent': dict(patch_size=1, latent_factor=4, block_out_channels=(64, 128, 128)),
          'dit': dict(denoiser='dit', patch_size=4, latent_factor=1)}  # a diffusion transformer on 4x4 pixel patches (width 128, 4 blocks)

def _value(v:str):
    "A Python literal (number, bool, tuple such as (64,64,64)), else the string itself."
    try: return ast.literal_eval(v)
    except (ValueError, SyntaxError): return v

def _fidelity(q:pd.DataFrame, metric:str, attribute:str) -> dict:
    rows = q[(q['metric'] == metric) & (q['attribute'] == attribute)]
    return {f'{metric}[{g}]': round(float(v), 3) for g, v in zip(rows['group'], rows['value'])}

def _fd(q:pd.DataFrame) -> dict:
    rows = q[(q['metric'] == 'fd') & ~q['group'].isin(['gap', 'worst'])]
    return {f"fd[{'all' if a == 'all' else f'{a}={g}'}]": round(float(v), 1) for a, g, v in zip(rows['attribute'], rows['group'], rows['value'])}

def reconstruction_rows(model, cohort, images, judges) -> dict:
    "Latent route: reconstruction PSNR per class / site on real test images, and the label judge on originals vs reconstructions."
    from fairdiff_nb.diffusion import reconstruction_report, reconstruct
    from fairdiff_nb.quality import predict_codes
    from fairdiff_nb.data import encode_conditions
    test = cohort[cohort['split'].isin(['test_id', 'test_ood'])]
    ae = model.autoencoder
    rep = reconstruction_report(ae, images[test.index.to_numpy()], {'label': test['label'].astype(str), 'site': test['site'].astype(str)})
    out = {f"psnr[{'all' if a == 'all' else f'{a}={g}'}]": round(float(p), 1) for a, g, p in zip(rep['attribute'], rep['group'], rep['psnr'])}
    lab = test[test['label'].notna()]
    y = encode_conditions(lab)['label']
    rec = reconstruct(ae, images[lab.index.to_numpy()])
    orig = predict_codes({'label': judges['label']}, images, rows=lab.index)['label']
    back = predict_codes({'label': judges['label']}, rec, rows=np.arange(len(rec)))['label']
    for k, name in enumerate(cohort.attrs['classes']):
        m = y == k
        out[f'judge_on_real[{name}]'], out[f'judge_on_recon[{name}]'] = round(float((orig[m] == k).mean()), 3), round(float((back[m] == k).mean()), 3)
    return out

def run(a) -> dict:
    from fairdiff_nb.experiments import protocol_config, stage_root, load_data, diffusion_stage, synthesis_stage, quality_stage, GENERATOR_SPLITS
    from fairdiff_nb.quality import fidelity_judges
    torch.set_num_threads(a.threads)
    opts = {**ROUTES[a.route], **{k: _value(v) for k, v in (o.split('=', 1) for o in a.opt)}}
    cfg = protocol_config('quick', a.dataset, methods=('diffusion_label_property',), seeds=(0,), diffusion_options=tuple(sorted(opts.items())),
                          label_guidance=a.label_guidance, sample_steps=a.sample_steps, guidance=a.guidance, sampler=a.sampler, image_size=a.image_size,
                          **({'data_root': str(Path(a.data_root).resolve())} if a.data_root else {}))
    root = stage_root(cfg, OUT)
    cohort, images = load_data(cfg, root)
    t = time.monotonic(); model, gid = diffusion_stage(cfg, cohort, images, root); train_s = time.monotonic() - t
    t = time.monotonic(); simgs, scoh = synthesis_stage(cfg, cohort, model, gid, root); sample_s = time.monotonic() - t
    q = quality_stage(cfg, cohort, images, {'diffusion_label_property': (simgs, scoh, Path(scoh.attrs['image_array']).parent.name)}, root)
    ood = [s for s in cohort.attrs['sites'] if s in set(cohort.loc[cohort['split'].isin(['val_ood', 'test_ood']), 'site'].astype(str))]
    row = dict(dataset=a.dataset, image_size=a.image_size, route=a.route, options=json.dumps(opts, sort_keys=True), label_guidance=a.label_guidance, guidance=a.guidance,
               sampler=a.sampler, sample_steps=a.sample_steps, generator=gid, params=sum(p.numel() for p in model.parameters()),
               train_s=round(train_s, 1), s_per_1000_samples=round(sample_s * 1000 / len(simgs), 1), ood_sites=','.join(ood),
               **_fidelity(q, 'fidelity_label', 'label'), **_fidelity(q, 'fidelity_site', 'site'),
               **_fidelity(q, 'fidelity_ceiling_label', 'label'), **_fidelity(q, 'fidelity_ceiling_site', 'site'), **_fd(q))
    if a.route == 'latent':
        judges, _ = fidelity_judges(cohort, images, ['label'], root/'quality'/'judges', cfg.classifier_preset, cfg.quality_steps)  # the quality stage's cached judge
        row.update(reconstruction_rows(model, cohort, images, judges))
    if a.diagnose:
        fields = ['label', *cohort.attrs['attributes'], 'site']
        judges, _ = fidelity_judges(cohort, images, fields, root/'quality'/'judges', cfg.classifier_preset, cfg.quality_steps, GENERATOR_SPLITS)  # cached
        for t in site_diagnosis(cohort, images, simgs, scoh, judges): print(t.to_string(), '\n')
    return row

def site_diagnosis(cohort, images, simgs, scoh, judges) -> tuple[pd.DataFrame, pd.DataFrame]:
    "Where the site judge puts each requested site, and the mean RGB of real (generator rows) vs synthetic images per site x first attribute."
    from fairdiff_nb.quality import predict_codes
    from fairdiff_nb.experiments import GENERATOR_SPLITS
    sites = np.array(cohort.attrs['sites'])
    judged = sites[predict_codes({'site': judges['site']}, simgs)['site']]
    confusion = pd.crosstab(scoh['site'].astype(str).rename('requested site').to_numpy(), pd.Series(judged, name='judged as'))
    gen = cohort[cohort['split'].isin(GENERATOR_SPLITS)]
    keys = ['site', *cohort.attrs['attributes'][:1]]
    def means(df, imgs, rows):
        return {k: imgs[rows[np.asarray(m)]].reshape(-1, imgs.shape[-1]).mean(0).round(1).tolist() for k, m in df.groupby(keys).groups.items()}
    def textures(df, imgs, rows):
        return {k: round(float(np.median(laplacian_rms(imgs[rows[np.asarray(m)]]))), 3) for k, m in df.groupby(keys).groups.items()}
    real_rows, synth_rows = (gen.reset_index(drop=True), images, gen.index.to_numpy()), (scoh.reset_index(drop=True), simgs, np.arange(len(scoh)))
    colour = pd.DataFrame({'real mean RGB': pd.Series(means(*real_rows)), 'synthetic mean RGB': pd.Series(means(*synth_rows)),
                           'real texture': pd.Series(textures(*real_rows)), 'synthetic texture': pd.Series(textures(*synth_rows))})
    return confusion, colour

def laplacian_rms(imgs:np.ndarray) -> np.ndarray:
    "Texture of each uint8 image: RMS of the 4-neighbour Laplacian of its [0, 1] pixels (interior, all channels)."
    x = imgs.astype(np.float32) / 255
    lap = 4 * x[:, 1:-1, 1:-1] - x[:, :-2, 1:-1] - x[:, 2:, 1:-1] - x[:, 1:-1, :-2] - x[:, 1:-1, 2:]
    return np.sqrt((lap ** 2).mean((1, 2, 3)))

def table(path:Path) -> pd.DataFrame:
    df = pd.read_csv(path)
    return df

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--dataset', default='synth_derm'); p.add_argument('--route', default='patched', choices=sorted(ROUTES))
    p.add_argument('--opt', action='append', default=[], help='name=value: a DiffusionConfig field (repeatable)')
    p.add_argument('--label-guidance', type=float, default=0.); p.add_argument('--guidance', type=float, default=1.5)
    p.add_argument('--data-root', default='', help='folder of a data set on disk (ham10000: ../shared/data/ham10000)')
    p.add_argument('--sampler', default='dpmsolver++', help="a name in fairdiff_nb.diffusion.SAMPLERS, e.g. 'dpmsolver++-quad'")
    p.add_argument('--sample-steps', type=int, default=15); p.add_argument('--threads', type=int, default=2)
    p.add_argument('--image-size', type=int, default=32, help='image side of the cohort (its judges and FD features train at that size too)')
    p.add_argument('--table', action='store_true', help='print the rows measured so far and exit')
    p.add_argument('--diagnose', action='store_true', help='also print where the site judge puts each requested site, and mean colours per site')
    a = p.parse_args()
    csv = OUT/'results.csv'
    if not a.table:
        row = run(a)
        print(json.dumps(row, indent=1))
        OUT.mkdir(parents=True, exist_ok=True)
        old = pd.read_csv(csv) if csv.exists() else pd.DataFrame()
        pd.concat([old, pd.DataFrame([row])], ignore_index=True).to_csv(csv, index=False)
    if csv.exists():
        with pd.option_context('display.max_columns', None, 'display.width', 250): print(table(csv).T.to_string())
