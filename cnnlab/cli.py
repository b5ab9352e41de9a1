"""The `cnnlab` command: list, check, grade, train, build, release."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table


def cmd_list(args) -> int:
    from cnnlab.grader import registry

    table = Table(title="cnnlab assignments", title_justify="left")
    for column in ("assignment", "graded function", "points"):
        table.add_column(column)
    for name in registry.names():
        a = registry.load(name)
        bonus = sum(f.points for f in a.functions if f.bonus)
        table.add_row(f"[bold]{name}[/]", escape(a.title), "")
        for f in a.functions:
            table.add_row("", f.name, f"{f.points:g}" + (" bonus" if f.bonus else ""))
        table.add_row("", "[italic]total[/]", f"{a.max_score:g}" + (f" + {bonus:g} bonus" if bonus else ""),
                      end_section=True)
    Console().print(table)
    return 0


def cmd_check(args) -> int:
    from cnnlab.grader import registry
    from cnnlab.grader.check import check_file

    console = Console()
    assignment = registry.load(args.assignment)
    results, import_error = check_file(assignment, Path(args.file))
    if import_error:
        console.print("[red]FAIL[/] " + escape(import_error))
        return 1
    for r in results:
        mark = "[green]PASS[/]" if r.passed else ("[yellow]todo[/]" if r.bonus else "[red]FAIL[/]")
        console.print(f"{mark} {r.function}" + (" (bonus)" if r.bonus else ""))
        if not r.passed:
            console.print("    " + escape(r.message).replace("\n", "\n    "))
    required = [r for r in results if not r.bonus]
    n_ok = sum(r.passed for r in required)
    console.print(f"\n{n_ok}/{len(required)} required functions pass their public tests. "
                  "Grading uses more, hidden, tests.")
    return 0 if n_ok == len(required) else 1


def cmd_grade(args) -> int:
    import numpy as np

    from cnnlab.grader import registry, report
    from cnnlab.grader.grade import grade_paths
    from cnnlab.grader.sandbox import Limits, isolation_available
    from cnnlab.grader.store import ResultStore
    from cnnlab.grader.submission import find_submissions

    assignment = registry.load(args.assignment)
    paths = find_submissions(args.paths)
    missing = [p for p in paths if not p.is_file()]
    if missing or not paths:
        print(f"cnnlab grade: no such submission: {', '.join(map(str, missing)) or 'nothing given'}",
              file=sys.stderr)
        return 2
    duplicates = {stem for stem, n in Counter(p.stem for p in paths).items() if n > 1}
    if duplicates:
        print(f"cnnlab grade: several files per student id: {', '.join(sorted(duplicates))}",
              file=sys.stderr)
        return 2
    quiet = args.json == "-"
    console = Console(stderr=quiet)
    err = Console(stderr=True)
    isolation = "process" if args.no_sandbox else "auto"
    if isolation_available() != "bwrap":
        err.print("[bold red]WARNING: bubblewrap (bwrap) is not usable here[/]: student code runs "
                  "in separate processes with resource limits and timeouts, but WITHOUT filesystem "
                  "or network isolation. Install it (Debian/Ubuntu: apt-get install bubblewrap).")
    elif args.no_sandbox:
        err.print("[bold red]WARNING: --no-sandbox[/]: student code can read your files and the network.")

    store = ResultStore(Path(args.results or Path("cnnlab-results") / assignment.name), assignment.name)
    seed = store.seed(args.seed, args.regrade)
    seed = int(np.random.SeedSequence().entropy % (2**31)) if seed is None else seed
    store.remember_seed(seed)
    done = {} if args.regrade else {i: r for i, p in enumerate(paths)
                                    if (r := store.load(p, p.stem, seed)) is not None}
    todo = [p for i, p in enumerate(paths) if i not in done]
    if done:
        err.print(f"{len(done)} submission(s) already graded with seed {seed} in {store.folder}: "
                  "skipped (use --regrade to grade them again)")

    limits = Limits(timeout=args.timeout or assignment.timeout, memory_mb=args.memory)
    with _progress(err, len(todo)) as advance:
        def on_result(result):
            store.save(result)
            advance()

        fresh = grade_paths(assignment, todo, seed=seed, limits=limits, on_result=on_result,
                            workers=args.workers, isolation=isolation, reveal=args.reveal_expected,
                            hide=[store.folder.resolve()]) if todo else []
    graded = dict(zip(todo, fresh))
    results = [done[i] if i in done else graded[p] for i, p in enumerate(paths)]
    _write_reports(args, results, report)
    if args.feedback:
        from cnnlab.grader.feedback import write_pages
        pages = write_pages(results, Path(args.feedback), hidden=args.feedback_hidden)
        err.print(f"feedback pages: {len(pages)} in {args.feedback}")
    if not quiet or console.is_terminal:
        report.print_summary(results, console, details=not args.brief)
    return 0


def _progress(console, total):
    """A context manager yielding advance(): done/total, rate and ETA on stderr."""
    from contextlib import contextmanager

    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    @contextmanager
    def bar():
        columns = [TextColumn("grading"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"),
                   TimeRemainingColumn()]
        with Progress(*columns, console=console, transient=False,
                      disable=total < 2 or not console.is_terminal) as progress:
            task = progress.add_task("grade", total=total, rate="")
            import time
            started = time.monotonic()

            def advance():
                progress.advance(task)
                n = progress.tasks[0].completed
                progress.update(task, rate=f"{n / max(time.monotonic() - started, 1e-9):.2f}/s")

            yield advance

    return bar()


def _write_reports(args, results, report) -> None:
    import json

    if args.json:
        text = report.json_text(results)
        if args.json == "-":
            sys.stdout.write(text + "\n")
        else:
            report.write_atomic(Path(args.json), text)
    if args.csv:
        report.write_atomic(Path(args.csv), report.csv_text(results))
    if args.gradescope:
        if len(results) == 1:
            report.write_atomic(Path(args.gradescope), json.dumps(report.gradescope(results[0]), indent=2))
        else:  # one results.json per student under the given folder
            for r in results:
                report.write_atomic(Path(args.gradescope) / r.submission / "results.json",
                                    json.dumps(report.gradescope(r), indent=2))


def cmd_train(args) -> int:
    """Run `solutions/NAME/train.py`'s `main(argv)`: the reference model's training demo."""
    from cnnlab.grader import registry
    from cnnlab.grader.spec import load_module

    script = registry.solutions_dir() / args.assignment / "train.py"
    if not script.is_file():
        have = [n for n in registry.names() if (registry.solutions_dir() / n / "train.py").is_file()]
        print(f"cnnlab train: no training demo for {args.assignment!r} (have: {', '.join(have)})",
              file=sys.stderr)
        return 2
    return int(load_module(script, f"cnnlab_train_{args.assignment}").main(args.options) or 0)


def cmd_build(args) -> int:
    from cnnlab.grader import authoring, registry

    for name in args.assignments or registry.names():
        changed = authoring.build(name)
        print(f"{name}: " + (", ".join(str(p) for p in changed) if changed else "up to date"))
    return 0


def cmd_release(args) -> int:
    from cnnlab.grader import authoring

    try:
        written = authoring.release(args.assignment, Path(args.outdir))
    except RuntimeError as exc:
        print(f"cnnlab release: {exc}", file=sys.stderr)
        return 1
    print(f"released {args.assignment}: {len(written)} files in {Path(args.outdir) / args.assignment}")
    for path in written:
        print(f"  {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnnlab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="assignments, graded functions and points")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("check", help="run the public tests on your file (exit 0 when all pass)")
    p.add_argument("assignment")
    p.add_argument("file", help="your .py or .ipynb")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("train", help="train an assignment's reference model (demo)",
                       description="Options after ASSIGNMENT go to its training script "
                                   "(try: cnnlab train resnet -- --help).")
    p.add_argument("assignment")
    p.add_argument("options", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("build", help="instructors: regenerate student files from solutions/")
    p.add_argument("assignments", nargs="*")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("release", help="instructors: write the student version (no solutions)")
    p.add_argument("assignment")
    p.add_argument("outdir")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("grade", help="grade submissions with the hidden tests")
    p.add_argument("assignment")
    p.add_argument("paths", nargs="+", metavar="PATH", help=".py, .ipynb, or a folder of them")
    p.add_argument("--json", metavar="FILE", help="write a JSON list of results ('-' for stdout)")
    p.add_argument("--csv", metavar="FILE", help="one row per submission, one column per function")
    p.add_argument("--gradescope", metavar="FILE",
                   help="Gradescope results.json (a folder of STUDENT/results.json for several)")
    p.add_argument("--seed", type=int, help="seed of the random hidden cases (default: fresh)")
    p.add_argument("--timeout", type=float, help="seconds per test case")
    p.add_argument("--memory", type=int, default=2048, help="memory limit per child in MiB")
    p.add_argument("--workers", type=int, default=1, help="submissions graded in parallel")
    p.add_argument("--results", metavar="DIR",
                   help="per-submission results, kept to resume (default: cnnlab-results/ASSIGNMENT)")
    p.add_argument("--regrade", action="store_true", help="grade again what DIR already holds")
    p.add_argument("--brief", action="store_true", help="scores only, no first-problem column")
    p.add_argument("--feedback", metavar="DIR", help="one HTML feedback page per submission")
    p.add_argument("--feedback-hidden", choices=["details", "summary"], default="details",
                   help="hidden tests on the pages: each test's message, or counts only")
    p.add_argument("--reveal-expected", action="store_true",
                   help="let messages quote expected values of hidden tests (off by default)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="do not use bubblewrap even when available (not recommended)")
    p.set_defaults(func=cmd_grade)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyError as exc:  # unknown assignment: a usage error
        print(f"cnnlab: {exc.args[0]}", file=sys.stderr)
        return 2
