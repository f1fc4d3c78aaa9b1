"""Memory bounds of validation (issue 16, problem 2): collection bombs and the worker cap.

A Turtle collection is two triples per element, and ``( `` nests one more: 4.8 MB of
them grew a validation worker to ~3 GB before the time limit. Peaks are read from the
kernel (``VmHWM`` of every child process while the request runs).
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from publisher.validation.service import Rules, validate
from publisher.validation.submission import Document, SubmissionTooLarge

from ..peaks import child_peaks
from .conftest import example
from .test_safety import no_validation_children

TURTLE = {"Content-Type": "text/turtle"}
#: What a process holds resident beyond its data limit: file-backed pages (Python,
#: the libraries), which RLIMIT_DATA does not count.
FILE_BACKED_MIB = 64


def nested_collections(size: int) -> bytes:
    """``( ( ( … ) ) )``: 4 bytes per level, two triples and a blank node per level."""
    depth = size // 4
    return b"<http://a/s> <http://a/p> " + b"( " * depth + b") " * depth + b".\n"


def flat_collection(size: int) -> bytes:
    """``(1 1 1 …)``: two triples for every two bytes."""
    return b"<http://a/s> <http://a/p> (" + b"1 " * (size // 2) + b") .\n"


@pytest.mark.parametrize("bomb", [nested_collections, flat_collection])
def test_a_collection_bomb_is_stopped_by_the_triple_limit(client, bomb):
    body = bomb(4_800_000)
    with child_peaks() as peaks:
        response = client.post("/validate", content=body, headers=TURTLE)
    assert response.status_code == 413, response.text[:500]
    assert "holds more than 100,000 triples" in response.text
    assert "split it" in response.text
    assert max(peaks.values()) <= 640 + FILE_BACKED_MIB, peaks  # far below, in fact
    assert no_validation_children()


def test_a_submission_over_the_worker_memory_limit_gets_422(client_with):
    """Past the triple limit's protection (raised here), the worker's own cap holds."""
    limit = 256
    client = client_with(validate_max_triples=100_000_000, validate_worker_memory_mb=limit,
                         validate_timeout_s=300.0)
    with child_peaks() as peaks:
        response = client.post("/validate", content=flat_collection(2_000_000),
                               headers=TURTLE)
    assert response.status_code == 422, response.text[:500]
    assert f"needed more memory than this service allows one validation ({limit} MiB" \
        in response.text
    assert max(peaks.values()) <= limit + FILE_BACKED_MIB, peaks
    assert no_validation_children()
    # The next submission gets a fresh worker and its report.
    fine = client.post("/validate", content=example("meeting-conforming.ttl"),
                       headers=TURTLE)
    assert fine.status_code == 200 and "sh:conforms true" in fine.text


def test_the_triple_limit_counts_every_document_and_names_it(settings):
    small = settings.model_copy(update={"validate_max_triples": 30})
    document = example("meeting-conforming.ttl")  # 17 triples
    with pytest.raises(SubmissionTooLarge) as refused:
        validate([Document("a.ttl", ox.RdfFormat.TURTLE, document),
                  Document("b.ttl", ox.RdfFormat.TURTLE, document)], small, None,
                 Rules.of_project(small))
    assert refused.value.document == "b.ttl" and "more than 30 triples" in str(refused.value)
    one = validate([Document("a.ttl", ox.RdfFormat.TURTLE, document)], small, None,
                   Rules.of_project(small))
    assert one.stats["triples"] == 17
