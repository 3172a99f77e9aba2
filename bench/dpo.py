"""Memory and speed of one DPO step on the real SmolLM2-135M weights: smolbook vs TRL's DPOTrainer, same pairs, batch, length and precision.

    python bench/dpo.py [--pairs 8,16] [--steps 2] [--jfleg jfleg/dev]

Each variant runs in its own process, which first imports torch, transformers and trl (so all start from the same
resident memory), then loads the model(s) and takes one untimed and `--steps` timed optimizer steps. Peak resident
memory (ru_maxrss) is reported in total and above that common start. Pairs: JFLEG dev sentences, the first
reference chosen and the source rejected, in the prompt format of `smolbook sft` (JFLEG dev, by default in jfleg/dev of
the repository: `python bench/jfleg.py` says how to get it). Writes bench/results/dpo.md.
"""
import argparse, json, platform, resource, subprocess, sys, time
from pathlib import Path
import jfleg

def rss_mb() -> float: return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def pairs(n: int, data: str, text_prompt: bool):
    "Tokenizer and rows; the prompt as chat messages (as `smolbook pairs` writes it) or, for TRL, rendered as text (the same ids here)."
    from smolbook.gec import GECFormat, read_jfleg
    from smolbook.hub import load_tokenizer, smollm2
    tok = load_tokenizer(smollm2()); fmt = GECFormat(tok)
    exs = [e for e in read_jfleg(data) if e.refs[0] != e.src][:n]
    prompt = fmt.prompt_text if text_prompt else fmt.turns
    return tok, [dict(prompt=prompt(e.src), chosen=fmt.completion_text(e.refs[0]), rejected=fmt.completion_text(e.src)) for e in exs]

def variant(name: str, n: int, steps: int, hf_dir: str, data: str) -> dict:
    import torch, transformers, trl, datasets                     # the common start
    start = rss_mb()
    tok, rows = pairs(n, data, text_prompt=not name.startswith('smolbook'))
    times = []
    if name.startswith('smolbook'):
        from smolbook.model import SmolLM
        from smolbook.dpo import PreferenceLoss, tokenize_pairs, reference_logps, PREF_DEFAULTS
        from smolbook.train import TrainConfig, param_groups, train_step, mixed_precision
        model = SmolLM.from_pretrained(hf_dir); model.train()
        model.model.recompute_activations = PREF_DEFAULTS['recompute_activations']    # as `smolbook dpo` trains (TRL's default too)
        data = tokenize_pairs(tok, rows)
        loss = PreferenceLoss()
        if name == 'smolbook, live reference': loss.ref = SmolLM.from_pretrained(hf_dir).eval()
        else: data.update(reference_logps(model, data, batch_size=n, precision='fp32', progress=False))
        cfg = TrainConfig(batch_size=n, lr=1e-6, weight_decay=0.0, betas=(0.9, 0.999), precision='fp32')
        opt = torch.optim.AdamW(param_groups(model, 0.0), lr=1e-6, betas=(0.9, 0.999), fused=True)
        _, autocast, scaler = mixed_precision(model.device, 'fp32')
        for i in range(steps + 1):
            t0 = time.perf_counter(); train_step(model, opt, scaler, data, cfg, loss, autocast); times.append(time.perf_counter() - t0)
    else:
        from transformers import LlamaForCausalLM, TrainerCallback
        from trl import DPOConfig, DPOTrainer
        class Clock(TrainerCallback):
            def on_step_begin(self, *a, **k): self.t0 = time.perf_counter()
            def on_step_end(self, *a, **k): times.append(time.perf_counter() - self.t0)
        pre = name == 'TRL DPOTrainer, precomputed reference'
        args = DPOConfig(output_dir='/tmp/bench-dpo-trl', max_steps=steps + 1, per_device_train_batch_size=n, learning_rate=1e-6,
                         report_to=[], save_strategy='no', use_cpu=True, bf16=False, dataloader_pin_memory=False,
                         precompute_ref_log_probs=pre, disable_tqdm=True, logging_steps=1000)
        tr = DPOTrainer(model=LlamaForCausalLM.from_pretrained(hf_dir, dtype=torch.float32),
                        ref_model=None if pre else LlamaForCausalLM.from_pretrained(hf_dir, dtype=torch.float32),
                        args=args, train_dataset=datasets.Dataset.from_list(rows), processing_class=tok, callbacks=[Clock()])
        tr.train()
    return dict(name=name, peak_mb=rss_mb(), start_mb=start, step_s=sum(times[1:]) / steps)

VARIANTS = ['TRL DPOTrainer, live reference', 'TRL DPOTrainer, precomputed reference', 'smolbook, live reference', 'smolbook, cached reference']

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--pairs', default='8,16', help='pairs per step (the batch), one table per comma-separated size')
    p.add_argument('--steps', type=int, default=2, help='timed steps after one untimed')
    p.add_argument('--variant', help=argparse.SUPPRESS)
    p.add_argument('--hf-dir', default='/tmp/bench-dpo-smollm2', help='where the weights are written in transformers format')
    jfleg.add_argument(p)
    a = p.parse_args()
    jfleg.require(a.jfleg, 'bench/dpo.py')
    if a.variant: print(json.dumps(variant(a.variant, int(a.pairs), a.steps, a.hf_dir, a.jfleg))); return
    import torch
    from smolbook.model import SmolLM
    from smolbook.hub import load_tokenizer, smollm2
    SmolLM.from_pretrained(smollm2()).save_pretrained(a.hf_dir, tokenizer=load_tokenizer(smollm2()))
    cpu = f'{torch.backends.cpu.get_cpu_capability()}, {torch.get_num_threads()} threads, torch {torch.__version__}, {platform.machine()}'
    md = [f'# One DPO step on SmolLM2-135M, fp32: smolbook vs TRL DPOTrainer\n',
          f'CPU capability {cpu}; `python bench/dpo.py --pairs {a.pairs} --steps {a.steps}`. Both train with gradient checkpointing '
          "(TRL's default, and `smolbook dpo`'s); peak resident memory is the process's high-water mark, above the memory "
          'after importing torch, transformers and trl; step time is the mean of the timed steps.\n']
    for n in map(int, a.pairs.split(',')):
        res = []
        for v in VARIANTS:
            r = subprocess.run([sys.executable, __file__, '--variant', v, '--pairs', str(n), '--steps', str(a.steps), '--hf-dir', a.hf_dir, '--jfleg', a.jfleg],
                               capture_output=True, text=True)
            if r.returncode: sys.exit(f'{v} failed:\n{r.stderr[-3000:]}')
            res.append(json.loads(r.stdout.strip().splitlines()[-1])); print(res[-1], flush=True)
        trl = res[0]
        md += [f'## {n} pairs per step\n', '| variant | peak RSS (MB) | above the common start (MB) | ratio to TRL, live reference | step (s) | ratio |',
               '|---|---:|---:|---:|---:|---:|']
        for r in res:
            above, t_above = r['peak_mb'] - r['start_mb'], trl['peak_mb'] - trl['start_mb']
            md.append(f"| {r['name']} | {r['peak_mb']:.0f} | {above:.0f} | {above / t_above:.2f} | {r['step_s']:.2f} | {r['step_s'] / trl['step_s']:.2f} |")
        md.append('')
    (Path(__file__).parent / 'results' / 'dpo.md').write_text('\n'.join(md)); print('\n'.join(md))

if __name__ == '__main__': main()
