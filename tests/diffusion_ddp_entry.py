"Entry point of the multi-process diffusion test: `torchrun --nproc_per_node 2 tests/diffusion_ddp_entry.py OUT [pixel|patched|latent|dit]`."
import json, sys
from pathlib import Path
import torch
from fairdiff_nb.diffusion import diffusion_config, fit_diffusion, toy_squares

if __name__ == '__main__':
    out = Path(sys.argv[1])
    imgs, codes, _ = toy_squares(64, seed=0, p_unlabeled=0.25)
    route = sys.argv[2] if len(sys.argv) > 2 else 'pixel'
    options = {'pixel': {}, 'patched': dict(patch_size=2), 'latent': dict(latent_factor=4, ae_width=8, ae_steps=6),
               'dit': dict(denoiser='dit', patch_size=4, dit_width=32, dit_depth=2, dit_heads=2)}[route]
    cfg = diffusion_config('tiny', (('label', 2), ('site', 2)), steps=6, checkpoint_every=3, batch_size=4, warmup_steps=1, **options)
    r = fit_diffusion(cfg, imgs, codes, out/'run', cpu=True)
    report = dict(process_index=r.process_index, num_processes=r.num_processes, distributed_type=r.distributed_type,
                  start_step=r.start_step, step=r.step, finished=r.finished, last_loss=r.last_loss,
                  written=[str(p) for p in r.written], param_checksum=r.param_checksum,
                  backend=torch.distributed.get_backend() if torch.distributed.is_initialized() else None)
    (out/f'rank{r.process_index}.json').write_text(json.dumps(report, indent=1))
