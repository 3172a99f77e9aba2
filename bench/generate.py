"""Generation and forward speed: smolbook vs transformers on the real SmolLM2-135M-Instruct weights.

Same weights (fp32), same inputs, same threads, one process; each figure is the best of --reps runs,
the two libraries alternating. Writes bench/results/generate.md.

    python bench/generate.py [--threads 2] [--reps 3]
"""
import argparse, platform, tempfile, time
from pathlib import Path
import torch
from transformers import LlamaForCausalLM
from smolbook.model import SmolLM
from smolbook.generate import generate
from smolbook.hub import smollm2_gguf

def best(f, reps):
    times = []
    for _ in range(reps):
        t = time.perf_counter(); f(); times.append(time.perf_counter() - t)
    return min(times)

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--threads', type=int, default=torch.get_num_threads())
    p.add_argument('--reps', type=int, default=3)
    p.add_argument('--out', default=str(Path(__file__).parent / 'results' / 'generate.md'))
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    ours = SmolLM.from_pretrained(smollm2_gguf())
    with tempfile.TemporaryDirectory() as d:
        ours.save_pretrained(d)
        hf = LlamaForCausalLM.from_pretrained(d, dtype=torch.float32).eval()
    hf.generation_config.eos_token_id = None  # both run exactly the requested number of tokens
    hf.generation_config.pad_token_id = 0
    g = torch.Generator().manual_seed(0)
    rows = []
    for B in (1, 16):
        ids = torch.randint(100, 40000, (B, 32), generator=g)
        mask = torch.ones_like(ids)
        run_ours = lambda: generate(ours, ids, mask, max_new_tokens=64)
        def run_hf():
            with torch.inference_mode(): return hf.generate(ids, attention_mask=mask, max_new_tokens=64, do_sample=False)
        assert torch.equal(run_ours(), run_hf()[:, 32:]), "greedy outputs differ"   # also a warm-up
        t_ours, t_hf = [], []
        for _ in range(a.reps): t_ours.append(best(run_ours, 1)); t_hf.append(best(run_hf, 1))
        rows.append((f'greedy decode, batch {B} (prompt 32, 64 new)', B * 64 / min(t_ours), B * 64 / min(t_hf)))
    ids = torch.randint(100, 40000, (4, 256), generator=g)
    with torch.inference_mode():
        f_ours, f_hf = lambda: ours(ids), lambda: hf(ids).logits
        f_ours(); f_hf()
        t_ours, t_hf = [], []
        for _ in range(a.reps): t_ours.append(best(f_ours, 1)); t_hf.append(best(f_hf, 1))
    rows.append(('forward, batch 4 x 256', ids.numel() / min(t_ours), ids.numel() / min(t_hf)))
    head = (f"CPU capability {torch.backends.cpu.get_cpu_capability()}, {a.threads} threads, torch {torch.__version__}, "
            f"{platform.processor() or platform.machine()}; fp32; best of {a.reps}")
    lines = [f"# Generation speed: smolbook vs transformers\n", head + "\n",
             "| workload | smolbook tok/s | transformers tok/s | ratio |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {o:.1f} | {h:.1f} | {o / h:.2f}x |" for name, o, h in rows]
    text = '\n'.join(lines) + '\n'
    print(text)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(text)

if __name__ == '__main__': main()
