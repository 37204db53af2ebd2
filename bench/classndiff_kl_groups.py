"""Where the gated loss pulls, per skin tone (issue 21): for trained SynthDerm joint pairs of the quick protocol, the
gated KL of the `'clean'` target (the pair's last classifier on the real image against its reading of the denoiser's
clean estimate) and the norm of its gradient on that estimate, averaged over 512 training rows per timestep, split by
skin tone. Eval mode, one fixed draw of rows, noise and timesteps (seed 0).
Run: flock /tmp/fairdiff_heavy.lock python bench/classndiff_kl_groups.py classndiff-<hash> [...]
    [--out runs/classndiff_quick]  (folders under the SynthDerm stage folder that classndiff_quick.py / classndiff_settings.py trained)"""
import argparse
import numpy as np, pandas as pd, torch, torch.nn.functional as F
from fairdiff_nb.experiments import protocol_config, stage_root, load_data, _generator_rows
from fairdiff_nb.data import encode_conditions
from fairdiff_nb.classndiff import load_classndiff, _training_codes
from fairdiff_nb.diffusion import noise_scheduler, predict_x0
from fairdiff_nb.training import image_tensor

def group_rows(m, x0, codes, t_val:int, g:torch.Generator) -> pd.DataFrame:
    "Per row at timestep `t_val`: skin-tone code, gated KL and the norm of its gradient on x0_hat."
    d = m.cfg.denoiser_config
    t, sched = torch.full((len(x0),), t_val), noise_scheduler(d)
    xt = sched.add_noise(x0, torch.randn(x0.shape, generator=g), t)
    with torch.no_grad():
        out = m.denoiser(xt, t, codes).float()
        p_clean = m.classifier(x0).float().softmax(1)
    x0_hat = predict_x0(sched, xt, t, out, d.prediction_type).detach().requires_grad_(True)
    kl = F.kl_div(m.classifier(x0_hat).float().log_softmax(1), p_clean, reduction='none').sum(1)
    grad, = torch.autograd.grad(kl.sum(), x0_hat)
    tone = codes[:, d.field_names.index('skin_tone')].numpy()
    return pd.DataFrame(dict(t=t_val, tone=np.where(tone == 1, 'dark', 'light'), kl=kl.detach().numpy(), grad=grad.flatten(1).norm(dim=1).numpy()))

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('pairs', nargs='+'); ap.add_argument('--out', default='runs/classndiff_quick')
    a = ap.parse_args()
    cfg = protocol_config('quick', 'synth_derm')
    root = stage_root(cfg, a.out)
    cohort, images = load_data(cfg, root)
    rows = _generator_rows(cohort)
    tables = []
    for name in a.pairs:
        m = load_classndiff(root/name)
        codes = _training_codes(m.cfg.denoiser_config, np.ascontiguousarray(images[rows.index.to_numpy()]), encode_conditions(rows))
        g = torch.Generator().manual_seed(0)
        pick = torch.randperm(len(rows), generator=g)[:512].numpy()
        x0 = image_tensor(images[rows.index.to_numpy()[pick]], signed=True)
        per_t = [group_rows(m, x0, codes[pick], t, g) for t in (100, 300, 500, 700)]
        tables.append(pd.concat(per_t).assign(pair=f'{name} (lam {m.cfg.lam}, {m.cfg.target})'))
    df = pd.concat(tables)
    print(df.pivot_table(index=['pair', 't'], columns='tone', values=['kl', 'grad']).round(4).to_string())
