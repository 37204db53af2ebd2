"Two CPU processes (gloo) train the tiny diffusion preset through the same code path as several GPUs."
import json, os, socket, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]

def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

@pytest.mark.parametrize('route', ['pixel', 'patched', 'latent', 'dit'])
def test_two_processes_train_and_rank0_alone_writes(tmp_path, route):
    torchrun = Path(sys.executable).parent/'torchrun'
    if not torchrun.exists(): pytest.skip(f'torchrun not found beside {sys.executable}')
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'CUDA_VISIBLE_DEVICES': '', 'FAIRDIFF_PROGRESS': 'quiet'}
    cmd = [str(torchrun), '--nproc_per_node', '2', '--master_addr', '127.0.0.1', '--master_port', str(_free_port()),
           str(ROOT/'tests'/'diffusion_ddp_entry.py'), str(tmp_path), route]
    r = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    reports = [json.loads((tmp_path/f'rank{i}.json').read_text()) for i in (0, 1)]
    for i, rep in enumerate(reports):
        assert rep['process_index'] == i and rep['num_processes'] == 2
        assert rep['distributed_type'] == 'MULTI_CPU' and rep['backend'] == 'gloo'
        assert (rep['start_step'], rep['step'], rep['finished']) == (0, 6, True)  # both ranks stepped to the end
    # gradients were all-reduced: both ranks hold the same weights
    assert reports[0]['param_checksum'] == pytest.approx(reports[1]['param_checksum'], rel=1e-6)
    assert reports[1]['written'] == []  # rank 1 wrote nothing
    run = tmp_path/'run'
    assert sorted(Path(p).name for p in reports[0]['written']) == ['done.json', 'model.safetensors', 'step-0000003', 'step-0000006']
    assert sorted(p.name for p in (run/'checkpoints').iterdir()) == ['latest.json', 'step-0000003', 'step-0000006']
    if route == 'latent': assert (run/'autoencoder'/'done.json').exists()  # trained once, by rank 0
    assert not list(run.rglob('*.tmp'))
