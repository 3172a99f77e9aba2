"""Every command README.md shows, and how CI exercises it.

    python tests/readme_commands.py           # check COMMANDS against README.md, then run the `run` and `help` commands
    python tests/readme_commands.py --list    # each command with its kind; runs nothing

README's ```sh blocks are read line by line (a trailing `# comment` dropped, lines ending in `\\` joined) and each
line is split at `&&`; `git clone ...` and `cd ...` (the reader's own checkout) are left out. Every command must
have an entry in COMMANDS, and every entry must still be in README. The kinds:

    run           run as is (through bash, in a temporary copy of the repository, with a time limit)
    help          run with --help appended and redirections dropped (for long jobs); each --flag it uses must be in the help
    test: WHAT    covered by a notebook's test with smaller settings; WHAT starts with the notebook, which must exist
    ci: WHAT      a step of .ci/run itself (installing, export/clean/README checks, the test command)

A `smolbook ...` command of kind `test` also has its --flags checked against its --help, as `help` does.
Exit status 1, naming the README line, when README holds a command the table does not know, the table holds one
README no longer has, or a command fails.
"""
import argparse, re, shlex, shutil, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 300                    # seconds a `run` command may take
CLI_TEST = 'test: nbs/90_cli.ipynb'

COMMANDS = {
    # installing
    'pip install torch==2.13.0 -e .': 'ci: .ci/run installs torch==2.13.0 first, then the package editable (with the dev extra)',
    'pip install torch==2.13.0 -e ".[dev]"': 'ci: .ci/run installs torch==2.13.0 first, then the package editable with the dev extra',
    'pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu': 'run',   # where torch 2.13.0 is installed: no download
    'python -m build': 'run',
    # first use
    'smolbook generate "Write a haiku about the sea."': 'run',
    'python tests/run_nbs.py': "ci: the test command: .ci/run runs README's line that holds it and checks its closing line",
    # your own data
    'smolbook sft --data people.jsonl --out runs/people --lora 8 --epochs 3 --batch-size 1 --lr 1e-3 --val-frac 0.1 --eval-every 4 --sample-prompts held_out.txt':
        'test: nbs/13b_formats.ipynb: the same command on thirty chats written there; its answers, curves, and the adapter loaded by smolbook and PEFT',
    'smolbook generate "Noor is 41 and lives in Lagos." --model runs/people':
        'test: nbs/13b_formats.ipynb: `smolbook generate` with that adapter folder as --model answers with the record',
    # training and GEC
    'smolbook pretrain --out runs/mini': f'{CLI_TEST}: `smolbook pretrain` of the tiny preset, 12 steps; its log, samples and checkpoint',
    'smolbook sft --data sample --out runs/gec-sample --epochs 5 --warmup 1': 'run',          # the real 135M model on the packaged sentences, offline
    'echo "She go to school every days." | smolbook correct --model runs/gec-sample': 'run',
    'smolbook sft --data jfleg/dev --out runs/gec-model': f'{CLI_TEST}: `smolbook sft` of a tiny model on the packaged GEC sample (JFLEG folders: nbs/11_gec.ipynb)',
    'smolbook correct --model runs/gec-model < jfleg/test/test.src > corrections.txt':
        f'{CLI_TEST}: `smolbook correct` streams stdin to stdout (greedy, beams, rounds, chunks) and equals the library',
    'smolbook eval --src jfleg/test/test.src --refs jfleg/test/test.ref0 jfleg/test/test.ref1 jfleg/test/test.ref2 jfleg/test/test.ref3 --hyp corrections.txt':
        f'{CLI_TEST}: `smolbook eval` on small source, reference and hypothesis files',
    'smolbook pairs --data jfleg/dev --model runs/gec-model --out runs/pairs.jsonl':
        f'{CLI_TEST}: `smolbook pairs` from the tiny sft model\'s samples',
    'smolbook dpo --pairs runs/pairs.jsonl --model runs/gec-model --out runs/gec-dpo':
        f'{CLI_TEST}: `smolbook dpo`, `cpo` and `orpo` on those pairs',
    'smolbook correct --model runs/gec-dpo < jfleg/test/test.src': f'{CLI_TEST}: `smolbook correct` with the model `smolbook dpo` wrote',
    # mixture of experts
    'smolbook upcycle --model runs/mini --out runs/mini-moe --num-local-experts 4 --num-experts-per-tok 2':
        f'{CLI_TEST}: `smolbook upcycle` of the tiny pretrained model to 4 experts, top-2',
    'smolbook pretrain --model runs/mini-moe --out runs/mini-moe-cpt --steps 400':
        f'{CLI_TEST}: `smolbook pretrain --model` continues the upcycled model, with its routing plot',
    # export
    'smolbook export --model runs/gec-model --out runs/gec-fp16 --dtype fp16': f'{CLI_TEST}: `smolbook export --out` (half precision)',
    'smolbook export --model runs/gec-model --gguf gec.gguf --type q8_0': f'{CLI_TEST}: `smolbook export --gguf --type q8_0`',
    'llama-cli -m gec.gguf -cnv -p "Fix grammar: She go to school every days."':
        'test: nbs/18_export.ipynb: llama.cpp (through llama-cpp-python) reads the GGUF file and decodes the same greedy tokens',
    # developing
    'nbdev_export': 'ci: .ci/run runs it and fails on any change',
    'nbdev_clean': 'ci: .ci/run runs it and fails on any change',
    'python tests/make_readme.py': 'ci: .ci/run runs it with --check',
}
LEFT_OUT = ('git clone ', 'cd ')

def strip_comment(line: str) -> str:
    "`line` without a trailing `# comment` (a # outside quotes, after white space)."
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote: quote = None
        elif ch in '\'"': quote = ch
        elif ch == '#' and (i == 0 or line[i - 1].isspace()): return line[:i].rstrip()
    return line.rstrip()

def split_and(line: str) -> list[str]:
    "`line` split at `&&` outside quotes."
    parts, quote, start = [], None, 0
    for i, ch in enumerate(line):
        if quote:
            if ch == quote: quote = None
        elif ch in '\'"': quote = ch
        elif line.startswith('&&', i) and (i == 0 or line[i - 1] != '&'):
            parts.append(line[start:i]); start = i + 2
    return [p.strip() for p in parts + [line[start:]] if p.strip()]

def readme_commands(text: str) -> list[tuple[int, str, str]]:
    "(line number, line, command) for every command in the ```sh blocks of `text`."
    out, in_sh, pending, first = [], False, '', 0
    for n, raw in enumerate(text.splitlines(), 1):
        if raw.strip().startswith('```'):
            in_sh = not in_sh and raw.strip() in ('```sh', '```bash', '```shell')
            continue
        if not in_sh: continue
        line = strip_comment(raw)
        if not pending: first = n
        if line.endswith('\\'): pending += line[:-1] + ' '; continue
        line, pending = (pending + line).strip(), ''
        for cmd in split_and(line):
            if not cmd.startswith(LEFT_OUT): out.append((first, line, cmd))
    return out

def flags_missing(tokens: list[str], help_text: str) -> list[str]:
    "The --flags of `tokens` that `help_text` does not name."
    flags = [t.split('=')[0] for t in tokens if t.startswith('--') and len(t) > 2]
    return [f for f in flags if not re.search(rf'(?<![\w-]){re.escape(f)}(?![\w-])', help_text)]

def help_argv(cmd: str) -> list[str]:
    "`cmd` as argv without its redirections, with --help appended."
    toks, argv, skip = shlex.split(cmd), [], False
    for t in toks:
        if skip: skip = False; continue
        if t in ('<', '>', '>>', '2>', '2>&1', '|'):
            if t == '|': break
            skip = t != '2>&1'; continue
        if t[0] in '<>': continue
        argv.append(t)
    return argv + ['--help']

def check_help(cmd: str, cwd: Path) -> str:
    "'' if `cmd --help` works and names every flag `cmd` uses; else what is wrong."
    argv = help_argv(cmd)
    if shutil.which(argv[0]) is None: return f'{argv[0]}: not on PATH'
    r = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=120)
    if r.returncode or 'usage:' not in r.stdout: return f"`{' '.join(argv)}` exited {r.returncode}: {(r.stderr or r.stdout)[-800:]}"
    missing = flags_missing(argv[:-1], r.stdout)
    return f"{', '.join(missing)} not in `{' '.join(argv)}`" if missing else ''

def copy_repo(dest: Path):
    "The repository's files (tracked, and new ones git does not ignore) copied into `dest`."
    files = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard', '-z'], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for f in filter(None, files.split('\0')):
        src = ROOT / f
        if src.is_file(): (dest / f).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(src, dest / f)

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--list', action='store_true', help='print each command with its kind and run nothing')
    p.add_argument('--readme', default=str(ROOT / 'README.md'), help='the README to read (default: README.md of the repository)')
    a = p.parse_args()
    found, name = readme_commands(Path(a.readme).read_text()), Path(a.readme).name
    errors = []
    for n, line, cmd in found:
        kind = COMMANDS.get(cmd)
        if kind is None: errors.append(f"{name}:{n}: `{cmd}` is not in tests/readme_commands.py's COMMANDS: say how CI exercises it (run, help, test: NOTEBOOK ..., ci: ...)")
        elif not re.match(r'(run|help)$|(test|ci): \S', kind): errors.append(f"COMMANDS[{cmd!r}]: kind {kind!r} is none of run, help, test: ..., ci: ...")
        elif kind.startswith('test: ') and not (ROOT / kind[6:].split(':')[0]).is_file():
            errors.append(f"{name}:{n}: `{cmd}`: {kind[6:].split(':')[0]} does not exist")
    in_readme = {cmd for _, _, cmd in found}
    errors += [f"COMMANDS holds `{cmd}`, which {name} no longer shows: remove it" for cmd in COMMANDS if cmd not in in_readme]
    if a.list:
        for n, _, cmd in found: print(f"{name}:{n}: {cmd}\n    {COMMANDS.get(cmd, 'NOT IN THE TABLE')}")
    if errors or a.list:
        for e in errors: print(e, file=sys.stderr)
        sys.exit(1 if errors else 0)
    seen, t0, counts = set(), time.time(), {}
    with tempfile.TemporaryDirectory() as d:
        work = Path(d) / 'repo'; copy_repo(work)
        for n, line, cmd in found:
            if cmd in seen: continue
            seen.add(cmd)
            kind = COMMANDS[cmd]
            counts[kind.split(':')[0]] = counts.get(kind.split(':')[0], 0) + 1
            t = time.time()
            if kind == 'run':
                try:
                    r = subprocess.run(['bash', '-c', cmd], capture_output=True, text=True, cwd=work, timeout=TIMEOUT)
                    err = f"exited {r.returncode}: {(r.stderr + r.stdout)[-1500:]}" if r.returncode else ''
                except subprocess.TimeoutExpired: err = f'took over {TIMEOUT}s'
            elif kind == 'help' or (kind.startswith('test') and cmd.startswith('smolbook ')): err = check_help(cmd, work)
            else: continue
            print(f"{'ok' if not err else 'FAILED'} ({time.time() - t:.0f}s) {kind.split(':')[0]}: {cmd}", flush=True)
            if err: errors.append(f"{name}:{n}: `{cmd}`: {err}")
    for e in errors: print(e, file=sys.stderr)
    print(f"README commands: {len(seen)} ({', '.join(f'{v} {k}' for k, v in counts.items())}), {len(errors)} failed, {time.time() - t0:.0f}s")
    sys.exit(1 if errors else 0)

if __name__ == '__main__': main()
