"""Correcting a file: sentences per second of smolbook's `correct_stream` vs transformers' `generate`.

    python bench/correct.py [--jfleg jfleg/dev] [--n 256] [--batch-size 16] [--beams 1] [--lines 10000]

Data: JFLEG dev's sources, by default in jfleg/dev of the repository (`git clone https://github.com/keisks/jfleg`
there; `python bench/jfleg.py` says more).

Speed: the first --n JFLEG dev sources (repeated if needed), the packaged SmolLM2-135M-Instruct with its 3-shot prompt,
greedy (or --beams). smolbook reads them as a stream and sorts each chunk by length into batches; transformers'
`generate` gets exactly those batches (same order, left padding, token budget and stop tokens) on a
`LlamaForCausalLM` holding the same weights, in the same process and threads. The answers are compared.

Memory: `smolbook correct` on a --lines file, a tenth and a hundredth of it, with a tiny random model (the point is
the reading, not the model): peak resident memory of each run. Writes bench/results/correct.md.
"""
import argparse, platform, re, subprocess, sys, tempfile, time
from itertools import cycle, islice
from pathlib import Path
import torch
from transformers import LlamaForCausalLM
from smolbook.core import preset
from smolbook.gec import GECFormat, correct_stream, gec_format, looks_tokenized, read_jfleg, tokenize_like_ptb
from smolbook.generate import load_model
from smolbook.tokens import pad_id
from smolbook.model import SmolLM
import jfleg

def hf_correct(hf, fmt: GECFormat, srcs: list[str], batch_size: int, beams: int) -> list[str]:
    "What `correct` does, with transformers' `generate` doing the decoding: the same sorted batches, budget and stops."
    prompts = [fmt.prompt(s) for s in srcs]
    order, out, pad = sorted(range(len(srcs)), key=lambda i: len(prompts[i])), [''] * len(srcs), pad_id(fmt.tok)
    for at in range(0, len(order), batch_size):
        idx = order[at:at + batch_size]
        T = max(len(prompts[i]) for i in idx)
        ids = torch.tensor([[pad] * (T - len(prompts[i])) + prompts[i] for i in idx])
        mask = torch.tensor([[0] * (T - len(prompts[i])) + [1] * len(prompts[i]) for i in idx])
        budget = [int(1.5 * len(fmt.encode(srcs[i]))) + 16 for i in idx]   # `correct`'s per-row budgets: the batch runs to
        with torch.inference_mode():
            new = hf.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max(budget), do_sample=False, num_beams=beams,
                              eos_token_id=fmt.stop_ids, pad_token_id=fmt.tok.eos_token_id)[:, T:]
        for i, row, n in zip(idx, new.tolist(), budget):                # the longest, each row is cut at its own
            ans = fmt.answer(row[:n])
            out[i] = srcs[i] if not ans or fmt.restates(srcs[i], ans) else ans   # as `correct` does
    return out

def peak_rss_mb(code: str, stdin: Path) -> float:
    """Peak resident memory (MB) of `python -c code` reading `stdin`: the child's own high-water mark (VmHWM, Linux),
    which it writes on exit. (`ru_maxrss` would not do: a child starts from the RSS of the parent that forked it.)"""
    hwm = stdin.with_suffix('.hwm')
    peak = f"import atexit; atexit.register(lambda: open({str(hwm)!r}, 'w').write(open('/proc/self/status').read()))"
    with open(stdin, 'rb') as f:
        subprocess.run([sys.executable, '-c', f'{peak}\n{code}'], stdin=f, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return int(re.search(r'VmHWM:\s*(\d+) kB', hwm.read_text())[1]) / 1024

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    jfleg.add_argument(p)
    p.add_argument('--n', type=int, default=256, help='sentences to correct in the speed race (default 256)')
    p.add_argument('--batch-size', type=int, default=16, help='sentences per batch in the speed race (default 16)')
    p.add_argument('--beams', type=int, default=1, help='1: greedy, more: beam search (default 1)')
    p.add_argument('--lines', type=int, default=10_000, help='lines of the longest memory run (0: skip it; default 10000)')
    p.add_argument('--out', default=str(Path(__file__).parent / 'results' / 'correct.md'), help='the report (default bench/results/correct.md)')
    a = p.parse_args()
    try: srcs = list(islice(cycle([e.src for e in read_jfleg(jfleg.require(a.jfleg, 'bench/correct.py'))]), a.n))
    except (ValueError, OSError) as e: p.exit(2, f'bench/correct.py: {e}\n')
    model, tok, name = load_model()
    fmt, _ = gec_format(tok)
    with tempfile.TemporaryDirectory() as d:
        model.save_pretrained(d)
        hf = LlamaForCausalLM.from_pretrained(d, dtype=torch.float32).eval()
    t0 = time.perf_counter()
    ours = list(correct_stream(model, fmt, srcs, batch_size=a.batch_size, num_beams=a.beams, progress=False))
    t1 = time.perf_counter()
    theirs = hf_correct(hf, fmt, srcs, a.batch_size, a.beams)
    t2 = time.perf_counter()
    theirs = [tokenize_like_ptb(t) if looks_tokenized([s]) else t for s, t in zip(srcs, theirs)]   # as correct_stream: line by line
    same = sum(o == t for o, t in zip(ours, theirs)) / len(srcs)
    head = (f"CPU capability {torch.backends.cpu.get_cpu_capability()}, {torch.get_num_threads()} threads, torch {torch.__version__}, "
            f"{platform.processor() or platform.machine()}; {name}, 3-shot prompt, fp32, batch {a.batch_size}, "
            f"{'greedy' if a.beams == 1 else f'{a.beams} beams'}")
    lines = ["# Correcting a file: smolbook vs transformers\n", head + "\n",
             f"`python bench/correct.py --n {a.n} --batch-size {a.batch_size} --beams {a.beams} --lines {a.lines}`\n",
             "| system | sentences/s | seconds for the batch of sentences |", "|---|---:|---:|",
             f"| smolbook `correct_stream` | {a.n / (t1 - t0):.2f} | {t1 - t0:.1f} |",
             f"| transformers `generate`, same batches | {a.n / (t2 - t1):.2f} | {t2 - t1:.1f} |",
             f"\nRatio: **{(t2 - t1) / (t1 - t0):.2f}x**; answers identical for {same:.1%} of the {a.n} sentences.\n"]
    print('\n'.join(lines), flush=True)
    if a.lines:
        with tempfile.TemporaryDirectory() as d:
            d = Path(d)
            tiny = SmolLM(preset('tiny', vocab_size=len(tok), max_position_embeddings=512))
            tiny.save_pretrained(d / 'tiny', tokenizer=tok)
            GECFormat(tok, chat=False).save(d / 'tiny')          # a short prompt: this run measures reading, not the model
            rss = {}
            for n in (a.lines // 100, a.lines // 10, a.lines):
                (d / 'in.txt').write_text(''.join(f'{s}\n' for s in islice(cycle(srcs), n)))
                t = time.perf_counter()
                rss[n] = (peak_rss_mb(f'from smolbook.cli import main; main(["correct", "--model", {str(d / "tiny")!r}, "--batch-size", "64"])', d / 'in.txt'),
                          time.perf_counter() - t)
                print(f'{n} lines: peak {rss[n][0]:.0f} MB in {rss[n][1]:.0f} s', flush=True)
        lines += ["## Memory on a long file\n",
                  "`smolbook correct --model TINY --batch-size 64 < FILE` (a tiny random model, chunks of 1,024 lines):\n",
                  "| lines | peak resident memory | seconds |", "|---:|---:|---:|"]
        lines += [f"| {n:,} | {mb:.0f} MB | {s:.0f} |" for n, (mb, s) in rss.items()]
        *short, longest = [mb for mb, _ in rss.values()]
        lines += [f"\nEach figure is that run's own peak (VmHWM). The longest run peaked at {longest:.0f} MB, the shorter ones at up to "
                  f"{max(short):.0f} MB: " + ("memory depends on which sentences meet in a batch, not on the file's length." if longest <= 1.2 * max(short)
                                        else "**memory grew with the file's length**.")]
    text = '\n'.join(lines) + '\n'
    Path(a.out).write_text(text)

if __name__ == '__main__': main()
