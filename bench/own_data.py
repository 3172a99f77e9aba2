"""Fine-tuning on your own conversational data: `smolbook sft` with its defaults against TRL's `SFTTrainer` with its
documented defaults, on the same rows, model, precision and threads, in one run.

    python bench/own_data.py [--jfleg jfleg/dev] [--rows 754] [--out runs/own_data]

Data: JFLEG dev rewritten as chats, one row per learner sentence: the user asks to fix its grammar, the assistant
answers with the first correction (TRL's conversational language-modelling format, `messages`). A seeded tenth of
the sentences is held out. Both runs start from the packaged SmolLM2-135M-Instruct, saved as a transformers Llama.

- TRL: `SFTTrainer` with `SFTConfig`'s defaults (3 epochs, lr 2e-5, batch 8, no packing, the loss on every token,
  bf16 autocast on a CPU that has it), as `trl sft` runs them.
- smolbook: `smolbook sft --data train.jsonl --model BASE --out OUT --val-frac 0` (its defaults; the held-out rows
  are scored below, not during training).

Each run is a child process; its wall time (start to exit: imports, loading, tokenising, training, saving) and its
peak resident memory (`ru_maxrss`) are measured. Both final models are then scored by one evaluator, transformers'
`LlamaForCausalLM` in fp32: the mean cross-entropy over the assistant tokens of the held-out chats. The table goes
to bench/results/own_data.md.
"""
import argparse, json, os, platform, subprocess, sys, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).parent))
import jfleg

TRL = r'''
import json, resource, sys, datasets, torch, logging
from transformers import AutoTokenizer, LlamaForCausalLM
from trl import SFTConfig, SFTTrainer
logging.getLogger('transformers').setLevel(logging.ERROR); datasets.disable_progress_bars()
data, model, out = sys.argv[1:4]
rows = [json.loads(l) for l in open(data)]
tok = AutoTokenizer.from_pretrained(model)
args = SFTConfig(output_dir=out, report_to=[], save_strategy='no', disable_tqdm=True,
                 use_cpu=not torch.cuda.is_available())
trainer = SFTTrainer(model=LlamaForCausalLM.from_pretrained(model), args=args,
                     train_dataset=datasets.Dataset.from_list(rows), processing_class=tok)
trainer.train(); trainer.save_model(out); tok.save_pretrained(out)
print(json.dumps(dict(steps=trainer.state.global_step, maxrss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
'''
SMOLBOOK = r'''
import json, resource, sys
from smolbook.cli import main
try: main(sys.argv[1:])
finally: print(json.dumps(dict(maxrss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
'''

def chats(folder: Path) -> list[dict]:
    "JFLEG dev as conversations: fix this sentence -> its first correction."
    src = (folder / 'dev.src').read_text().splitlines(); ref = (folder / 'dev.ref0').read_text().splitlines()
    return [{'messages': [{'role': 'user', 'content': f'Fix the grammar of this sentence: {s.strip()}'},
                          {'role': 'assistant', 'content': r.strip()}]} for s, r in zip(src, ref) if r.strip()]

def run(name: str, code: str, args: list[str], env: dict) -> dict:
    "Wall time and the child's last JSON line (its peak memory)."
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, '-c', code, *args], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if p.returncode: sys.exit(f"{name} failed:\n{p.stderr[-3000:]}")
    return {**json.loads(p.stdout.strip().splitlines()[-1]), 'seconds': wall}

@torch.no_grad()
def val_loss(model_dir: Path, tok, rows: list[dict]) -> float:
    "Mean cross-entropy over the assistant tokens of `rows` (transformers, fp32)."
    from transformers import LlamaForCausalLM
    from smolbook.formats import sft_rows
    model = LlamaForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    total = count = 0
    for r in sft_rows(tok, [(f'val {i}', r) for i, r in enumerate(rows)])[1]:
        ids, m = torch.tensor([r['input_ids']]), torch.tensor(r['completion_mask'][1:]).bool()
        logp = model(ids).logits[0, :-1].float().log_softmax(-1)
        total += -logp[m].gather(-1, ids[0, 1:][m, None]).sum().item(); count += int(m.sum())
    return total / count

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    jfleg.add_argument(p)
    p.add_argument('--rows', type=int, default=754, help='JFLEG dev sentences used (all: 754)')
    p.add_argument('--out', default='runs/own_data')
    a = p.parse_args()
    if (why := jfleg.problem(a.jfleg)): sys.exit(why)
    from smolbook.data import split_docs
    from smolbook.generate import load_model
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    rows = chats(Path(a.jfleg))[:a.rows]
    train, val = split_docs(rows, 0.1, 0, key=lambda r: r['messages'][0]['content'])
    (out / 'train.jsonl').write_text(''.join(json.dumps(r) + '\n' for r in train))
    model, tok, _ = load_model(None)
    base = out / 'base'; model.save_pretrained(base, tokenizer=tok); del model
    env = {**os.environ, 'OMP_NUM_THREADS': str(torch.get_num_threads())}
    res = {'trl': run('TRL', TRL, [str(out / 'train.jsonl'), str(base), str(out / 'trl')], env),
           'smolbook': run('smolbook', SMOLBOOK, ['sft', '--data', str(out / 'train.jsonl'), '--model', str(base),
                                                  '--out', str(out / 'smolbook'), '--val-frac', '0'], env)}
    for k in res: res[k]['val_loss'] = val_loss(out / k, tok, val)
    base_loss = val_loss(base, tok, val)
    device = (torch.cuda.get_device_name() if torch.cuda.is_available() else
              f"CPU {torch.backends.cpu.get_cpu_capability()}, {torch.get_num_threads()} threads")
    t, s = res['trl'], res['smolbook']
    md = (f"# Fine-tuning on your own chats: smolbook sft vs TRL SFTTrainer, defaults\n\n"
          f"{device}, torch {torch.__version__}, {platform.machine()}; JFLEG dev as {len(train)} training chats, "
          f"{len(val)} held out; SmolLM2-135M-Instruct; `python bench/own_data.py`\n\n"
          f"| run | wall s | peak MB | held-out loss (assistant tokens) |\n|---|---:|---:|---:|\n"
          f"| untrained | | | {base_loss:.4f} |\n"
          f"| TRL SFTTrainer ({t['steps']} steps) | {t['seconds']:.0f} | {t['maxrss_mb']:.0f} | {t['val_loss']:.4f} |\n"
          f"| smolbook sft | {s['seconds']:.0f} | {s['maxrss_mb']:.0f} | {s['val_loss']:.4f} |\n\n"
          f"smolbook / TRL: wall time {s['seconds'] / t['seconds']:.2f}x (target <= 0.5x), peak memory "
          f"{s['maxrss_mb'] / t['maxrss_mb']:.2f}x (target <= 1x), held-out loss {s['val_loss'] / t['val_loss'] - 1:+.1%} "
          f"(target <= +1%)\n")
    (out / 'results.json').write_text(json.dumps(res, indent=1))
    Path(__file__).parent.joinpath('results', 'own_data.md').write_text(md)
    print(md)

if __name__ == '__main__': main()
