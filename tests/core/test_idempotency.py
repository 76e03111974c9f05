"""Idempotency keys: replay the same request, refuse a different one, one at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.core.idempotency import (
    RETENTION,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    Replay,
    idempotency_begin,
    idempotency_complete,
    idempotency_release,
)
from apps.core.models import IdempotencyRecord
from apps.core.tasks import purge_idempotency_records
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db


def test_the_same_key_and_request_replays_the_stored_response():
    record = idempotency_begin(scope="user:1", key="k1", fingerprint="a")
    assert isinstance(record, IdempotencyRecord)
    idempotency_complete(record=record, status=201, body={"number": "SF-1"})
    replay = idempotency_begin(scope="user:1", key="k1", fingerprint="a")
    assert replay == Replay(status=201, body={"number": "SF-1"})


def test_the_same_key_with_a_different_request_is_refused():
    record = idempotency_begin(scope="user:1", key="k1", fingerprint="a")
    idempotency_complete(record=record, status=201, body={})
    with pytest.raises(IdempotencyKeyReused) as caught:
        idempotency_begin(scope="user:1", key="k1", fingerprint="b")
    assert caught.value.status_code == 422


def test_keys_are_scoped_to_the_caller():
    idempotency_begin(scope="user:1", key="k1", fingerprint="a")
    other = idempotency_begin(scope="user:2", key="k1", fingerprint="a")
    assert isinstance(other, IdempotencyRecord)


def test_a_key_still_in_progress_answers_409_and_a_released_key_can_be_reused():
    record = idempotency_begin(scope="user:1", key="k1", fingerprint="a")
    with pytest.raises(IdempotencyInProgress) as caught:
        idempotency_begin(scope="user:1", key="k1", fingerprint="a")
    assert caught.value.status_code == 409
    idempotency_release(record=record)
    assert isinstance(
        idempotency_begin(scope="user:1", key="k1", fingerprint="a"), IdempotencyRecord
    )


@pytest.mark.parametrize("key", ["", "x" * 256])
def test_a_malformed_key_is_a_400(key):
    with pytest.raises(ApplicationError, match="Idempotency-Key must be") as caught:
        idempotency_begin(scope="user:1", key=key, fingerprint="a")
    assert caught.value.status_code == 400


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_key_arriving_twice_at_once_runs_once():
    results, errors = run_together(
        [lambda: idempotency_begin(scope="user:1", key="k", fingerprint="a")] * 2
    )
    assert len(results) == 1
    assert isinstance(results[0], IdempotencyRecord)
    assert len(errors) == 1
    assert isinstance(errors[0], IdempotencyInProgress)


def test_a_key_past_its_retention_is_free_again_even_before_the_purge():
    record = idempotency_begin(scope="user:1", key="k1", fingerprint="a")
    idempotency_complete(record=record, status=201, body={"number": "SF-1"})
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - RETENTION - timedelta(minutes=1)
    )

    again = idempotency_begin(scope="user:1", key="k1", fingerprint="b")

    assert isinstance(again, IdempotencyRecord)
    assert again.state == IdempotencyRecord.State.IN_PROGRESS
    assert IdempotencyRecord.objects.count() == 1


def test_claiming_a_new_key_is_one_insert(django_assert_num_queries):
    # The purge of old keys runs on a schedule, not in front of every request; a taken key
    # is told by INSERT ... ON CONFLICT DO NOTHING, with no savepoint around it.
    with django_assert_num_queries(1):
        idempotency_begin(scope="user:1", key="k1", fingerprint="a")


def test_the_purge_task_deletes_only_keys_past_their_retention_and_can_run_twice():
    old = idempotency_begin(scope="user:1", key="old", fingerprint="a")
    IdempotencyRecord.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - RETENTION - timedelta(minutes=1)
    )
    idempotency_begin(scope="user:1", key="new", fingerprint="a")

    assert purge_idempotency_records() == 1
    assert purge_idempotency_records() == 0
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
