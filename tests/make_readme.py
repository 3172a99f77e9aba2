"""Write README.md from nbs/index.ipynb (markdown as is, code cells as python blocks, no outputs).

    python tests/make_readme.py           # write README.md
    python tests/make_readme.py --check   # exit 1 if README.md is not what index.ipynb gives
"""
import json, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent

def render(nb_path: Path) -> str:
    parts = []
    for cell in json.loads(nb_path.read_text())['cells']:
        src = ''.join(cell['source']).strip()
        if cell['cell_type'] == 'markdown': parts.append(src)
        elif cell['cell_type'] == 'code':
            lines = src.splitlines()
            if any(l.strip() in ('#| hide', '#|hide') for l in lines): continue
            code = '\n'.join(l for l in lines if not l.startswith('#|')).strip()
            if code: parts.append(f"```python\n{code}\n```")
    return '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    text, readme = render(root / 'nbs' / 'index.ipynb'), root / 'README.md'
    if '--check' in sys.argv:
        if readme.read_text() != text: sys.exit('README.md is out of date: run python tests/make_readme.py')
    else: readme.write_text(text)
