#!/usr/bin/env python3
"""cloudqe's test runner: the C unit tests, then every tests/t_*.py module's test_*
functions (golden cases, the differential schema test, service-backed tests).
Ends with the line `N passed, N failed`. Usage: run.py [name-substring ...]"""
import importlib.util
import os
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

passed = 0
failed = 0
failures = []


def record(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}", flush=True)
    else:
        failed += 1
        failures.append(name)
        print(f"FAIL {name}\n{detail}", flush=True)


def selected(name):
    wanted = sys.argv[1:]
    return not wanted or any(w in name for w in wanted)


def run_unit(env="UNIT", default="build/san/unit_tests", prefix="unit"):
    unit = os.environ.get(env, os.path.join(ROOT, default))
    if not selected(prefix):
        return
    if not os.path.exists(unit):
        record("%s (binary missing: %s)" % (prefix, unit), False)
        return
    proc = subprocess.run([unit], cwd=ROOT, capture_output=True, text=True)
    seen = False
    for line in proc.stdout.splitlines():
        if line.startswith("ok ") or line.startswith("FAIL "):
            seen = True
            status, _, name = line.partition(" ")
            record(prefix + "." + name.strip(), status == "ok", "")
    if proc.returncode != 0 or not seen:
        record("%s (exit %d)" % (prefix, proc.returncode), False,
               proc.stdout[-4000:] + proc.stderr[-4000:])


def run_modules():
    for fname in sorted(os.listdir(HERE)):
        if not (fname.startswith("t_") and fname.endswith(".py")):
            continue
        spec = importlib.util.spec_from_file_location(fname[:-3], os.path.join(HERE, fname))
        mod = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(mod)
        except Exception:
            record(fname, False, traceback.format_exc())
            continue
        cases = []
        if hasattr(mod, "cases"):
            cases = list(mod.cases())  # [(name, callable)]
        cases += [(n, getattr(mod, n)) for n in dir(mod) if n.startswith("test_")]
        for name, fn in cases:
            full = f"{fname[2:-3]}.{name}"
            if not selected(full):
                continue
            t0 = time.time()
            try:
                fn()
                record(full + f" ({time.time() - t0:.1f}s)", True)
            except Exception:
                record(full, False, traceback.format_exc()[-6000:])


if __name__ == "__main__":
    run_unit()
    run_unit("ALLOC", "build/san/alloc_fail_tests", "alloc")
    run_modules()
    if failures:
        print("failed: " + ", ".join(failures))
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)
