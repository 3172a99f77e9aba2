"""Run every notebook's tests (like `nbdev_test`) and end with a line `N passed, N failed`.

    python tests/run_nbs.py                 # all notebooks, skipping cells flagged slow/gpu
    python tests/run_nbs.py --flags slow    # also run the slow cells
    python tests/run_nbs.py nbs/02_rope.ipynb

Cells flagged `#| browser` drive a real browser (Debian's `chromium`, looked up on PATH as `chromium` or
`chromium-browser`). Without one they are skipped, and the closing line says so, e.g.
`27 passed, 0 failed, 1 test skipped: 19_app's browser test (no Chromium on PATH)`. CI installs Chromium
and fails on any skip. Tests write no figures into viz/ unless SMOLBOOK_VIZ is set (see tests/save_outputs.py).
"""
import argparse, json, re, shutil, sys, time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from nbdev.config import get_config
from nbdev.test import test_nb

def has_browser() -> bool:
    "Whether a Chromium the browser cells can drive is on PATH (the lookup of 19_app's `chromium_path`)."
    return bool(shutil.which('chromium') or shutil.which('chromium-browser'))

def flagged(nb: Path, flag: str) -> bool:
    "Whether a code cell of `nb` carries the directive `#| flag`."
    for cell in json.loads(nb.read_text())['cells']:
        if cell['cell_type'] != 'code': continue
        for line in ''.join(cell['source']).splitlines():
            m = re.match(r'\s*#\|\s*([\w-]+)', line)
            if not m: break
            if m[1] == flag: return True
    return False

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('paths', nargs='*', help='notebooks to test (default: every numbered notebook and index.ipynb)')
    p.add_argument('--flags', default='', help='space-separated flags of cells to run that are normally skipped')
    p.add_argument('--workers', type=int, default=2)
    a = p.parse_args()
    cfg = get_config()
    files = [Path(f).absolute() for f in a.paths] or sorted(cfg.nbs_path.glob('[0-9]*.ipynb')) + [cfg.nbs_path / 'index.ipynb']
    missing = [str(f) for f in files if not f.exists()]
    if missing: sys.exit(f'no such notebook: {missing}')
    if not files: sys.exit('no notebooks found to test')
    skip, force = cfg.tst_flags.split(), a.flags.split()
    not_run = []                                                   # (what, why) for tests skipped on this machine only
    if 'browser' not in force and not has_browser():
        skip.append('browser')
        not_run += [(f"{f.stem}'s browser test", 'no Chromium on PATH') for f in files if flagged(f, 'browser')]
    t0 = time.time()
    # each notebook in a fresh process: nothing one leaves behind (threads, memory, module state) slows the next
    with ProcessPoolExecutor(min(a.workers, len(files)), max_tasks_per_child=1) as pool:
        res = list(pool.map(partial(test_nb, skip_flags=skip, force_flags=force, basepath=cfg.config_path), files))
    for f, (ok, secs) in zip(files, res): print(f"{'PASS' if ok else 'FAIL'} {f.name} ({secs:.0f}s)")
    n_ok = sum(ok for ok, _ in res)
    print(f'total {time.time() - t0:.0f}s')
    line = f'{n_ok} passed, {len(files) - n_ok} failed'
    if not_run:
        by_why = {}
        for what, why in not_run: by_why.setdefault(why, []).append(what)
        what = '; '.join(f"{', '.join(ws)} ({why})" for why, ws in by_why.items())
        line += f", {len(not_run)} test{'s' if len(not_run) > 1 else ''} skipped: {what}"
    print(line)
    sys.exit(0 if n_ok == len(files) else 1)

if __name__ == '__main__': main()
