"""JFLEG preference benchmark: SFT, then SFT+DPO and SFT+CPO on pairs of the SFT model's own samples, scored on held-out sentences.

    python bench/prefs.py [--jfleg ../shared/data/jfleg/dev] [--out runs/prefs]

Splits JFLEG dev as bench/gec.py does (a third held out, split seed 0) and the training part again (15% for
validation). `smolbook sft` on the rest of the training part; `smolbook pairs` from the SFT model's samples of
those same sentences; DPO's learning rate chosen by GLEU on the validation sentences; then DPO at two seeds and
CPO at one, every system scored once on the held-out part with `smolbook eval`. Writes bench/results/prefs.md
and viz/prefs.png.
"""
import argparse, json, platform, shutil, subprocess, sys, time
from pathlib import Path
import torch
from gec import sh, write_jfleg
from smolbook.data import split_docs
from smolbook.gec import read_jfleg
from smolbook.gec_eval import gec_report, report_table

def correct(model: Path, src: Path, out: Path) -> float:
    return sh(f'smolbook correct --model {model} < {src} > {out}')

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--jfleg', default='../shared/data/jfleg/dev', help='JFLEG dev folder (dev.src, dev.ref0-3)')
    p.add_argument('--out', default='runs/prefs')
    p.add_argument('--lrs', default='5e-6,3e-5', help='DPO learning rates to choose from on the validation sentences')
    p.add_argument('--seeds', default='0,1', help='DPO seeds (CPO runs at the first)')
    p.add_argument('--samples', type=int, default=2, help='samples per temperature per sentence for the pairs')
    p.add_argument('--epochs', type=float, default=1.0, help='passes over the pairs in each preference run')
    p.add_argument('--cpo', action='store_true', help='also train CPO (at the first seed and the chosen learning rate)')
    a = p.parse_args()
    out, seeds = Path(a.out), [int(s) for s in a.seeds.split(',')]
    train, test = split_docs(read_jfleg(a.jfleg), 1 / 3, 0, key=lambda e: e.src)       # bench/gec.py's split
    fit, val = split_docs(train, 0.15, 0, key=lambda e: e.src)
    for name, part in (('fit', fit), ('val', val), ('test', test)): write_jfleg(part, out / name)
    refs = lambda part: [[l for l in (out / part / f'dev.ref{k}').read_text().splitlines()] for k in range(4)]
    src = lambda part: (out / part / 'dev.src').read_text().splitlines()
    times = {}
    if not (out / 'sft' / 'model.safetensors').exists():
        times['sft'] = sh(f'smolbook sft --data {out}/fit --out {out}/sft --seed 0')
    if not (out / 'pairs.jsonl').exists():
        times['pairs'] = sh(f'smolbook pairs --data {out}/fit --model {out}/sft --out {out}/pairs.jsonl --samples {a.samples} --seed 0')
    n_pairs = sum(1 for l in (out / 'pairs.jsonl').read_text().splitlines() if l.strip())

    def run(method: str, lr: float, seed: int) -> Path:
        d = out / f'{method}-lr{lr:g}-seed{seed}-ep{a.epochs:g}'
        cache = next(out.glob('dpo-*/ref_logps.safetensors'), None)
        if method == 'dpo' and cache and not (d / cache.name).exists():              # same model, pairs, precision
            d.mkdir(parents=True, exist_ok=True); shutil.copy(cache, d / cache.name)
        if not (d / 'model.safetensors').exists():
            times[d.name] = sh(f'smolbook {method} --pairs {out}/pairs.jsonl --model {out}/sft --out {d} --lr {lr:g} --seed {seed} '
                               f'--val-frac 0 --epochs {a.epochs:g}')
        return d

    choice = {}                                                   # validation GLEU per learning rate
    if not (out / 'sft-val.txt').exists(): correct(out / 'sft', out / 'val/dev.src', out / 'sft-val.txt')
    base = gec_report(src('val'), refs('val'), {'SFT': (out / 'sft-val.txt').read_text().splitlines()}, errant=False)
    for lr in map(float, a.lrs.split(',')):
        d = run('dpo', lr, seeds[0])
        if not (d / 'val.txt').exists(): correct(d, out / 'val/dev.src', d / 'val.txt')
        choice[lr] = gec_report(src('val'), refs('val'), {'DPO': (d / 'val.txt').read_text().splitlines()}, errant=False)[1]['GLEU']
    best = max(choice, key=choice.get)
    systems = {'SmolLM2-135M-Instruct + SFT': out / 'sft'}
    for s in seeds: systems[f'SFT + DPO (lr {best:g}, seed {s})'] = run('dpo', best, s)
    if a.cpo: systems[f'SFT + CPO (lr {best:g}, seed {seeds[0]})'] = run('cpo', best, seeds[0])
    hyps = {}
    for name, d in systems.items():
        f = d / 'test.txt'
        if not f.exists(): times[f'correct {name}'] = correct(d, out / 'test/dev.src', f)
        hyps[name] = f.read_text().splitlines()
    rows = gec_report(src('test'), refs('test'), hyps)
    print(report_table(rows))
    def spread(method, col):
        v = [r[col] for r in rows if r['system'].startswith(f'SFT + {method}')]
        return f'{sum(v) / len(v):.3f} ± {(max(v) - min(v)) / 2:.3f}'
    cpu = f'{torch.backends.cpu.get_cpu_capability()}, {torch.get_num_threads()} threads, torch {torch.__version__}, {platform.machine()}'
    md = [f'# Preference optimisation on JFLEG: {len(fit)} sentences to fine-tune and sample pairs from ({n_pairs} pairs), '
          f'{len(val)} to choose settings, {len(test)} held out\n',
          f'CPU capability {cpu}; `python bench/prefs.py` (split seed 0, the split of bench/gec.py).\n',
          '## Held-out sentences\n', report_table(rows), '',
          f'DPO, mean ± half the range over seeds {seeds}: GLEU {spread("DPO", "GLEU")}, ERRANT F0.5 {spread("DPO", "ERRANT F0.5")}. ' +
          (f'CPO ran at one seed, at the learning rate chosen for DPO. ' if a.cpo else '') + f'{a.epochs:g} epoch(s) of pairs per run.\n',
          '## Choosing the learning rate (validation sentences, GLEU; DPO seed 0)\n' if len(choice) > 1 else
          '## Validation sentences (GLEU; one learning rate was run, so nothing was chosen)\n',
          '| learning rate | GLEU |\n|---:|---:|', f'| SFT alone | {base[1]["GLEU"]:.3f} |',
          *[f'| {lr:g} | {g:.3f} |' for lr, g in choice.items()], '',
          '| step | seconds |\n|---|---:|', *[f'| {k} | {v:.0f} |' for k, v in times.items()]]
    Path('bench/results/prefs.md').write_text('\n'.join(md) + '\n')
    json.dump(rows, open(out / 'scores.json', 'w'), indent=1)
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.4))
    for i, col in enumerate(('GLEU', 'ERRANT F0.5')):
        names = [r['system'].replace(' (lr', '\n(lr') for r in rows]
        ax[i].barh(range(len(rows)), [r[col] for r in rows], color=['gray', 'C0'] + ['C1'] * len(seeds) + ['C2'] * a.cpo)
        ax[i].set_yticks(range(len(rows)), names if i == 0 else [''] * len(rows), fontsize=7); ax[i].invert_yaxis()
        ax[i].set(xlabel=col, xlim=(min(r[col] for r in rows) * 0.9 if col == 'GLEU' else 0, None))
    fig.suptitle(f'JFLEG dev, {len(test)} held-out sentences'); fig.tight_layout(); fig.savefig('viz/prefs.png', dpi=110)

if __name__ == '__main__': main()
