"""JFLEG benchmark: fine-tune SmolLM2-135M-Instruct on part of JFLEG dev, score the held-out part.

    python bench/gec.py [--jfleg ../shared/data/jfleg/dev] [--out runs/gec]

Splits JFLEG dev by source sentence (seeded; a third held out), then runs the command-line tools:
`smolbook sft` on the training part, `smolbook correct` with the fine-tuned model and with the un-tuned model
and a 3-shot prompt, and `smolbook eval` on the held-out part (the copy-the-source baseline is always in the
table). Writes bench/results/gec.md and the figures viz/gec_scores.png, viz/gec_edits.png.
"""
import argparse, platform, subprocess, time
from pathlib import Path
import torch
from smolbook.data import split_docs
from smolbook.gec import read_jfleg

def write_jfleg(examples, folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / 'dev.src').write_text(''.join(e.src + '\n' for e in examples))
    for k in range(len(examples[0].refs)):
        (folder / f'dev.ref{k}').write_text(''.join(e.refs[k] + '\n' for e in examples))

def sh(cmd: str) -> float:
    print('$', cmd, flush=True)
    t0 = time.perf_counter()
    subprocess.run(cmd, shell=True, check=True)
    return time.perf_counter() - t0

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--jfleg', default='../shared/data/jfleg/dev', help='JFLEG dev folder (dev.src, dev.ref0-3)')
    p.add_argument('--out', default='runs/gec')
    p.add_argument('--held-out', type=float, default=1 / 3)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--skip-sft', action='store_true', help='reuse OUT/model from an earlier run')
    a = p.parse_args()
    out = Path(a.out)
    train, test = split_docs(read_jfleg(a.jfleg), a.held_out, a.seed, key=lambda e: e.src)
    write_jfleg(train, out / 'train'); write_jfleg(test, out / 'test')
    t = out / 'test'
    times = {}
    if not a.skip_sft: times['sft'] = sh(f'smolbook sft --data {out}/train --out {out}/model --seed {a.seed}')
    times['correct (SFT)'] = sh(f'smolbook correct --model {out}/model < {t}/dev.src > {out}/sft.txt')
    times['correct (3-shot)'] = sh(f'smolbook correct --shots {out}/train --n-shots 3 < {t}/dev.src > {out}/fewshot.txt')
    refs = ' '.join(str(t / f'dev.ref{k}') for k in range(4))
    report = subprocess.run(f'smolbook eval --src {t}/dev.src --refs {refs} --hyp {out}/fewshot.txt {out}/sft.txt '
                            f'--names "SmolLM2-135M-Instruct, 3-shot" "SmolLM2-135M-Instruct + smolbook SFT" '
                            f'--plots viz/gec --jsonl {out}/outputs.jsonl', shell=True, check=True, capture_output=True, text=True).stdout
    print(report)
    cpu = f'{torch.backends.cpu.get_cpu_capability()}, {torch.get_num_threads()} threads, torch {torch.__version__}, {platform.machine()}'
    md = [f'# GEC benchmark: JFLEG dev, {len(train)} sentences to fine-tune, {len(test)} held out\n',
          f'CPU capability {cpu}; `python bench/gec.py` (split seed {a.seed}).\n', report,
          '\n| step | seconds |\n|---|---:|', *[f'| {k} | {v:.0f} |' for k, v in times.items()]]
    Path('bench/results/gec.md').write_text('\n'.join(md) + '\n')

if __name__ == '__main__': main()
