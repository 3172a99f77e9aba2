"""JFLEG benchmark: smolbook's fine-tuning recipe, its settings chosen on a validation split, against TRL's on held-out sentences.

    python bench/gec.py --trl [--seeds 0 1] [--jfleg jfleg/dev] [--out runs/gec]

Data: JFLEG dev, by default in jfleg/dev of the repository (`git clone https://github.com/keisks/jfleg` there;
`python bench/jfleg.py` says more). JFLEG's test split is never used: not to train, tune or choose.

JFLEG dev is split by source sentence (split seed 0): a third is held out, the rest is the training part.
1. choose (`--stage choose`): the training part is split again, a fifth of its sources for validation. Settings
   are chosen one after another by validation GLEU: learning rate x epochs, then batch, then synthetic pairs
   (the training corrections corrupted with the learners' ERRANT profile of the training part, 13a_synth),
   then beams and rounds of iterative correction. Every option of a group is run afresh within it: the decoding options
   (beams, rounds) are all decoded from one trained model.
2. held out (`--stage test`): for each seed, fine-tune on the whole training part with `smolbook sft`'s defaults,
   and with each change added in turn (the ablation); TRL's recipe (`bench/trl_sft.py`) with --trl. Each
   configuration corrects the held-out part once. Training and correction wall times are measured in the
   same run, on the same machine.
3. report (`--stage report`): GLEU, BLEU and ERRANT F0.5 (needs smolbook[errant]) with the copy baseline,
   mean and spread over the seeds, to bench/results/gec.md (OUT/gec.md with --quick). OUT/results.json holds every output.
"""
import argparse, json, platform, subprocess, sys, time
from itertools import product
from pathlib import Path
import numpy as np
import torch
from smolbook.data import split_docs
from smolbook.gec import GECExample, GECFormat, read_jfleg, correct
from smolbook.gec_eval import gleu, gec_report, report_table, COPY
from smolbook.generate import load_model
from smolbook.model import SmolLM
from smolbook.sft import SFT_DEFAULTS, sft
from smolbook.synth import error_profile, synthetic_pairs
from smolbook.train import default_device, seed_everything
import jfleg

OLD = dict(lr=1e-4, epochs=1.0, batch_size=4, synthetic=0, beams=1, rounds=1)   # smolbook sft / correct defaults before this benchmark
TRAINING = ('lr', 'epochs', 'batch_size', 'synthetic')   # the settings that need a model trained for them
GRID = dict(lr=(1e-4, 2e-4, 4e-4), epochs=(1.0, 2.0), batch_size=(4, 8), synthetic=(0, 1), beams=(1, 4), rounds=(1, 2))

def write_jfleg(examples, folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / 'dev.src').write_text(''.join(e.src + '\n' for e in examples))
    for k in range(len(examples[0].refs)):
        (folder / f'dev.ref{k}').write_text(''.join(e.refs[k] + '\n' for e in examples))

def sync() -> float:
    if torch.cuda.is_available(): torch.cuda.synchronize()
    return time.perf_counter()

class Bench:
    def __init__(self, a):
        self.a, self.out = a, Path(a.out)
        self.path = self.out / 'results.json'
        try: saved = json.loads(self.path.read_text()) if self.path.exists() else {}
        except ValueError as e: raise ValueError(f"{self.path}: not a results file of this benchmark ({e})") from None
        self.res = {'val': {}, 'test': {}, 'times': {}, **saved}
        train, self.test = split_docs(read_jfleg(a.jfleg), 1 / 3, 0, key=lambda e: e.src)
        self.train = train
        self.fit, self.val = split_docs(train, 0.2, 0, key=lambda e: e.src)
        if a.quick: self.train, self.fit, self.val, self.test = train[:24], self.fit[:16], self.val[:6], self.test[:6]

    @property
    def base(self) -> Path:
        "The packaged weights as a transformers Llama folder (TRL's start too), written on first use."
        base = self.out / 'base'
        if not (base / 'model.safetensors').exists():
            model, tok, _ = load_model(None)
            model.save_pretrained(base, tokenizer=tok)
        return base

    def save(self):
        self.path.write_text(json.dumps(self.res, indent=1))
        if self.a.copy_to: Path(self.a.copy_to).mkdir(parents=True, exist_ok=True); (Path(self.a.copy_to) / 'results.json').write_text(self.path.read_text())

    def profile(self, examples) -> dict:
        "The learners' ERRANT profile of `examples` (cached in results.json: ERRANT is optional where training runs)."
        key = f'profile/{len(examples)}'
        if key not in self.res:
            self.res[key] = error_profile([(e.src, r) for e in examples for r in e.refs]); self.save()
        return self.res[key]

    def finetune(self, examples, s: dict, seed: int):
        "The packaged model fine-tuned on `examples` (+ synthetic pairs) with settings `s`; and the seconds it took."
        model, tok, _ = load_model(str(self.base))
        model.to(default_device())
        fmt = GECFormat(tok)
        seed_everything(seed)
        t0 = sync()
        data = list(examples)
        if s['synthetic']: data += synthetic_pairs([r for e in examples for r in e.refs], self.profile(examples), s['synthetic'], seed)
        sft(model, fmt.pairs(data), epochs=s['epochs'], lr=s['lr'], batch_size=s['batch_size'], seed=seed, progress=False)
        return model.eval(), fmt, sync() - t0

    def decode(self, model, fmt, examples, s: dict) -> tuple[list[str], float]:
        t0 = sync()
        hyps = correct(model, fmt, [e.src for e in examples], batch_size=self.a.batch, num_beams=s['beams'], rounds=s['rounds'],
                       max_new_tokens=4 if self.a.quick else None, progress=False)
        return hyps, sync() - t0

    def score(self, examples, hyps) -> float: return gleu([e.src for e in examples], hyps, list(zip(*[e.refs for e in examples])))

    def choose(self):
        """Settings picked one group at a time by validation GLEU (seed 0). Every option of a group is run afresh within it, so the
        options that differ only in decoding (beams, rounds) are all decoded from one trained model."""
        self.res['device'] = (f"{torch.cuda.get_device_name()}, " if torch.cuda.is_available() else f"CPU {torch.backends.cpu.get_cpu_capability()}, {torch.get_num_threads()} threads, ") + \
            f"torch {torch.__version__}, {platform.machine()}"
        best, trained = dict(OLD), {}
        def run(s, group):
            name = f"{' x '.join(group)} | {json.dumps(s)}"
            if name not in self.res['val']:                              # a cached score is not trained again
                key = json.dumps({k: s[k] for k in TRAINING})
                if key not in trained:
                    trained.clear()                                       # one model in memory at a time
                    trained[key] = self.finetune(self.fit, s, 0)
                model, fmt, sec = trained[key]
                hyps, dsec = self.decode(model, fmt, self.val, s)
                self.res['val'][name] = dict(group=group, settings=s, GLEU=self.score(self.val, hyps), train_s=sec, correct_s=dsec, hyps=hyps)
                self.save()
            r = self.res['val'][name]
            print(f"val GLEU {r['GLEU']:.4f}  {name}  train {r['train_s']:.0f}s", flush=True)
            return r['GLEU']
        for group in (('lr', 'epochs'), ('batch_size',), ('synthetic',), ('beams', 'rounds')):
            options = [dict(zip(group, v)) for v in product(*[GRID[g] for g in group])]
            scored = [(run({**best, **o}, group), o) for o in options]
            best.update(max(scored, key=lambda t: t[0])[1])
            print('chosen so far:', best, flush=True)
        self.res['chosen'] = best; self.save()
        return self.res['chosen']

    def test_runs(self, chosen: dict):
        "The ablation on the held-out part: each change added in turn, every seed; TRL's recipe with --trl."
        steps = [('smolbook sft defaults (lr 1e-4, 1 epoch, batch 4)', OLD)]
        s = dict(OLD)
        for group, label in ((('lr', 'epochs', 'batch_size'), 'lr, epochs, batch chosen on validation'),
                             (('synthetic',), 'synthetic pairs'), (('beams',), 'beam search'), (('rounds',), 'iterative correction')):
            s = {**s, **{k: chosen[k] for k in group}}
            steps.append((f'+ {label}: ' + ', '.join(f'{k} {chosen[k]}' for k in group), s))
        for seed in self.a.seeds:
            trained = None
            for name, s in steps:
                key = f'{name} | seed {seed}'
                if key in self.res['test']: continue
                tkey = json.dumps({k: s[k] for k in TRAINING})
                if trained is None or trained[0] != tkey: trained = (tkey, *self.finetune(self.train, s, seed))
                _, model, fmt, sec = trained
                hyps, dsec = self.decode(model, fmt, self.test, s)
                self.res['test'][key] = dict(system=name, seed=seed, settings=s, train_s=sec, correct_s=dsec, hyps=hyps)
                print(f"{key}: held-out GLEU {self.score(self.test, hyps):.4f}, train {sec:.0f}s, correct {dsec:.0f}s", flush=True)
                self.save()
            trained = None
            if self.a.trl: self.trl_run(seed)

    def trl_run(self, seed: int):
        key = f'TRL SFTTrainer recipe | seed {seed}'
        if key in self.res['test']: return
        d = self.out / 'data-train'; write_jfleg(self.train, d)
        out = self.out / f'trl-{seed}'
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, str(Path(__file__).parent / 'trl_sft.py'), '--data', str(d), '--model', str(self.base),
                            '--out', str(out), '--seed', str(seed)], capture_output=True, text=True)
        if r.returncode: raise RuntimeError(f"bench/trl_sft.py failed ({r.returncode}):\n{r.stderr[-3000:]}")
        info = json.loads(r.stdout.strip().splitlines()[-1])
        model, tok, _ = load_model(str(out)); model.to(default_device()).eval()
        hyps, dsec = self.decode(model, GECFormat(tok), self.test, OLD)
        self.res['test'][key] = dict(system='TRL SFTTrainer recipe (lr 5e-5, batch 16, cosine, 1 epoch)', seed=seed, settings=OLD,
                                     train_s=info['seconds'], process_s=time.perf_counter() - t0, correct_s=dsec, hyps=hyps, trl=info)
        print(f"{key}: held-out GLEU {self.score(self.test, hyps):.4f}, train {info['seconds']:.0f}s", flush=True)
        self.save()

    def report(self):
        src, refs = [e.src for e in self.test], list(zip(*[e.refs for e in self.test]))
        runs = self.res['test']
        systems = {}
        last = {}
        for r in runs.values():                                  # an ablation step that changed nothing (validation kept the earlier value) is left out
            if r['settings'] == last.get(r['seed']) and not r['system'].startswith('TRL'): continue
            if not r['system'].startswith('TRL'): last[r['seed']] = r['settings']
            systems.setdefault(r['system'], []).append(r)
        rows = gec_report(src, refs, {f"{n} | seed {r['seed']}": r['hyps'] for n, rs in systems.items() for r in rs})
        by = {r['system']: r for r in rows}
        cols = [c for c in ('GLEU', 'BLEU', 'ERRANT P', 'ERRANT R', 'ERRANT F0.5', 'copy rate') if c in rows[0]]
        def agg(name, rs):
            vals = {c: [by[f"{name} | seed {r['seed']}"][c] for r in rs] for c in cols}
            cell = lambda v: f"{np.mean(v):.3f} ± {np.std(v):.3f}" if len(v) > 1 else f"{v[0]:.3f}"
            t = lambda k: f"{np.mean([r[k] for r in rs]):.0f}"
            return f"| {name} | " + ' | '.join(cell(vals[c]) for c in cols) + f" | {t('train_s')} | {t('correct_s')} |"
        copy = by[COPY]
        head = ['| system | ' + ' | '.join(cols) + ' | train s | correct s |', '|---|' + '---:|' * (len(cols) + 2),
                '| copy source | ' + ' | '.join(f"{copy[c]:.3f}" for c in cols) + ' | | |']
        table = '\n'.join(head + [agg(n, rs) for n, rs in systems.items()])
        val = '\n'.join(['| group | settings | validation GLEU | train s |', '|---|---|---:|---:|'] +
                        [f"| {' x '.join(r['group'])} | {', '.join(f'{k} {v}' for k, v in r['settings'].items())} | {r['GLEU']:.4f} | {r['train_s']:.0f} |"
                         for r in self.res['val'].values()])
        return table, val, rows

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    jfleg.add_argument(p)
    p.add_argument('--out', default='runs/gec', help='folder of results.json (every output) and the models (default runs/gec)')
    p.add_argument('--trl', action='store_true', help="also train TRL's SFTTrainer recipe (needs trl)")
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1], help='training seeds of the held-out runs (default 0 1)')
    p.add_argument('--stage', choices=('all', 'profile', 'choose', 'test', 'report'), default='all',
                   help='all (default): every stage in turn; profile: only the ERRANT profiles (cached in OUT/results.json, for training '
                        'where ERRANT is not installed); choose: the validation runs; test: the held-out runs; report: the tables from OUT/results.json')
    p.add_argument('--batch', type=int, default=64, help='sentences decoded together')
    p.add_argument('--quick', action='store_true', help='a few sentences and tokens: checks the script, measures nothing')
    p.add_argument('--copy-to', help='also write results.json here after every step')
    a = p.parse_args()
    jfleg.require(a.jfleg, 'bench/gec.py')
    try: b = Bench(a)
    except (ValueError, OSError) as e: p.error(str(e))
    if a.stage in ('all', 'profile'): b.profile(b.fit); b.profile(b.train)   # ERRANT, before any training
    if a.stage in ('all', 'choose', 'test'):
        chosen = b.res.get('chosen') or b.choose()
        if a.stage != 'choose': b.test_runs(chosen)
    if a.stage in ('all', 'report'):
        if not b.res['test'] or 'chosen' not in b.res: p.error(f"{b.path} holds no held-out runs yet: run --stage test (or all) first")
        table, val, rows = b.report()
        md = [f'# GEC benchmark: JFLEG dev, {len(b.train)} sentences to fine-tune, {len(b.test)} held out\n',
              f"`python bench/gec.py --trl` (split seed 0; seeds {a.seeds}). Training and correction on {b.res.get('device')}; scores computed afterwards (ERRANT).\n",
              '## Held-out part (mean ± standard deviation over seeds, with 2 seeds half their difference; each change adds to the line above)\n', table,
              f"\n## Validation: settings chosen one group at a time ({len(b.fit)} sentences to fine-tune, {len(b.val)} to validate, seed 0)\n",
              val, f"\nChosen: {b.res['chosen']}\n"]
        (b.out / 'gec.md' if a.quick else Path(__file__).parent / 'results' / 'gec.md').write_text('\n'.join(md) + '\n')
        print('\n'.join(md))

if __name__ == '__main__': main()
