"""Two sign-ups with one e-mail address at the same moment: one account, one clear refusal."""

from __future__ import annotations

import pytest

from apps.accounts.models import User
from apps.accounts.services import EmailTaken, user_signup
from tests.concurrency import run_together


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_sign_ups_with_one_address_make_one_account_and_refuse_the_other():
    def sign_up(spelling: str):
        return lambda: user_signup(email=spelling, password="a-long-password-9")

    created, errors = run_together([sign_up("Ada@Example.com"), sign_up("ada@example.com ")] * 2)

    assert len(created) == 1
    assert len(errors) == 3
    assert all(isinstance(error, EmailTaken) for error in errors)
    assert User.objects.filter(email="ada@example.com").count() == 1
