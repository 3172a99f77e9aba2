"""Generation and forward speed: smolbook vs transformers on the real SmolLM2-135M-Instruct weights.

Greedy decoding and beam search (tokens/s counts the tokens returned, one sequence per row), and a
forward pass. Same weights (fp32), same inputs, same threads, one process; each figure is the best of --reps runs,
the libraries alternating. smolbook's `generate` packs the weights for oneDNN on entry and frees the
copies on exit (`smolbook.packing.prepacked`). Two smolbook paths are timed:

- per call: `generate(...)` as is, packing included in every call;
- held scope: `with prepacked(model):` around all calls, as `correct` and other repeated decoding do,
  so packing is paid once; this is the path the headline ratios use.

The cost of making the copies is timed too. Writes bench/results/generate.md.

    python bench/generate.py [--threads 2] [--reps 3]
"""
import argparse, platform, tempfile, time
from pathlib import Path
import torch
from transformers import LlamaForCausalLM
from smolbook.model import SmolLM
from smolbook.generate import generate
from smolbook.hub import smollm2
from smolbook.packing import prepacked, decode_copy

def seconds(f):
    t = time.perf_counter(); f(); return time.perf_counter() - t

def race(fs: dict, reps: int) -> dict:
    "Best time of each function over `reps` rounds, the functions alternating within a round."
    times = {k: [] for k in fs}
    for _ in range(reps):
        for k, f in fs.items(): times[k].append(seconds(f))
    return {k: min(v) for k, v in times.items()}

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--threads', type=int, default=torch.get_num_threads())
    p.add_argument('--reps', type=int, default=3)
    p.add_argument('--out', default=str(Path(__file__).parent / 'results' / 'generate.md'))
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    ours = SmolLM.from_pretrained(smollm2())
    with tempfile.TemporaryDirectory() as d:
        ours.save_pretrained(d)
        hf = LlamaForCausalLM.from_pretrained(d, dtype=torch.float32).eval()
    hf.generation_config.eos_token_id = None  # both run exactly the requested number of tokens
    hf.generation_config.pad_token_id = 0
    g = torch.Generator().manual_seed(0)
    weights = [l.weight for l in ours.modules() if type(l) is torch.nn.Linear]
    copy_s = {kind: min(seconds(lambda: [decode_copy(w, kind) for w in weights]) for _ in range(a.reps)) for kind in ('packed', 'halves')}
    rows = []
    for B, N in ((1, 1), (16, 1), (1, 4), (4, 4)):
        ids = torch.randint(100, 40000, (B, 32), generator=g)
        mask = torch.ones_like(ids)
        per_call = lambda: generate(ours, ids, mask, max_new_tokens=64, num_beams=N)
        def run_hf():
            with torch.inference_mode(): return hf.generate(ids, attention_mask=mask, max_new_tokens=64, do_sample=False, num_beams=N)
        assert torch.equal(per_call(), run_hf()[:, 32:]), "outputs differ"   # also a warm-up
        t = race({'per call': per_call, 'hf': run_hf}, a.reps)        # each call makes and frees its copies
        with prepacked(ours):                                           # one scope around the calls: copies made once
            held = race({'held': per_call, 'hf': run_hf}, a.reps)
        t = {'per call': t['per call'], 'held': held['held'], 'hf': min(t['hf'], held['hf'])}
        n = B * 64
        how = 'greedy decode' if N == 1 else f'beam search, {N} beams'
        rows.append((f'{how}, batch {B} (prompt 32, 64 new)', n / t['held'], n / t['per call'], n / t['hf']))
    ids = torch.randint(100, 40000, (4, 256), generator=g)
    with torch.inference_mode():
        f_ours, f_hf = lambda: ours(ids), lambda: hf(ids).logits
        f_ours(); f_hf()
        t = race({'ours': f_ours, 'hf': f_hf}, a.reps)
    rows.append(('forward, batch 4 x 256', ids.numel() / t['ours'], ids.numel() / t['ours'], ids.numel() / t['hf']))
    head = (f"CPU capability {torch.backends.cpu.get_cpu_capability()}, {a.threads} threads, torch {torch.__version__}, "
            f"{platform.processor() or platform.machine()}; fp32; best of {a.reps}")
    lines = ["# Generation speed: smolbook vs transformers\n", head + "\n",
             f"Copying all 135M weights for decoding, made once per scope on first use: {copy_s['packed'] * 1000:.0f} ms "
             f"(oneDNN-packed, for 2-16 rows), {copy_s['halves'] * 1000:.0f} ms (two transposed halves, for one row where "
             f"faster).\n",
             "| workload | smolbook tok/s (scope held) | smolbook tok/s (packing per call) | transformers tok/s | ratio (held) | ratio (per call) |",
             "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {name} | {h:.1f} | {c:.1f} | {t:.1f} | {h / t:.2f}x | {c / t:.2f}x |" for name, h, c, t in rows]
    text = '\n'.join(lines) + '\n'
    print(text)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(text)

if __name__ == '__main__': main()
