"""What staff do to a sale: check it, schedule, suspend, resume and end it.

A sale's state is a handful of timestamps (`scheduled_at`, `suspended_at`, `ended_at`)
read by `Sale.status_at`; each move here sets one of them with a conditional UPDATE that
names the state it starts from, so two staff pressing buttons at once cannot, say, resume
a sale that the other has just ended. The row count says whether the move happened.

No variant may be in two sales whose times overlap (drafts included, so that scheduling
can never create an overlap). The rule spans two tables, so no constraint can hold it;
instead `sale_problems` locks the variants' rows (ordered by id) before it looks for the
other sales. Two saves of overlapping sales of one variant then run one after the other,
and the second sees the first's items.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q
from django.utils import formats, timezone

from apps.accounts.models import User
from apps.core.cache import CATALOG_NAMESPACE, namespace_bump
from apps.core.errors import ApplicationError, Conflict
from apps.sales import selectors
from apps.sales.models import Sale, SaleItem, SaleStatus

logger = logging.getLogger(__name__)


class SaleInvalid(ApplicationError):
    """The sale or its items break a rule; `problems` says which field of which item."""

    code = "sale_invalid"

    def __init__(self, problems: Sequence[SaleProblem]) -> None:
        fields: dict[str, list[str]] = {}
        for problem in problems:
            fields.setdefault(problem.field or "__all__", []).append(problem.message)
        super().__init__(" ".join(problem.message for problem in problems), fields=fields)
        self.problems = list(problems)


class SaleMoveRefused(Conflict):
    """The sale is not in a state this move starts from (or someone else moved it first)."""

    code = "sale_move_refused"


@dataclass(frozen=True)
class SaleProblem:
    """One broken rule: on the sale's `field`, or on the `item`-th item's `field`."""

    message: str
    field: str | None = None
    item: int | None = None


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "j M Y H:i")


def sale_problems(*, sale: Sale, items: Sequence[SaleItem]) -> list[SaleProblem]:
    """Everything wrong with the sale and these items (the ones it is about to have).

    Inside a transaction it locks the items' variants first (see the module's docstring),
    so the answer holds until the transaction commits.
    """
    problems: list[SaleProblem] = []
    starts, ends = sale.starts_at, sale.ends_at
    for name, moment in (("starts_at", starts), ("ends_at", ends)):
        if moment is not None and timezone.is_naive(moment):
            problems.append(SaleProblem("Give the time with its time zone.", field=name))
    times_valid = starts is not None and ends is not None and not problems
    if times_valid and ends <= starts:
        problems.append(SaleProblem("The sale must end after it starts.", field="ends_at"))
        times_valid = False
    if sale.per_customer_limit is not None and sale.per_customer_limit < 1:
        problems.append(
            SaleProblem(
                "The limit per customer must be at least 1 (leave it empty for no limit).",
                field="per_customer_limit",
            )
        )

    seen: dict[int, int] = {}
    for index, item in enumerate(items):
        if item.variant_id is None:
            continue
        variant = item.variant
        if item.variant_id in seen:
            problems.append(
                SaleProblem(f"{variant.sku} is in this sale twice.", field="variant", item=index)
            )
            continue
        seen[item.variant_id] = index
        if item.sale_price is not None and item.sale_price >= variant.price:
            problems.append(
                SaleProblem(
                    f"The sale price of {variant.sku} ({item.sale_price}) must be below "
                    f"its regular price ({variant.price}).",
                    field="sale_price",
                    item=index,
                )
            )
        if item.units is not None and item.units < item.units_sold:
            problems.append(
                SaleProblem(
                    f"{item.units_sold} units of {variant.sku} have already sold in this sale: "
                    "set aside at least that many.",
                    field="units",
                    item=index,
                )
            )

    if times_valid and seen and sale.ended_at is None:
        _lock_variants(seen)
        for other_item in _overlapping_items(sale=sale, variant_ids=seen):
            other = other_item.sale
            problems.append(
                SaleProblem(
                    f"{other_item.variant.sku} is already in the sale “{other.name}” "
                    f"({_when(other.starts_at)} to {_when(other.ends_at)}), whose times "
                    "overlap these. A variant can be in one sale at a time.",
                    field="variant",
                    item=seen[other_item.variant_id],
                )
            )
    return problems


def _lock_variants(variant_ids: Iterable[int]) -> None:
    if not connection.in_atomic_block:
        return
    # The catalog sits above the sales app: its model is reached through the foreign key.
    variants = SaleItem._meta.get_field("variant").related_model._default_manager
    list(
        variants.select_for_update()
        .filter(pk__in=sorted(variant_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _overlapping_items(*, sale: Sale, variant_ids: Iterable[int]) -> list[SaleItem]:
    others = SaleItem.objects.filter(
        variant_id__in=list(variant_ids),
        sale__ended_at__isnull=True,
        sale__starts_at__lt=sale.ends_at,
        sale__ends_at__gt=sale.starts_at,
    ).select_related("sale", "variant")
    if sale.pk is not None:
        others = others.exclude(sale_id=sale.pk)
    return list(others.order_by("variant_id", "sale__starts_at"))


def sale_validate(*, sale: Sale, items: Sequence[SaleItem]) -> None:
    """Raises SaleInvalid, naming every problem, unless the sale and items are fine."""
    problems = sale_problems(sale=sale, items=items)
    if problems:
        raise SaleInvalid(problems)


def sale_changed() -> None:
    """After commit: this process rereads the schedule, and cached catalog pages rebuild.

    Called by every write to a sale. Other processes reread their schedule within
    `selectors.SCHEDULE_SECONDS`; the catalog version is shared, so every page rebuilds.
    """
    transaction.on_commit(selectors.schedule_forget, robust=True)
    transaction.on_commit(lambda: namespace_bump(CATALOG_NAMESPACE), robust=True)


def sale_moves(sale: Sale, now: datetime | None = None) -> tuple[str, ...]:
    """The moves (`schedule`, `suspend`, `resume`, `end`) that apply to the sale now."""
    status = sale.status_at(now)
    return {
        SaleStatus.DRAFT: ("schedule",),
        SaleStatus.SCHEDULED: ("suspend", "end"),
        SaleStatus.LIVE: ("suspend", "end"),
        SaleStatus.SUSPENDED: ("resume", "end"),
        SaleStatus.ENDED: (),
    }[status]


def _refusal(sale: Sale, move: str, now: datetime) -> SaleMoveRefused:
    sale.refresh_from_db()
    status = sale.status_at(now)
    because = {
        SaleStatus.DRAFT: "is still a draft",
        SaleStatus.SCHEDULED: "is already scheduled",
        SaleStatus.LIVE: "is live",
        SaleStatus.ENDED: "has ended",
        SaleStatus.SUSPENDED: "is suspended",
    }[status]
    return SaleMoveRefused(f"“{sale.name}” {because}: it cannot be {move} now.")


def _move(
    *,
    sale: Sale,
    actor: User | None,
    move: str,
    allowed: Q,
    changes: Callable[[datetime], dict[str, datetime | None]],
) -> Sale:
    now = timezone.now()
    updated = Sale.objects.filter(allowed, pk=sale.pk).update(**changes(now), updated_at=now)
    if not updated:
        raise _refusal(sale, move, now)
    sale.refresh_from_db()
    logger.info("Sale %s %s by %s", sale.pk, move, actor.pk if actor else "system")
    sale_changed()
    return sale


@transaction.atomic
def sale_schedule(*, sale: Sale, actor: User | None) -> Sale:
    """Makes a draft public: shoppers see it, and it goes live at its start time."""
    now = timezone.now()
    sale.refresh_from_db()
    if sale.scheduled_at is not None:
        raise _refusal(sale, "scheduled", now)
    items = list(SaleItem.objects.filter(sale=sale).select_related("variant").order_by("id"))
    if not items:
        raise SaleInvalid([SaleProblem("Add at least one item before scheduling the sale.")])
    if sale.ends_at <= now:
        raise SaleInvalid(
            [SaleProblem("The sale's end time has passed: move it before scheduling.", "ends_at")]
        )
    sale_validate(sale=sale, items=items)
    return _move(
        sale=sale,
        actor=actor,
        move="scheduled",
        allowed=Q(scheduled_at__isnull=True),
        changes=lambda at: {"scheduled_at": at},
    )


def _running(now: datetime) -> Q:
    return Q(scheduled_at__isnull=False, ended_at__isnull=True, ends_at__gt=now)


@transaction.atomic
def sale_suspend(*, sale: Sale, actor: User | None) -> Sale:
    """Takes a scheduled or live sale off the shop until it is resumed (its times run on)."""
    return _move(
        sale=sale,
        actor=actor,
        move="suspended",
        allowed=_running(timezone.now()) & Q(suspended_at__isnull=True),
        changes=lambda at: {"suspended_at": at},
    )


@transaction.atomic
def sale_resume(*, sale: Sale, actor: User | None) -> Sale:
    """Puts a suspended sale back: live at once if its times say so."""
    return _move(
        sale=sale,
        actor=actor,
        move="resumed",
        allowed=_running(timezone.now()) & Q(suspended_at__isnull=False),
        changes=lambda at: {"suspended_at": None},
    )


@transaction.atomic
def sale_end(*, sale: Sale, actor: User | None) -> Sale:
    """Ends a scheduled, live or suspended sale now, for good (a draft is deleted instead)."""
    return _move(
        sale=sale,
        actor=actor,
        move="ended",
        allowed=_running(timezone.now()),
        changes=lambda at: {"ended_at": at},
    )
