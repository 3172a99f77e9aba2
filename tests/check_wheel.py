"""Check an installed smolbook wheel from outside the repository: every module imports and every
`smolbook` subcommand's --help works, without nbdev, fastcore's test module or the notebooks.

    python tests/check_wheel.py        # run with the fresh environment's python, from any folder
"""
import importlib, importlib.util, pkgutil, subprocess, sys, tempfile
from pathlib import Path

def main():
    import smolbook
    root = Path(smolbook.__file__).parent
    assert 'site-packages' in str(root), f"smolbook was imported from {root}, not from an installed wheel"
    assert importlib.util.find_spec('nbdev') is None, "nbdev is installed: this check needs an environment without it"
    names = [m.name for m in pkgutil.iter_modules([str(root)], 'smolbook.')]
    for name in names: importlib.import_module(name)
    assert not any(m.split('.')[0] in ('nbdev', 'execnb') or m.startswith('fastcore.test') for m in sys.modules), "a dev-only module was imported"
    from smolbook.cli import parser
    commands = sorted(parser()._subparsers._group_actions[0].choices)
    cli = Path(sys.executable).parent / 'smolbook'
    with tempfile.TemporaryDirectory() as d:                 # not the repository: the installed files only
        for cmd in [[], *[[c] for c in commands]]:
            r = subprocess.run([str(cli), *cmd, '--help'], capture_output=True, text=True, cwd=d)
            assert r.returncode == 0 and 'usage: smolbook' in r.stdout, f"smolbook {' '.join(cmd)} --help failed: {r.stderr[-500:]}"
        v = subprocess.run([str(cli), '--version'], capture_output=True, text=True, cwd=d).stdout.strip()
    print(f"wheel ok: {v}, {len(names)} modules imported, --help of {len(commands)} subcommands: {' '.join(commands)}")

if __name__ == '__main__': main()
