"""Training-step speed: smolbook vs transformers on the SmolLM2-135M shape.

One optimizer step = forward, backward and AdamW on a batch of 4 x 256 random tokens, with the same
weights, settings and threads in one process: fp32 always, and bf16 autocast where the CPU computes
bf16 natively. Prints tokens/s, the ratio and the peak memory growth of each step, and how close each
library comes to the ceiling that this CPU's matrix-product speed sets; writes bench/results/train.md.

    python bench/train.py [--steps 3] [--threads 2]
"""
import argparse, ctypes, ctypes.util, platform, threading, time
from pathlib import Path
import psutil, torch
from transformers import LlamaConfig, LlamaForCausalLM
from smolbook.core import preset, to_hf
from smolbook.model import SmolLM
from smolbook.losses import lm_loss
from smolbook.train import native_precision, param_groups

libc = ctypes.CDLL(ctypes.util.find_library('c'))

class PeakRSS:
    "Peak resident memory above the level at entry (freed heap returned to the system first), sampled every 5 ms."
    def __enter__(self):
        libc.malloc_trim(0)
        self.proc, self.base, self.peak, self.on = psutil.Process(), psutil.Process().memory_info().rss, 0, True
        def watch():
            while self.on: self.peak = max(self.peak, self.proc.memory_info().rss - self.base); time.sleep(0.005)
        self.t = threading.Thread(target=watch); self.t.start(); return self
    def __exit__(self, *a): self.on = False; self.t.join()

def matmul_peak(dtype: torch.dtype, reps: int = 20) -> float:
    "GFLOP/s of the model's MLP product [1024, 576] x [576, 1536] in `dtype`, best of `reps`."
    a, b = torch.randn(1024, 576, dtype=dtype), torch.randn(576, 1536, dtype=dtype)
    a @ b
    t = min(seconds(lambda: a @ b) for _ in range(reps))
    return 2 * 1024 * 576 * 1536 / t / 1e9

def seconds(f) -> float:
    t = time.perf_counter(); f(); return time.perf_counter() - t

def step_flops(cfg, T: int) -> float:
    "Training FLOPs per token: 6 per weight in a matrix product (head included) + causal attention."
    C, I, L, kv = cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers, cfg.num_key_value_heads * cfg.head_dim
    weights = L * (2 * C * C + 2 * C * kv + 3 * C * I) + cfg.vocab_size * C
    return 6 * weights + 6 * L * T * C      # attention: 12·L·T·C for scores and values, halved by causality

def hf_loss(model, batch):
    "transformers' own causal-LM loss (it shifts the labels itself) on the same 256 input tokens."
    return model(input_ids=batch[:, :-1], labels=batch[:, :-1]).loss

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--steps', type=int, default=5)
    p.add_argument('--threads', type=int, default=torch.get_num_threads())
    p.add_argument('--out', default=str(Path(__file__).parent / 'results' / 'train.md'))
    a = p.parse_args()
    torch.set_num_threads(a.threads); torch.manual_seed(0)
    cfg = preset('smollm2-135m')
    hf = LlamaForCausalLM(LlamaConfig(**to_hf(cfg))).train()
    ours = SmolLM(cfg).train()
    ours.load_state_dict(hf.state_dict())
    batch = torch.randint(0, cfg.vocab_size, (4, 257))
    mean = lambda r: r['loss'] / r['count']                 # lm_loss returns the sum over tokens and their count
    runs = {'smolbook': (ours, lambda m, b: mean(lm_loss(m, b))), 'transformers': (hf, hf_loss)}
    opts = {k: torch.optim.AdamW(param_groups(m, 0.1), lr=1e-5, fused=True) for k, (m, _) in runs.items()}
    precisions = ['fp32'] + (['bf16'] if native_precision('cpu') == 'bf16' else [])
    rows = []
    for prec in precisions:
        ac = torch.autocast('cpu', dtype=torch.bfloat16, enabled=prec == 'bf16')
        times, peaks, first = {k: [] for k in runs}, {}, {}
        def step(name):
            m, loss_fn = runs[name]
            t = time.perf_counter()
            with ac: loss = loss_fn(m, batch)
            loss.backward(); opts[name].step(); opts[name].zero_grad(set_to_none=True)
            first.setdefault(name, loss.item())
            return time.perf_counter() - t
        for name in runs: step(name)                     # warm-up
        for i in range(a.steps):                         # timed: the libraries alternate step by step
            for name in runs: times[name].append(step(name))
        for name in runs:                                # memory, in a step of its own: sampling it perturbs timing
            with PeakRSS() as mem: step(name)
            peaks[name] = mem.peak
        res = {k: (batch[:, :-1].numel() / min(times[k]), peaks[k] / 2**20, first[k]) for k in runs}
        (o, om, ol), (h, hm, hl) = res['smolbook'], res['transformers']
        assert abs(ol - hl) < 0.05, f"first-step losses differ: {ol} vs {hl}"   # 256 vs 255 predicted tokens
        rows.append((prec, o, h, om, hm, matmul_peak(torch.float32 if prec == 'fp32' else torch.bfloat16)))
    head = (f"CPU capability {torch.backends.cpu.get_cpu_capability()}, {a.threads} threads, torch {torch.__version__}, "
            f"{platform.machine()}; SmolLM2-135M shape, batch 4 x 256, AdamW; best of {a.steps} steps")
    lines = ["# Training-step speed: smolbook vs transformers\n", head + "\n",
             "| precision | smolbook tok/s | transformers tok/s | ratio | smolbook peak MB | transformers peak MB |",
             "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {p} | {o:.1f} | {h:.1f} | {o / h:.2f}x | {om:.0f} | {hm:.0f} |" for p, o, h, om, hm, _ in rows]
    fl = step_flops(cfg, batch.shape[1] - 1)
    lines += ["", f"Ceiling: {fl / 1e6:.0f} MFLOP per token; tokens/s at the matmul peak of this CPU "
              "(the model's [1024, 576] x [576, 1536] product, measured in this run):", "",
              "| precision | matmul peak GFLOP/s | ceiling tok/s | smolbook | transformers | 1.3x transformers |",
              "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {p} | {pk:.0f} | {pk * 1e9 / fl:.0f} | {o * fl / pk / 1e9:.0%} | {h * fl / pk / 1e9:.0%} | {1.3 * h * fl / pk / 1e9:.0%} |"
              for p, o, h, _, _, pk in rows]
    text = '\n'.join(lines) + '\n'
    print(text); Path(a.out).write_text(text)

if __name__ == '__main__': main()
