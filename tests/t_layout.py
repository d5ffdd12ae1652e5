"""The repository's shape, checked: the layers (ARCHITECTURE.md, Modules) are enforced by
the include paths the Makefile gives each directory, the repository stands on its own
(nothing points at a sibling folder), and every C file opens with its purpose.

Layering: for every layer L, a probe compiled with L's flags (`make -s print-inc DIR=L`)
that includes every header of L and of the layers below compiles, and one that includes
a header of any layer above L, or of a tool, fails because the header is not found. The
probes are temporary files outside the tree: nothing is left behind."""
import functools
import os
import re
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CC = os.environ.get("CC", "cc")
PKGS = ["rdkafka", "jansson", "libzstd", "hiredis"]  # the Makefile's PKGS
BASE_FLAGS = ["-std=c11", "-D_DEFAULT_SOURCE", "-D_POSIX_C_SOURCE=200809L", "-fsyntax-only"]
SKIP_DIRS = {".git", "build", "__pycache__", "node_modules"}  # node_modules: tests/clients (npm ci)


@functools.lru_cache(maxsize=None)
def make_inc(directory=None):
    """The -I flags the Makefile compiles directory's files with (all dirs without one)."""
    cmd = ["make", "-s", "--no-print-directory", "print-inc"] + ([f"DIR={directory}"] if directory else [])
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert out and all(f.startswith("-I") for f in out), out
    return tuple(out)


def layers_and_tools():
    """(layers lowest first, tools), in the Makefile's order."""
    dirs = [f[2:] for f in make_inc()]
    return [d for d in dirs if not d.startswith("tools/")], [d for d in dirs if d.startswith("tools/")]


def headers(directory):
    return sorted(f for f in os.listdir(os.path.join(ROOT, directory)) if f.endswith(".h"))


def pkg_cflags():
    p = subprocess.run(["pkg-config", "--cflags"] + PKGS, capture_output=True, text=True)
    return p.stdout.split() if p.returncode == 0 else []


def compile_probe(tmp, directory, includes, extra):
    """Compiles a probe including `includes` with directory's flags: (ok, stderr)."""
    probe = os.path.join(tmp, "probe.c")
    with open(probe, "w", encoding="utf-8") as f:
        f.write("/* layering probe */\n")
        f.write("".join(f'#include "{h}"\n' for h in includes))
        f.write("int cqe_layout_probe(void);\nint cqe_layout_probe(void)\n{\n    return 0;\n}\n")
    p = subprocess.run([CC] + BASE_FLAGS + extra + list(make_inc(directory)) + [probe], cwd=ROOT,
                       capture_output=True, text=True)
    return p.returncode == 0, p.stderr


def test_layers_include_only_below():
    layers, tools = layers_and_tools()
    assert len(layers) >= 5, layers
    extra = pkg_cflags()
    problems = []
    checked_up = 0
    with tempfile.TemporaryDirectory(prefix="cqe-layout-") as tmp:
        for i, low in enumerate(layers):
            below = [h for d in layers[:i + 1] for h in headers(d)]
            ok, err = compile_probe(tmp, low, below, extra)
            if not ok:
                problems.append(f"{low}: the headers of its layer and below do not compile with "
                                f"its flags:\n{err[-1500:]}")
            for up in layers[i + 1:] + tools:
                if not headers(up):
                    continue
                h = headers(up)[0]
                ok, err = compile_probe(tmp, low, [h], extra)
                checked_up += 1
                if ok or not re.search(re.escape(h) + r".*No such file", err):
                    problems.append(f"{low} includes {up}/{h}: expected 'No such file', got "
                                    f"{'a clean compile' if ok else err[-500:]}")
        for tool in tools:
            ok, err = compile_probe(tmp, tool, [h for d in layers + [tool] for h in headers(d)], extra)
            if not ok:
                problems.append(f"{tool}: the layers' headers do not compile with its flags:\n{err[-1500:]}")
    assert checked_up >= 20, checked_up
    assert not problems, "\n".join(problems)


def repo_files():
    """Paths (relative) of the repository's files, tracked or not (git's ignores apply);
    a walk outside a checkout."""
    if os.path.isdir(os.path.join(ROOT, ".git")) or os.path.isfile(os.path.join(ROOT, ".git")):
        p = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True)
        if p.returncode == 0:
            return [f for f in p.stdout.decode("utf-8").split("\0") if f]
    out = []
    for d, subdirs, files in os.walk(ROOT):
        subdirs[:] = [s for s in subdirs if s not in SKIP_DIRS]
        out += [os.path.relpath(os.path.join(d, f), ROOT) for f in files]
    return out


def test_no_sibling_folder():
    """Nothing names a folder beside the repository: clones stand on their own."""
    pattern = re.compile(rb"\.\./shared")
    hits = []
    for rel in repo_files():
        path = os.path.join(ROOT, rel)
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            for n, line in enumerate(f, 1):
                if pattern.search(line):
                    hits.append(f"{rel}:{n}: {line.decode('utf-8', 'replace').strip()[:120]}")
    assert not hits, "\n".join(hits)


def test_c_files_open_with_purpose():
    """Every .c/.h opens with a comment of at least a few words saying what it is for."""
    bad = []
    files = [f for f in repo_files() if f.endswith((".c", ".h"))]
    assert len(files) > 50, len(files)
    for rel in files:
        with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
            text = f.read(2000)
        m = re.match(r"/\*(.*?)\*/", text, re.S) or re.match(r"((?://[^\n]*\n)+)", text)
        words = re.findall(r"[A-Za-z]{2,}", m.group(1)) if m else []
        if len(words) < 4:
            bad.append(f"{rel}: {text[:80]!r}")
    assert not bad, "files without a purpose comment on their first line:\n" + "\n".join(bad)

