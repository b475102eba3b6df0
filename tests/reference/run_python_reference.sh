#!/usr/bin/env bash
# Runs a Python reference check with Debian's Python (the one with numpy, torch, demjson); exit 77
# (CTest "skipped") when that Python or a module it imports is missing: run tools/setup.sh.
set -uo pipefail
py=/usr/bin/python3
if ! [ -x "$py" ]; then echo "skipped: $py not found: run tools/setup.sh"; exit 77; fi
script=$1
missing=$("$py" - "$script" <<'PY'
import ast, importlib.util, sys
tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())
names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and n.level == 0}
print(" ".join(sorted(m for m in names if importlib.util.find_spec(m) is None)))
PY
)
if [ -n "$missing" ]; then echo "skipped: Python modules missing ($missing): run tools/setup.sh"; exit 77; fi
exec "$py" "$@"
