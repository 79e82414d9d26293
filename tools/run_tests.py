#!/usr/bin/env python3
"""Runs every test binary of the workspace, JOBS binaries at a time (`make test-rust`).

`cargo test` runs its test binaries one after the other; most of ours wait on a server, a JVM, moto or the AWS
CLI more than they compute, so one binary at a time leaves a core idle. This builds the tests once with cargo
(`cargo test --workspace --no-run`: the features every `cargo test --workspace` uses, so nothing is built twice),
then runs each binary as cargo would (in its package's folder, with the test arguments given after `--`),
the known long ones first, and prints each binary's output whole when it ends, then a summary with each
binary's time. Exits 1 when a binary failed, naming it and the command that runs it alone.

With --lint the build is also clippy's lint run: clippy-driver (what `cargo clippy` runs in place of rustc) compiles
the workspace's own crates with clippy's lints denied as warnings (`make lint`'s `-D warnings`), over every target
(`--all-targets`: benches and examples are built, not run). `make test` then compiles the workspace once in place of
a `cargo clippy` check and a test build, each of which compiled every dependency. cargo keeps the wrapper in its
fingerprints, so every cargo call here (the doc tests too) gets the same environment; the tests' own cargo runs
(cargo-lambda) do not.

With --package-first it packages the Lambda artifacts once (`stream2neptune package`, cargo-lambda) before any test
starts: the deploy tests' packaging then finds them built. Built beside the engines' tests, that build took most of
deploy_moto's 803 s, the longest binary, in a fresh clone; alone it has both cores.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

# Binaries that take the longest (see BENCHMARKS.md, "make test"), started first so that the long ones do not
# end up last on one core while the other idles. The rest start in cargo's order.
LONG_FIRST = [
    "stream2neptune/test/deploy_moto",
    "stream2neptune-local/test/pipeline",
    "stream2neptune/test/notebook_boot",
    "stream2neptune-writer/test/neo4j",
    "stream2neptune-writer/test/gremlin_server",
    "stream2neptune/test/template_checks",
    "stream2neptune/test/driver_boot",
    "stream2neptune-writer/test/oxigraph",
    "stream2neptune/test/stack_moto",
    "stream2neptune-local/test/demo",
]

RESULT = re.compile(r"^test result: \w+\. (\d+) passed; (\d+) failed")


def lint_environment():
    """The environment of a cargo call whose compiler is clippy-driver for the workspace's crates, denying
    warnings: what `cargo clippy -- -D warnings` sets (clippy splits CLIPPY_ARGS on `__CLIPPY_HACKERY__`)."""
    sysroot = subprocess.run(["rustc", "--print", "sysroot"], stdout=subprocess.PIPE, text=True, check=True)
    driver = os.path.join(sysroot.stdout.strip(), "bin", "clippy-driver")
    if not os.path.isfile(driver):
        sys.exit(f"run_tests: --lint: no clippy-driver at {driver}; install it with `rustup component add clippy`")
    environment = dict(os.environ)
    environment["RUSTC_WORKSPACE_WRAPPER"] = driver
    environment["CLIPPY_ARGS"] = "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
    return environment


def build(environment, lint):
    """Builds the workspace's tests; returns ([(name, command, folder, alone)] in cargo's order, the doc tests last,
    the path of the stream2neptune binary built with them)."""
    command = ["cargo", "test", "--workspace", "--no-run", "--message-format=json-render-diagnostics"]
    if lint:
        command.insert(3, "--all-targets")
    built = subprocess.run(command, stdout=subprocess.PIPE, text=True, env=environment)
    if built.returncode != 0:
        sys.exit(f"run_tests: `{' '.join(command)}` failed (its errors are above)")
    binaries = []
    generator = None
    for line in built.stdout.splitlines():
        message = json.loads(line)
        if message.get("reason") != "compiler-artifact" or not message.get("executable"):
            continue
        if not message["profile"]["test"]:
            if message["target"]["name"] == "stream2neptune":
                generator = message["executable"]
            continue
        target = message["target"]
        if "bench" in target["kind"] or "example" in target["kind"]:
            continue  # built as tests for the lints (--lint), and they hold none
        package = package_name(message["manifest_path"])
        kind = "test" if "test" in target["kind"] else target["kind"][0]
        binaries.append(
            (
                f"{package}/{kind}/{target['name']}",
                [message["executable"]],
                os.path.dirname(message["manifest_path"]),
                alone(package, kind, target["name"]),
            )
        )
    # What `cargo test --workspace` runs after the binaries: every library's documentation examples.
    doc = ["cargo", "test", "--workspace", "--doc"]
    binaries.append(("doc tests", doc, os.getcwd(), " ".join(doc)))
    return binaries, generator


def package_first(generator):
    """Packages the writer (x86_64), the driver and the notebooks into a folder thrown away after: what the deploy
    tests package, so their cargo-lambda builds find the binaries fresh."""
    if generator is None:
        sys.exit("run_tests: --package-first: the build made no stream2neptune binary")
    begun = time.monotonic()
    print("run_tests: packaging the Lambda artifacts before the tests", flush=True)
    with tempfile.TemporaryDirectory() as out:
        packaged = subprocess.run([generator, "package", "--out", out, "--arch", "x86_64"])
    if packaged.returncode != 0:
        sys.exit(f"run_tests: `{generator} package` failed (exit {packaged.returncode}); its errors are above")
    print(f"run_tests: packaged in {time.monotonic() - begun:.0f} s", flush=True)


def package_name(manifest_path):
    """The package's name, from its Cargo.toml."""
    with open(manifest_path, encoding="utf-8") as manifest:
        for line in manifest:
            found = re.match(r'^name\s*=\s*"([^"]+)"', line)
            if found:
                return found.group(1)
    sys.exit(f"run_tests: no package name in {manifest_path}")


def alone(package, kind, target):
    """The cargo command that runs one binary on its own."""
    if kind == "test":
        return f"cargo test -p {package} --test {target}"
    if kind == "bin":
        return f"cargo test -p {package} --bin {target}"
    return f"cargo test -p {package} --lib"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="binaries run at once (default 2)")
    parser.add_argument(
        "--package-first",
        action="store_true",
        help="package the Lambda artifacts (cargo-lambda) before the tests, as the deploy tests do",
    )
    parser.add_argument(
        "--lint",
        action="store_true",
        help="compile with clippy-driver, clippy's warnings denied, over every target (what `make lint` checks)",
    )
    parser.add_argument("--build-only", action="store_true", help="build (and lint) the tests, run none")
    parser.add_argument("test_args", nargs="*", help="after `--`: arguments for every test binary")
    args = parser.parse_args()

    environment = lint_environment() if args.lint else None
    binaries, generator = build(environment, args.lint)
    if args.build_only:
        return
    if args.package_first:
        package_first(generator)
    rank = {name: i for i, name in enumerate(LONG_FIRST)}
    queue = sorted(binaries, key=lambda b: rank.get(b[0], len(LONG_FIRST)))
    lock = threading.Lock()
    results = []
    children = set()
    started = time.monotonic()

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                name, command, folder, command_alone = queue.pop(0)
                print(f"run_tests: started {name}", flush=True)
            begun = time.monotonic()
            child = subprocess.Popen(
                command + (["--"] if command[0] == "cargo" and args.test_args else []) + args.test_args,
                cwd=folder,
                # The doc tests' cargo builds with the build's compiler; the test binaries run without it.
                env=environment if command[0] == "cargo" else None,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            with lock:
                children.add(child)
            output = child.stdout.read().decode("utf-8", "replace")
            status = child.wait()
            seconds = time.monotonic() - begun
            passed = failed = 0
            for line in output.splitlines():
                counted = RESULT.match(line)
                if counted:
                    passed += int(counted.group(1))
                    failed += int(counted.group(2))
            with lock:
                children.discard(child)
                results.append((name, status, seconds, passed, failed, command_alone))
                sys.stdout.write(f"\n==> {name} ({seconds:.1f} s, exit {status})\n{output}")
                sys.stdout.flush()

    def stop(signum, _frame):
        with lock:
            queue.clear()
            for child in children:
                child.send_signal(signum)
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, args.jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.5)

    total = time.monotonic() - started
    print(f"\nrun_tests: {len(results)} binaries, {args.jobs} at a time, {total:.0f} s")
    for name, status, seconds, passed, failed, _ in sorted(results, key=lambda r: -r[2]):
        print(f"  {seconds:7.1f} s  {'ok    ' if status == 0 else 'FAILED'}  {passed:4} passed  {name}")
    broken = [r for r in results if r[1] != 0]
    passed = sum(r[3] for r in results)
    failed = sum(r[4] for r in results)
    print(f"run_tests: {passed} passed, {failed} failed")
    if broken:
        for name, status, _, _, _, command in broken:
            print(f"run_tests: {name} failed (exit {status}); run it alone: {command}")
        sys.exit(1)


if __name__ == "__main__":
    main()
