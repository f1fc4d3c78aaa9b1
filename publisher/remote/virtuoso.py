"""Virtuoso's own bulk loader, driven through ``isql-vt``: the sane route for big loads.

``INSERT DATA`` over HTTP works on Virtuoso but its SPARQL compiler slows down sharply
on large requests; the bulk loader (``ld_dir`` + ``rdf_loader_run``) reads N-Quads
files itself, in parallel, keeping each quad's graph. It needs the file in a folder the
server may read (``DirsAllowed`` in ``virtuoso.ini``), so this route is for a Virtuoso on
the same machine or sharing a folder with the build; otherwise use the update route.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .load import Stager

#: isql reports SQL errors on stdout/stderr as ``*** Error <state>: [Virtuoso …]``.
_ERROR = re.compile(r"\*\*\* Error[^\n]*(?:\n[^\n]+)?")


class IsqlError(RuntimeError):
    """isql-vt failed, or a statement it ran reported an error."""


@dataclass(frozen=True)
class Isql:
    """Runs SQL on one Virtuoso server (its SQL port, not its HTTP port)."""

    address: str  # host:port
    user: str
    password: str
    binary: str = "isql-vt"
    timeout_s: float = 600.0

    def run(self, sql: str) -> str:
        """Run statements (each ending with ``;``), raising on the first error."""
        binary = shutil.which(self.binary) or self.binary
        try:
            result = subprocess.run(
                [binary, self.address, self.user, self.password, "VERBOSE=OFF",
                 "BANNER=OFF", "PROMPT=OFF", "ERRORS=STDOUT"],
                input=sql.encode() + b"\nexit;\n", capture_output=True,
                timeout=self.timeout_s, env={**os.environ, "LC_ALL": "C"})
        except FileNotFoundError:
            raise IsqlError(f"{self.binary} not found: install virtuoso-opensource-7-bin"
                            ) from None
        except subprocess.TimeoutExpired:
            raise IsqlError(f"isql did not finish within {self.timeout_s:g} s") from None
        output = (result.stdout + result.stderr).decode("utf-8", "replace")
        error = _ERROR.search(output)
        if error or result.returncode != 0:
            detail = error.group(0) if error else output.strip()[-500:]
            raise IsqlError(f"isql at {self.address}: {detail}")
        return output


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def bulk_stager(isql: Isql, load_dir: Path, name: str = "publisher-load.nq") -> Stager:
    """Write the staged quads to ``load_dir`` and have Virtuoso bulk-load them.

    ``load_dir`` must be in the server's ``DirsAllowed``. The file and its entry in
    ``DB.DBA.LOAD_LIST`` are removed afterwards, so the same name can be loaded again.
    """

    def stage(quads: Iterable[ox.Quad]) -> None:
        load_dir.mkdir(parents=True, exist_ok=True)
        path = load_dir / name
        with path.open("wb") as out:
            ox.serialize(quads, out, ox.RdfFormat.N_QUADS)
        folder = _sql_string(str(load_dir.resolve()))
        file = _sql_string(str(path.resolve()))
        try:
            isql.run(f"DELETE FROM DB.DBA.LOAD_LIST WHERE ll_file = {file};\n"
                     f"ld_dir({folder}, {_sql_string(name)}, "
                     f"'urn:x-diplomacy-publisher:unnamed');\n"
                     f"rdf_loader_run();\n")
            report = isql.run(f"SELECT 'LOADERR', ll_error FROM DB.DBA.LOAD_LIST "
                              f"WHERE ll_file = {file} AND ll_error IS NOT NULL;\n")
            failed = [line for line in report.splitlines() if line.startswith("LOADERR")]
            if failed:
                raise IsqlError("Virtuoso's bulk loader reported: " + failed[0][7:].strip())
            isql.run("checkpoint;\n")
        finally:
            path.unlink(missing_ok=True)
            try:
                isql.run(f"DELETE FROM DB.DBA.LOAD_LIST WHERE ll_file = {file};\n")
            except IsqlError:
                pass

    return stage


#: The switch runs as one stored procedure call, so as one transaction.
SWITCH_PROCEDURE = "DB.DBA.DIPLOMACY_PUBLISHER_SWITCH"


def sql_switcher(isql: Isql):  # noqa: ANN201 - a Switcher (see .load)
    """Switch staging graphs in as one SQL transaction: readers never see a half switch.

    Virtuoso runs a SPARQL Update request of several ``MOVE``s operation by operation:
    readers were seen in between (a graph dropped before its new triples arrived;
    tests/remote/test_load.py). Here every row of the old graphs is deleted and every
    staging row renamed to its live graph (``UPDATE … SET G``) inside one procedure
    call, which Virtuoso commits as one transaction (readers, read-committed, see the
    rows as they were before it until the commit).
    """

    def switch(drops: list[str], moves: list[tuple[str, str]]) -> None:
        statements = [f"DELETE FROM DB.DBA.RDF_QUAD WHERE G = iri_to_id({_sql_string(g)}, 0);"
                      for g in [*drops, *(live for _, live in moves)]]
        statements += [
            f"UPDATE DB.DBA.RDF_QUAD TABLE OPTION (index RDF_QUAD_GS) "
            f"SET G = iri_to_id({_sql_string(live)}) "
            f"WHERE G = iri_to_id({_sql_string(staging)}, 0);"
            for staging, live in moves]
        body = "\n  ".join(statements)
        isql.run(f"CREATE PROCEDURE {SWITCH_PROCEDURE} () {{\n  {body}\n}};\n"
                 f"{SWITCH_PROCEDURE} ();\n"
                 f"DROP PROCEDURE {SWITCH_PROCEDURE};\n")

    return switch
