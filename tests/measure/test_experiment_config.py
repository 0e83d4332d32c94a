"""``experiments.yaml``: validated with the file, the line and the field."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from shopstream.core import CustomerId, InvalidConfigFile
from shopstream.decide import Activation
from shopstream.experimenting import ExperimentBook
from shopstream.measure import HOLDOUT
from shopstream.measure.experiment_config import parse_experiments
from shopstream.storage.configdir import ConfigDirectory, FileExperiments

GOOD = """\
experiments:
  - id: cart-offer
    salt: "2026-11"
    variants: {control: 1, ten_off: 1}
    holdout: 0.2
    start: 2026-11-01T00:00:00Z
    exposure:
      triggers: [cart-abandon]
  - id: home-recs
    variants: {a: 3, b: 1}
    control: a
    start: 2026-11-01
    exposure: {placements: [home]}
"""


def test_a_good_file() -> None:
    book = parse_experiments(GOOD).by_id()
    offer = book["cart-offer"]
    assert offer.arms == ["control", "ten_off", HOLDOUT]
    assert offer.baseline == "control"
    assert offer.planned() == pytest.approx({"control": 0.4, "ten_off": 0.4, HOLDOUT: 0.2})
    assert book["home-recs"].start == datetime(2026, 11, 1, tzinfo=UTC)
    arms = [offer.arm_of(CustomerId(f"c{i}")) for i in range(2000)]
    assert 0.15 < arms.count(HOLDOUT) / 2000 < 0.25
    assert offer.arm_of(CustomerId("c7")) == offer.arm_of(CustomerId("c7"))  # sticky


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (GOOD.replace("holdout: 0.2", "holdout: 1.5"), "experiments.yaml:5: experiments.0.holdout"),
        (GOOD.replace("{control: 1, ten_off: 1}", "{control: 1, ten_off: -2}"),
         "experiments.yaml:4: experiments.0.variants"),
        (GOOD.replace("control: a", "control: z"), "experiments.yaml:9: experiments.1"),
        (GOOD.replace("id: home-recs", "id: cart-offer"), "experiments.yaml:1: experiments"),
        (GOOD.replace("    exposure: {placements: [home]}\n", ""), "experiments.yaml:9: experiments.1.exposure"),
        (GOOD.replace("start: 2026-11-01T00:00:00Z", "start: someday"),
         "experiments.yaml:6: experiments.0.start"),
        (GOOD.replace("salt:", "sault:"), "experiments.yaml:3: experiments.0.sault"),
    ],
)  # fmt: skip
def test_mistakes_name_file_line_and_field(text: str, where: str) -> None:
    with pytest.raises(InvalidConfigFile) as raised:
        parse_experiments(text)
    assert raised.value.field is not None
    assert raised.value.field.startswith(where), raised.value.field


def test_the_book_reloads_a_changed_file_and_keeps_holdouts_from_delivery(
    tmp_path: Path,
) -> None:
    path = tmp_path / "experiments.yaml"
    book = ExperimentBook(FileExperiments(ConfigDirectory(tmp_path)))
    assert book.current().experiments == []
    path.write_text(GOOD)
    assert list(book.current().by_id()) == ["cart-offer", "home-recs"]
    spec = book.current().by_id()["cart-offer"]
    held = next(c for c in (CustomerId(f"c{i}") for i in range(100)) if spec.arm_of(c) == HOLDOUT)
    kept = next(c for c in (CustomerId(f"c{i}") for i in range(100)) if spec.arm_of(c) != HOLDOUT)
    at = datetime(2026, 11, 2, tzinfo=UTC)

    def activation(customer: CustomerId, trigger: str = "cart-abandon") -> Activation:
        return Activation("k", customer, "email", "message", trigger, None, "d", {}, at)

    check = book.holdout_check()
    assert check(activation(held)) == "held out by experiment cart-offer"
    assert check(activation(kept)) is None
    assert check(activation(held, "other-trigger")) is None
    path.write_text(GOOD.replace("holdout: 0.2", "holdout: 2"))
    with pytest.raises(InvalidConfigFile):
        book.current()
    assert check(activation(held)) == "held out by experiment cart-offer"  # last good file
