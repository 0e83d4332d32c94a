from __future__ import annotations

from datetime import UTC, datetime

from shopstream.core import CustomerId, ProductId
from shopstream.recommend import Behaviour, Interaction
from shopstream.recommend.evaluation import NextItemTask, next_basket_task, next_item_task

CUT = datetime(2011, 11, 1, tzinfo=UTC)
T0 = CUT.timestamp()


def line(who: str, item: str, at: float, invoice: str) -> Interaction:
    return Interaction(CustomerId(who), ProductId(item), Behaviour.ORDER, at, order_id=invoice)


def test_protocol_r_targets_the_first_invoice_after_the_cut_off() -> None:
    rows = [
        line("1", "a", T0 - 100, "100"),
        line("1", "b", T0 - 50, "101"),
        line("2", "a", T0 - 10, "102"),
        line("1", "c", T0 + 60, "201"),  # same time as 200: ties by invoice number
        line("1", "d", T0 + 60, "200"),
        line("1", "d", T0 + 60, "200"),  # duplicated line: one target item
        line("1", "e", T0 + 60, "200"),
        line("1", "f", T0 + 999, "202"),
        line("3", "a", T0 + 5, "203"),  # no train invoice: not a target customer
        line("2", "z", T0, "204"),  # at the cut-off counts as after; z unseen in train
    ]
    task = next_basket_task("R", rows, CUT)
    assert [i.order_id for i in task.train] == ["100", "101", "102"]
    assert task.candidates == {"a", "b"}
    assert [(sorted(r.target), [i.order_id for i in r.history]) for r in task.requests()] == [
        (["d", "e"], ["100", "101"]),
        (["z"], ["102"]),
    ]
    assert task.counts["target_customers"] == 2


def test_protocol_r_validation_stops_at_the_end() -> None:
    rows = [line("1", "a", T0 - 100, "100"), line("1", "b", T0 + 10, "101")]
    task = next_basket_task("R-validation", rows, datetime(2011, 10, 1, tzinfo=UTC), end=CUT)
    assert task.baskets == ()


def event(who: str, item: str, at: float) -> Interaction:
    return Interaction(CustomerId(who), ProductId(item), Behaviour.VIEW, at)


def test_protocol_t_cuts_at_the_event_at_position_floor_0_8_n() -> None:
    events = [event("u", f"p{i}", float(i // 2)) for i in range(10)]  # times 0,0,1,1,...,4,4
    task = next_item_task("T", events)
    assert task.cutoff == 4.0  # event 8's time
    assert len(task.train) == 8 and len(task.test) == 2


def test_protocol_t_streams_predictions_and_reveals_events_to_the_learner() -> None:
    train = [event("u", "a", 0), event("v", "b", 1), event("u", "c", 2), event("w", "a", 3)]
    test = [
        event("u", "b", 4),  # predicted from u's train history
        event("x", "a", 5),  # x has no earlier event: not predicted
        event("x", "new", 6),  # new is not a train item: not predicted, excluded from now on
        event("x", "c", 7),  # predicted: x's earlier test events count as history
        event("u", "b", 8),
    ]
    task = NextItemTask("T", tuple(train), tuple(test), frozenset(ProductId(p) for p in "abc"), 4.0)
    learnt: list[str] = []

    class Recorder:
        def partial_fit(self, interaction: Interaction) -> None:
            learnt.append(interaction.product_id)

    seen = [
        (
            [i.product_id for i in request.history],
            sorted(request.target),
            sorted(request.exclude),
            list(learnt),
        )
        for request in task.requests(Recorder())
    ]
    assert seen == [
        (["a", "c"], ["b"], [], []),
        (["a", "new"], ["c"], ["new"], ["b", "a", "new"]),
        (["a", "c", "b"], ["b"], ["new"], ["b", "a", "new", "c"]),
    ]
