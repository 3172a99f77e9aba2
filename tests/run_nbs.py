"""Run every notebook's tests (like `nbdev_test`) and end with a line `N passed, N failed`.

    python tests/run_nbs.py                 # all notebooks, skipping cells flagged slow/gpu
    python tests/run_nbs.py --flags slow    # also run the slow cells
    python tests/run_nbs.py nbs/02_rope.ipynb
"""
import argparse, sys, time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from nbdev.config import get_config
from nbdev.test import test_nb

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
    t0 = time.time()
    # each notebook in a fresh process: nothing one leaves behind (threads, memory, module state) slows the next
    with ProcessPoolExecutor(min(a.workers, len(files)), max_tasks_per_child=1) as pool:
        res = list(pool.map(partial(test_nb, skip_flags=skip, force_flags=force, basepath=cfg.config_path), files))
    for f, (ok, secs) in zip(files, res): print(f"{'PASS' if ok else 'FAIL'} {f.name} ({secs:.0f}s)")
    n_ok = sum(ok for ok, _ in res)
    print(f'total {time.time() - t0:.0f}s')
    print(f'{n_ok} passed, {len(files) - n_ok} failed')
    sys.exit(0 if n_ok == len(files) else 1)

if __name__ == '__main__': main()
