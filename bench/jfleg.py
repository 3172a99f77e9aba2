"""JFLEG, the data of the GEC benchmarks (gec.py, prefs.py, correct.py, dpo.py): where they look for it and how to get it.

    python bench/jfleg.py            # is JFLEG dev where the benchmarks look? (exit 0 if so, 2 if not)

JFLEG (Napoles et al. 2017, CC BY-NC-SA 4.0) holds learner sentences with four fluency corrections each:
754 in `dev` (dev.src, dev.ref0..3) and 747 in `test`. In the repository's root,

    git clone https://github.com/keisks/jfleg        # gives jfleg/dev and jfleg/test (the folder is git-ignored)

puts it where the benchmarks look by default (jfleg/dev); `--jfleg PATH` reads another copy. It is also on the
Hugging Face hub as `jhu-clsp/jfleg`. The benchmarks split JFLEG *dev* themselves (a held-out third, and a
validation part of the rest); JFLEG's *test* split is kept for independent evaluation: nothing here trains,
tunes or chooses settings on it.
"""
import argparse, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / 'jfleg' / 'dev'
GET = (f"JFLEG (Napoles et al. 2017, CC BY-NC-SA 4.0) is at https://github.com/keisks/jfleg: "
       f"`git clone https://github.com/keisks/jfleg` in {ROOT} gives jfleg/dev (also on the hub as jhu-clsp/jfleg); "
       f"or pass --jfleg PATH")

def add_argument(p: argparse.ArgumentParser):
    "The `--jfleg` option, with its default and where to get the data in its help."
    p.add_argument('--jfleg', default=str(DEFAULT),
                   help=f'JFLEG dev folder (dev.src, dev.ref0..3; default: jfleg/dev in the repository, from '
                        f'`git clone https://github.com/keisks/jfleg` there). Never its test split')

def problem(path) -> str | None:
    "What is wrong with `path` as JFLEG dev, or None."
    path = Path(path)
    if (path / 'test.src').exists() or path.name == 'test.src':
        return f"{path} is JFLEG's test split, kept for independent evaluation (the benchmarks use dev only)"
    if not path.exists(): return f"nothing at {path}"
    if path.is_dir() and not any(path.glob('*.src')): return f"{path} holds no *.src file"
    return None

def require(path, script: str) -> Path:
    "`path` if it holds JFLEG dev; else one line on stderr saying what `script` needs and where to get it, and exit status 2."
    if (why := problem(path)) is None: return Path(path)
    print(f"{script} needs JFLEG dev (dev.src, dev.ref0..3): {why}. {GET}.", file=sys.stderr)
    sys.exit(2)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_argument(p)
    a = p.parse_args()
    print(f"JFLEG dev found at {require(a.jfleg, 'bench/jfleg.py')}")
