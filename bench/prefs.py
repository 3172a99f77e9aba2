"""JFLEG preference benchmark: SFT, then SFT+DPO and SFT+CPO on pairs of the SFT model's own samples, scored on held-out sentences.

    python bench/prefs.py [--jfleg jfleg/dev] [--out runs/prefs]

Data: JFLEG dev, by default in jfleg/dev of the repository (`git clone https://github.com/keisks/jfleg` there;
`python bench/jfleg.py` says more). JFLEG's test split is never used: not to train, tune or choose.

Splits JFLEG dev as bench/gec.py does (a third held out, split seed 0) and the training part again (15% for
validation). `smolbook sft` on the rest of the training part; `smolbook pairs` from the SFT model's samples of
those same sentences at each set of temperatures; the temperatures and DPO's learning rate chosen by GLEU on the
validation sentences; then DPO at two seeds and CPO at one, every system scored once on the held-out part. Writes bench/results/prefs.md
and viz/prefs.png.
"""
import argparse, json, platform, shutil, subprocess, sys, time
from pathlib import Path
import torch
from gec import write_jfleg
import jfleg
from smolbook.data import split_docs
from smolbook.gec import read_jfleg
from smolbook.gec_eval import gec_report, report_table

ROOT = Path(__file__).resolve().parents[1]

def sh(cmd: str) -> float:
    "Run a shell command (failing on failure); the seconds it took."
    print('$', cmd, flush=True)
    t0 = time.perf_counter()
    subprocess.run(cmd, shell=True, check=True)
    return time.perf_counter() - t0

def correct(model: Path, src: Path, out: Path) -> float:
    return sh(f'smolbook correct --model {model} < {src} > {out}')

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    jfleg.add_argument(p)
    p.add_argument('--out', default='runs/prefs')
    p.add_argument('--lrs', default='5e-6,2e-5', help='DPO learning rates to choose from on the validation sentences')
    p.add_argument('--temperatures', default='1.0,0.5;0.5', help="sampling temperatures of the pairs to choose from, sets split by ';'")
    p.add_argument('--seeds', default='0,1', help='DPO seeds (CPO runs at the first)')
    p.add_argument('--samples', type=int, default=4, help='samples per sentence for the pairs, split over the temperatures')
    p.add_argument('--epochs', type=float, default=0.5, help='passes over the pairs in each preference run')
    p.add_argument('--cpo', action='store_true', help='also train CPO (at the first seed and the chosen pairs and learning rate)')
    a = p.parse_args()
    jfleg.require(a.jfleg, 'bench/prefs.py')
    out, seeds = Path(a.out), [int(s) for s in a.seeds.split(',')]
    train, test = split_docs(read_jfleg(a.jfleg), 1 / 3, 0, key=lambda e: e.src)       # bench/gec.py's split
    fit, val = split_docs(train, 0.15, 0, key=lambda e: e.src)
    for name, part in (('fit', fit), ('val', val), ('test', test)): write_jfleg(part, out / name)
    refs = lambda part: [[l for l in (out / part / f'dev.ref{k}').read_text().splitlines()] for k in range(4)]
    src = lambda part: (out / part / 'dev.src').read_text().splitlines()
    times = {}
    if not (out / 'sft' / 'model.safetensors').exists():
        times['sft'] = sh(f'smolbook sft --data {out}/fit --out {out}/sft --seed 0')

    def pairs(temps: str) -> Path:                                # the SFT model's samples at `temps`, ranked
        f = out / f"pairs-t{temps.replace(',', '-')}.jsonl"
        n = a.samples // len(temps.split(','))
        if not f.exists(): times[f.stem] = sh(f'smolbook pairs --data {out}/fit --model {out}/sft --out {f} --temperatures {temps} --samples {n} --seed 0')
        return f

    def run(method: str, temps: str, lr: float, seed: int) -> Path:
        f = pairs(temps)
        d = out / f'{method}-{f.stem}-lr{lr:g}-seed{seed}-ep{a.epochs:g}'
        cache = next(out.glob(f'dpo-{f.stem}-*/ref_logps.safetensors'), None)
        if method == 'dpo' and cache and not (d / cache.name).exists():              # same model, pairs, precision
            d.mkdir(parents=True, exist_ok=True); shutil.copy(cache, d / cache.name)
        if not (d / 'model.safetensors').exists():
            times[d.name] = sh(f'smolbook {method} --pairs {f} --model {out}/sft --out {d} --lr {lr:g} --seed {seed} '
                               f'--val-frac 0 --epochs {a.epochs:g}')
        return d

    def val_gleu(d: Path, name: str) -> float:
        f = d / 'val.txt' if d.is_dir() else d
        if not f.exists(): correct(d, out / 'val/dev.src', f)
        return gec_report(src('val'), refs('val'), {name: f.read_text().splitlines()}, errant=False)[1]['GLEU']

    base = val_gleu(out / 'sft', 'SFT')
    choice = {(t, lr): val_gleu(run('dpo', t, lr, seeds[0]), 'DPO')             # validation GLEU per setting
              for t in a.temperatures.split(';') for lr in map(float, a.lrs.split(','))}
    (t_best, best) = max(choice, key=choice.get)
    n_pairs = sum(1 for l in pairs(t_best).read_text().splitlines() if l.strip())
    tag = f'pairs at T {t_best}, lr {best:g}'
    systems = {'SmolLM2-135M-Instruct + SFT': out / 'sft'}
    for s in seeds: systems[f'SFT + DPO ({tag}, seed {s})'] = run('dpo', t_best, best, s)
    if a.cpo: systems[f'SFT + CPO ({tag}, seed {seeds[0]})'] = run('cpo', t_best, best, seeds[0])
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
    md = [f'# Preference optimisation on JFLEG: {len(fit)} sentences to fine-tune and sample pairs from ({n_pairs} chosen pairs), '
          f'{len(val)} to choose settings, {len(test)} held out\n',
          f'CPU capability {cpu}; `python bench/prefs.py` (split seed 0, the split of bench/gec.py).\n',
          '## Held-out sentences\n', report_table(rows), '',
          f'DPO, mean ± half the range over seeds {seeds}: GLEU {spread("DPO", "GLEU")}, ERRANT F0.5 {spread("DPO", "ERRANT F0.5")}. ' +
          (f'CPO ran at one seed, at the learning rate chosen for DPO. ' if a.cpo else '') + f'{a.epochs:g} epoch(s) of pairs per run.\n',
          '## Choosing the pairs and the learning rate (validation sentences, GLEU; DPO seed 0)\n',
          '| pairs sampled at T | learning rate | GLEU |\n|---|---:|---:|', f'| SFT alone | | {base:.3f} |',
          *[f'| {t} | {lr:g} | {g:.3f} |' for (t, lr), g in choice.items()], '',
          '| step | seconds |\n|---|---:|', *[f'| {k} | {v:.0f} |' for k, v in times.items()]]
    (ROOT / 'bench' / 'results' / 'prefs.md').write_text('\n'.join(md) + '\n')
    json.dump(rows, open(out / 'scores.json', 'w'), indent=1)
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.4))
    for i, col in enumerate(('GLEU', 'ERRANT F0.5')):
        names = [r['system'].replace(' (pairs', '\n(pairs') for r in rows]
        ax[i].barh(range(len(rows)), [r[col] for r in rows], color=['gray', 'C0'] + ['C1'] * len(seeds) + ['C2'] * a.cpo)
        ax[i].set_yticks(range(len(rows)), names if i == 0 else [''] * len(rows), fontsize=7); ax[i].invert_yaxis()
        ax[i].set(xlabel=col, xlim=(min(r[col] for r in rows) * 0.9 if col == 'GLEU' else 0, None))
    fig.suptitle(f'JFLEG dev, {len(test)} held-out sentences'); fig.tight_layout(); fig.savefig(ROOT / 'viz' / 'prefs.png', dpi=110)

if __name__ == '__main__': main()
