"""Run notebooks as the tests do and save their outputs in place, so that readers see what each cell shows.

Cells flagged `slow`, `gpu` or `notest`, cells with `#| eval: false` and the `nbdev_export()` cell are
skipped (their saved outputs are kept), and so are cells flagged `browser` where no Chromium is on PATH.
Afterwards run `nbdev_clean`.

Figures are shown inline either way; a cell writes the figure README shows into viz/ only when the environment
variable SMOLBOOK_VIZ is set (`--viz` sets it), so that the tests never change tracked files.

    python tests/save_outputs.py                       # every numbered notebook and index.ipynb
    python tests/save_outputs.py nbs/02_rope.ipynb
    python tests/save_outputs.py --viz nbs/10_lora.ipynb                      # and viz/lora_vs_full.png
    python tests/save_outputs.py --viz --flags slow nbs/17_specialize.ipynb   # the slow cells too, and viz/specialize.png
"""
import argparse, os, re, sys
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
from fastcore.parallel import parallel
from nbdev.config import get_config
from run_nbs import has_browser

def directives(source: str) -> dict:
    "`#| flag` and `#| key: value` lines at the top of a cell."
    out = {}
    for line in source.splitlines():
        m = re.match(r'\s*#\|\s*([\w-]+:?)\s*(.*)', line)
        if not m: break
        out[m[1]] = m[2].strip()
    return out

def run(path: Path, skip: set) -> tuple[str, str]:
    "Execute `path` in its folder and write it back with outputs; returns (name, error or '')."
    nb = read_nb(path)
    def no_eval(cell):
        if cell.cell_type != 'code' or 'nbdev_export' + '(' in cell.source: return True
        d = directives(cell.source)
        return d.get('eval:', '').lower() == 'false' or bool(skip & d.keys())
    for cell in nb.cells:
        if not no_eval(cell): cell.outputs = []        # execnb keeps old outputs of a cell that now prints nothing
    shell, cwd = CaptureShell(path), os.getcwd()
    os.environ['IN_TEST'] = '1'
    try:
        os.chdir(path.parent); shell.run_all(nb, exc_stop=True, preproc=no_eval)
    except Exception as e: return path.name, f'{type(e).__name__}: {e}'
    finally: os.chdir(cwd)
    write_nb(nb, path)
    return path.name, ''

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('paths', nargs='*', help='notebooks (default: every numbered notebook and index.ipynb)')
    p.add_argument('--workers', type=int, default=2)
    p.add_argument('--flags', default='', help='also run the cells flagged with these (space-separated, e.g. "slow")')
    p.add_argument('--viz', action='store_true', help="set SMOLBOOK_VIZ: cells also write README's figures into viz/")
    a = p.parse_args()
    if a.viz: os.environ['SMOLBOOK_VIZ'] = '1'
    cfg = get_config()
    skip = set(cfg.tst_flags.split()) - set(a.flags.split())
    if 'browser' not in a.flags.split() and not has_browser():
        skip.add('browser'); print('no Chromium on PATH: cells flagged browser keep their saved outputs')
    files = [Path(f).absolute() for f in a.paths] or sorted(cfg.nbs_path.glob('[0-9]*.ipynb')) + [cfg.nbs_path / 'index.ipynb']
    sys.path[:0] = [str(cfg.config_path), str(Path(__file__).parent)]
    import save_outputs   # workers find `run` by module name: a notebook's shell replaces `__main__`
    res = parallel(save_outputs.run, files, skip=skip, n_workers=min(a.workers, len(files)), pause=0.01)
    for name, err in res: print(f"{'saved' if not err else 'FAILED'} {name} {err}")
    sys.exit(1 if any(err for _, err in res) else 0)

if __name__ == '__main__': main()
