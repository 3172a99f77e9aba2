"""Speed of one MoE layer, forward + backward: smolbook's SparseMoE vs transformers' Mixtral block in each of its expert
implementations, and vs computing every expert for every token; then decoding with the upcycled SmolLM2-135M vs the dense one.

    python bench/moe.py [--tokens 2048] [--experts 8] [--top-k 2] [--repeats 5]

Same weights, same tokens, fp32, the 135M shapes (hidden 576, expert width 1536). Each variant is timed `--repeats`
times after one warm-up; the table gives the median. Writes bench/results/moe.md.
"""
import argparse, platform, statistics, time
from pathlib import Path
import torch, torch.nn.functional as F
from transformers import MixtralConfig
from transformers.models.mixtral.modeling_mixtral import MixtralSparseMoeBlock
from smolbook.core import preset
from smolbook.moe import SparseMoE

def compute_all(m: SparseMoE, x):                                    # every expert on every token, unchosen ones weighted 0
    x2 = x.reshape(-1, x.shape[-1])
    logits, g, idx = m.route(x2)
    w = torch.zeros_like(logits, dtype=g.dtype).scatter(1, idx, g)  # [N, E]
    return sum(w[:, e, None].to(x.dtype) * ex(x2) for e, ex in enumerate(m.experts)).view(x.shape)

def mixtral_block(m: SparseMoE, cfg, impl: str) -> MixtralSparseMoeBlock:
    hc = MixtralConfig(hidden_size=cfg.hidden_size, intermediate_size=cfg.intermediate_size, num_local_experts=cfg.num_local_experts,
                       num_experts_per_tok=cfg.num_experts_per_tok)
    hc._experts_implementation = impl
    b = MixtralSparseMoeBlock(hc)
    with torch.no_grad():
        b.gate.weight.copy_(m.gate.weight)
        b.experts.gate_up_proj.copy_(torch.stack([torch.cat([e.gate_proj.weight, e.up_proj.weight]) for e in m.experts]))
        b.experts.down_proj.copy_(torch.stack([e.down_proj.weight for e in m.experts]))
    return b

def timed(fn, x, repeats: int) -> tuple[float, torch.Tensor]:
    ts = []
    for i in range(repeats + 1):
        xi = x.detach().clone().requires_grad_()
        t0 = time.perf_counter(); y = fn(xi); y.float().pow(2).mean().backward(); ts.append(time.perf_counter() - t0)
    return statistics.median(ts[1:]), y.detach()

def decode_speed(model, n_new: int = 64) -> float:
    from smolbook.generate import generate
    ids = torch.randint(3, 49152, (1, 16), generator=torch.Generator().manual_seed(0))
    generate(model, ids, max_new_tokens=4)
    t0 = time.perf_counter(); generate(model, ids, max_new_tokens=n_new); return n_new / (time.perf_counter() - t0)

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--tokens', type=int, default=2048, help='tokens in the batch (batch x sequence)')
    p.add_argument('--experts', type=int, default=8)
    p.add_argument('--top-k', type=int, default=2)
    p.add_argument('--repeats', type=int, default=5)
    p.add_argument('--no-decode', action='store_true', help='skip the 135M decoding comparison')
    a = p.parse_args()
    torch.manual_seed(0)
    cfg = preset('smollm2-135m', num_local_experts=a.experts, num_experts_per_tok=a.top_k)
    m = SparseMoE(cfg)
    for q in m.parameters(): torch.nn.init.normal_(q, std=0.02)
    x = torch.randn(1, a.tokens, cfg.hidden_size)
    res, failed = {'smolbook SparseMoE': timed(lambda xi: m(xi)[0], x, a.repeats)}, {}
    for impl in ('eager', 'batched_mm', 'grouped_mm'):
        try: b = mixtral_block(m, cfg, impl); res[f'transformers Mixtral, {impl}'] = timed(b, x, a.repeats)
        except Exception as e: failed[f'transformers Mixtral, {impl}'] = str(e).splitlines()[0][:160]; print(impl, e)
    res['every expert on every token'] = timed(lambda xi: compute_all(m, xi), x, a.repeats)
    ref = res['smolbook SparseMoE'][1]
    for k, (_, y) in res.items(): assert (y - ref).abs().max() < 1e-4, f'{k} differs from smolbook by {(y - ref).abs().max():.2e}'
    hf_best = min((k for k in res if k.startswith('transformers')), key=lambda k: res[k][0])
    cpu = f'{torch.backends.cpu.get_cpu_capability()}, {torch.get_num_threads()} threads, torch {torch.__version__}, {platform.machine()}'
    md = [f'# One MoE layer, forward + backward: {a.experts} experts, top-{a.top_k}, {a.tokens} tokens, hidden 576, expert width 1536, fp32\n',
          f'CPU capability {cpu}; `python bench/moe.py --tokens {a.tokens} --experts {a.experts} --top-k {a.top_k}`. '
          f'Median of {a.repeats} runs after a warm-up; every variant\'s output equals smolbook\'s (1e-4).\n',
          '| variant | ms | smolbook speed-up |', '|---|---:|---:|']
    us = res['smolbook SparseMoE'][0]
    md += [f'| {k} | {t * 1e3:.0f} | {t / us:.2f}x |' for k, (t, _) in res.items()]
    md += [f'| {k} | failed: {why} | |' for k, why in failed.items()]
    md += ['', f'Against transformers\' fastest here ({hf_best}): **{res[hf_best][0] / us:.2f}x**; against computing every expert: '
           f'**{res["every expert on every token"][0] / us:.2f}x**.\n']
    if not a.no_decode:
        from smolbook.model import SmolLM
        from smolbook.hub import smollm2
        from smolbook.upcycle import upcycle
        dense = SmolLM.from_pretrained(smollm2())
        d = decode_speed(dense)
        moe = upcycle(dense, a.experts, a.top_k).eval(); del dense
        u = decode_speed(moe)
        md += ['## Decoding, batch 1, 64 new tokens after 16 (greedy, KV cache; the time of a whole `generate` call)\n', '| model | tokens/s |', '|---|---:|',
               f'| SmolLM2-135M (dense) | {d:.1f} |', f'| upcycled, {a.experts} experts, top-{a.top_k} | {u:.1f} |', '']
    Path('bench/results/moe.md').write_text('\n'.join(md)); print('\n'.join(md))

if __name__ == '__main__': main()
