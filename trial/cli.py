"""Command line: python -m trial check|summary|demo|simulate.

Exit codes: 0 the data are valid (perhaps with warnings), 1 the data have errors, 2 the files
cannot be read (or a limit stopped the check, or the command failed). Never a traceback:
unexpected failures are reported in one line. `check` and `summary` load the data in a separate
process bounded in time and memory (trial/bounded.py; --max-seconds, --max-memory-mb).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .limits import Limits
from .model import DataError, Finding, Trial

EXIT_OK, EXIT_ERRORS, EXIT_UNREADABLE = 0, 1, 2


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _counts(findings: Sequence[Finding]) -> str:
    errors = sum(f.level == "error" for f in findings)
    return f"{_plural(errors, 'error')}, {_plural(len(findings) - errors, 'warning')}"


def _print_findings(findings: Sequence[Finding], file=None) -> None:
    for f in findings:
        print(str(f), file=file or sys.stdout)


def _limits(args: argparse.Namespace) -> Limits:
    return Limits().with_(seconds=args.max_seconds, memory_mb=args.max_memory_mb)


def _load(path: str, limits: Limits) -> tuple[Trial | None, int]:
    """Load; on bad data print the findings and the counts to stderr and return the exit code."""
    from .loader import load_trial_bounded

    try:
        return load_trial_bounded(path, limits), EXIT_OK
    except DataError as e:
        _print_findings(e.findings, sys.stderr)
        what = "cannot be read" if e.unreadable else "has errors"
        print(f"{_counts(e.findings)}: {path} {what}", file=sys.stderr)
        return None, EXIT_UNREADABLE if e.unreadable else EXIT_ERRORS


def cmd_check(args: argparse.Namespace) -> int:
    from .loader import load_trial_bounded

    try:
        trial = load_trial_bounded(args.path, _limits(args))
    except DataError as e:
        _print_findings(e.findings)
        if e.unreadable:
            print(f"{_counts(e.findings)}: {args.path} cannot be read")
            return EXIT_UNREADABLE
        print(f"{_counts(e.findings)}: {args.path} cannot be used until the errors are fixed")
        return EXIT_ERRORS
    _print_findings(trial.findings)
    choices = trial.study.design.choices()
    if choices:
        # What the analyses will do, for a statistician to see before opening the app.
        print("Study definition (what the analyses use; change it in adam.json):")
        for line in choices:
            print(f"  - {line}")
    print(
        f"{_counts(trial.findings)}: {args.path} is valid "
        f"({_plural(len(trial.patients), 'patient')}, "
        f"{_plural(trial.measurement_count, 'measurement')}, "
        f"{_plural(len(trial.events), 'event')}; fingerprint {trial.fingerprint})"
    )
    return EXIT_OK


def _human(obj, indent: int = 0) -> list[str]:
    """A short readable rendering of the summary dict (the JSON form has everything)."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (dict, list)) and v and not _flat_list(v):
                lines.append(f"{pad}{k}:")
                lines += _human(v, indent + 1)
            else:
                lines.append(f"{pad}{k}: {_scalar(v)}")
    elif isinstance(obj, list):
        for v in obj:
            if isinstance(v, dict):
                lines.append(pad + "- " + ", ".join(f"{k}={_scalar(x)}" for k, x in v.items()))
            else:
                lines.append(f"{pad}- {_scalar(v)}")
    else:
        lines.append(pad + _scalar(obj))
    return lines


def _flat_list(v) -> bool:
    return isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v)


def _scalar(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list):
        return ", ".join(_scalar(x) for x in v)
    if isinstance(v, dict):
        return "{}" if not v else json.dumps(v, default=str, ensure_ascii=False)
    return "" if v is None else str(v)


def cmd_summary(args: argparse.Namespace) -> int:
    trial, code = _load(args.path, _limits(args))
    if trial is None:
        return code
    from .analysis.cohort import resolve_group

    if args.by is not None and resolve_group(trial, args.by) is None:
        names = [c for c in trial.patients.columns if not c.startswith("_")]
        names += [v for v, _ in trial.study.variables]
        print(
            f"--by: no column or variable '{args.by}' in patients; available: {', '.join(names)}",
            file=sys.stderr,
        )
        return EXIT_UNREADABLE
    from .summary import build_summary

    result = build_summary(trial, by=args.by)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    else:
        print("\n".join(_human(result)))
        if trial.findings:
            print(f"\nData checks: {_counts(trial.findings)} (python -m trial check {args.path})")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import write_demo

    out = Path(args.out)
    write_demo(out)
    print(f"demo trial written to {out} (check it with: python -m trial check {out})")
    return EXIT_OK


def cmd_simulate(args: argparse.Namespace) -> int:
    from .simulate import write_simulation

    counts = write_simulation(
        Path(args.out), args.patients, args.centers, args.seed, args.format, args.all_measures
    )
    print(
        f"synthetic trial written to {args.out}: "
        + ", ".join(f"{v:,} {k}" for k, v in counts.items())
    )
    return EXIT_OK


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be a whole number of at least 1")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be a number of seconds above 0")
    return value


def _bounds(p: argparse.ArgumentParser) -> None:
    default = Limits()
    p.add_argument(
        "--max-seconds",
        type=_seconds,
        default=default.seconds,
        metavar="S",
        help=f"stop the check after S seconds (default {default.seconds:g})",
    )
    p.add_argument(
        "--max-memory-mb",
        type=_positive,
        default=default.memory_mb,
        metavar="MB",
        help=f"stop the check if it needs more memory (default {default.memory_mb})",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m trial", description="Check and summarise a trial data folder."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser(
        "check",
        help="check a data folder and print every problem found",
        description="Exit 0: valid (perhaps with warnings); 1: errors; "
        "2: the files cannot be read.",
    )
    p.add_argument(
        "path", metavar="PATH", help="folder with study.json, patients, measurements and events"
    )
    _bounds(p)
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("summary", help="print the trial's summary (text or JSON)")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--json", action="store_true", help="print JSON (indent 2)")
    p.add_argument(
        "--by",
        metavar="COLUMN",
        help="group by this patients column or the data's own variable (e.g. TRT01A, AGEGR1)",
    )
    _bounds(p)
    p.set_defaults(func=cmd_summary)
    p = sub.add_parser("demo", help="write the simulated demo trial")
    p.add_argument("--out", metavar="DIR", required=True, help="folder to write to")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser(
        "simulate",
        help="write a synthetic trial of any size (benchmarks)",
        description="Every value is synthetic; see trial/simulate.py.",
    )
    p.add_argument("--patients", type=_positive, required=True)
    p.add_argument("--centers", type=_positive, default=4)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", metavar="DIR", required=True)
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    p.add_argument(
        "--all-measures",
        action="store_true",
        help="all demo measures, not only the five key measures",
    )
    p.set_defaults(func=cmd_simulate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (argparse usage errors exit with 2)."""
    for stream in (sys.stdout, sys.stderr):  # a value the terminal cannot show: escaped
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # never a traceback for the user
        print(f"{args.command} failed: {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_UNREADABLE
