"""The command line: ``publisher build | check-evidence | serve | validate | query``.

Flags feed the same Settings object as the environment, so a flag and its
``PUBLISHER_*`` variable always mean the same thing. Exit codes of ``build``: 0 success,
1 the inputs are at fault (a fact, a file, a shape: fix them), 2 bad usage (flags,
settings), 3 the environment is (another build holds the lock, the disk is full, the store
cannot be written: retry once fixed). ``validate`` and ``query`` keep 2 for unreadable
input, as their own help says.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from .settings import Settings, load_settings

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_ENVIRONMENT = 0, 1, 2, 3
EXIT_INTERRUPTED = 130


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", help="base IRI (env PUBLISHER_BASE)")
    parser.add_argument("--project-dir", type=Path,
                        help="folder with data/, mappings/, ontology/, shapes/")
    parser.add_argument("--store-dir", type=Path, help="live store path (a symlink)")


def _settings(args: argparse.Namespace, **extra) -> Settings:
    return load_settings(base=args.base, project_dir=args.project_dir,
                         store_dir=args.store_dir, **extra)


def cmd_build(args: argparse.Namespace) -> int:
    from .pipeline.build import BuildFailed, build

    settings = _settings(args)
    if not settings.data_dir.is_dir():
        print(f"no data/ folder in {settings.project_dir}: give the project with "
              "--project-dir or PUBLISHER_PROJECT_DIR", file=sys.stderr)
        return EXIT_USAGE
    print(f"building from {settings.data_dir} with base {settings.base}")
    try:
        result = build(settings)
    except BuildFailed as failure:
        print(f"\nBUILD FAILED at {failure.stage}: {len(failure.problems)} problem(s); "
              f"the live store was not changed.", file=sys.stderr)
        for line in failure.problems:
            print(f"  {line}", file=sys.stderr)
        return EXIT_ENVIRONMENT if failure.environment else EXIT_INVALID
    except KeyboardInterrupt:
        print("\nBUILD INTERRUPTED; the live store was not changed.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:  # a bug, or a resource the build did not expect to lack
        print(f"\nBUILD FAILED: unexpected {type(error).__name__}: {error}; the live store "
              "was not changed.", file=sys.stderr)
        return EXIT_ENVIRONMENT
    print(f"\nbuild {result.build_id} published at {settings.store_dir} -> {result.path}")
    print(f"{result.stats['triples']} triples in {result.timings['total']:.2f} s "
          f"({', '.join(f'{k} {v:.2f} s' for k, v in result.timings.items() if k != 'total')})")
    print_source_summary(result.stats.get("sources", []))
    print("\ntriples per graph:")
    for graph, count in result.stats["triples_per_graph"].items():
        print(f"  {count:6d}  {graph or '(default graph: graph descriptions)'}")
    print("\nentities per class:")
    for cls, count in result.stats["entities_per_class"].items():
        print(f"  {count:6d}  {cls}")
    return EXIT_OK


def print_source_summary(sources: list[dict]) -> None:
    """Per source file: records, facts, facts with evidence, warnings (curators' check)."""
    if not sources:
        return
    print("\nper source:")
    print(f"  {'records':>8} {'with evidence':>14} {'facts':>8} {'with evidence':>14} "
          f"{'warnings':>9}  file")
    for s in sources:
        print(f"  {s['records']:8d} {s['records_with_evidence']:14d} {s['facts']:8d} "
              f"{s['facts_with_evidence']:14d} {s['warnings']:9d}  {s['file']}")


def cmd_check_evidence(args: argparse.Namespace) -> int:
    from .pipeline.evidence import EvidenceFolderMissing, check_evidence

    settings = _settings(args)
    try:
        report = check_evidence(settings.data_dir, args.texts, settings.project_dir)
    except EvidenceFolderMissing as missing:
        print(f"check-evidence: {missing}", file=sys.stderr)
        return EXIT_USAGE
    for problem in report.problems:
        print(str(problem), file=sys.stderr)
    verdict = "OK" if report.ok else f"FAILED: {len(report.problems)} problem(s)"
    print(f"{report.files} source files, {report.records} records, {report.passages} "
          f"passages checked against {args.texts}: {verdict}")
    return EXIT_OK if report.ok else EXIT_INVALID


def cmd_serve(args: argparse.Namespace) -> int:
    from .builds import StoreUnavailable
    from .http.server import serve
    from .snapshot import open_live

    settings = _settings(args, host=args.host, port=args.port, workers=args.workers,
                         access_log=args.access_log)
    try:
        open_live(settings)  # the build it would serve can be opened (and has the base)
    except StoreUnavailable as missing:
        print(str(missing), file=sys.stderr)
        return EXIT_USAGE
    print(f"serving {settings.base} on http://{settings.host}:{settings.port}"
          f"{settings.base_path}")
    serve(settings)  # uvicorn's factory mode makes the app in each worker from the settings
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from .validation_cli import run_validate_cli

    return run_validate_cli(_settings(args), args.files, args.format, args.input_format,
                            args.standalone)


def cmd_query(args: argparse.Namespace) -> int:
    from .sparql.cli import run_query_cli

    query = args.query
    try:
        if query == "-":
            query = sys.stdin.read()
        elif query.startswith("@"):
            query = Path(query[1:]).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        where = "standard input" if query == "-" else query[1:]
        reason = getattr(error, "strerror", None) or error
        print(f"error: cannot read the query from {where}: {reason}", file=sys.stderr)
        return EXIT_USAGE
    fmt = args.format
    if fmt is None:  # readable in a terminal, and parseable by the next tool in a pipe
        from .sparql.analysis import analyse

        fmt = "ttl" if analyse(query).returns_graph else "tsv"
    return run_query_cli(_settings(args), query, fmt)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="publisher", description=__doc__.splitlines()[0])
    commands = root.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="map, validate and load the facts into a new store")
    _common(build)
    build.set_defaults(run=cmd_build)

    evidence = commands.add_parser(
        "check-evidence", help="check that every record's evidence occurs verbatim in its "
        "article (texts in DIR)")
    _common(evidence)
    evidence.add_argument("texts", type=Path, metavar="DIR",
                          help="folder with the captured article texts (../shared/sources)")
    evidence.set_defaults(run=cmd_check_evidence)

    serve = commands.add_parser("serve", help="publish the built store over HTTP")
    _common(serve)
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.add_argument("--no-access-log", dest="access_log", action="store_false", default=None,
                       help="no per-request log lines (env PUBLISHER_ACCESS_LOG=false)")
    serve.set_defaults(run=cmd_serve)

    validate = commands.add_parser("validate", help="check RDF files against the shapes")
    _common(validate)
    validate.add_argument("files", nargs="+", type=Path)
    validate.add_argument("--format", choices=["table", "turtle"], default="table",
                          help="report format (default: table)")
    validate.add_argument("--input-format", help="RDF format of the files (default: by "
                          "extension: .ttl .trig .nt .nq .jsonld .rdf)")
    validate.add_argument("--standalone", action="store_true",
                          help="do not resolve references against the published store")
    validate.set_defaults(run=cmd_validate)

    query = commands.add_parser("query", help="run a SPARQL query against the built store")
    _common(query)
    query.add_argument("query", help="the query, @file.rq, or - for stdin")
    query.add_argument("--format", help="json, xml, csv, tsv, ttl, nt, jsonld, rdf (default: "
                       "tsv for SELECT/ASK, ttl for CONSTRUCT/DESCRIBE)")
    query.set_defaults(run=cmd_query)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except ValidationError as error:
        print(f"invalid setting: {error}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
