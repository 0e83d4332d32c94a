"""Audience CSVs in the Google Customer Match and Meta custom audience formats."""

from __future__ import annotations

import csv
import hashlib
import io

from shopstream.core import CustomerId
from shopstream.deliver import ExportFormat, Recipient, export_csv


def h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


ADA = Recipient(
    CustomerId("c1"),
    {"email": " Ada.Lovelace@Example.COM ", "phone": "(415) 555-0132", "first_name": "Ada",
     "last_name": "Love-Lace", "city": "San Francisco", "state": "CA", "postal_code": "94016",
     "country": "us"},
    {"ads": True},
)  # fmt: skip
ZOE = Recipient(
    CustomerId("c2"),
    {"email": "zoe@example.fr", "firstName": "Zoë", "lastName": "Pérez",
     "address": {"country": "FR", "postal_code": "75001 "}},
    {"ads": True},
)  # fmt: skip
NO_ADS = Recipient(CustomerId("c3"), {"email": "no@example.com"}, {"ads": False})
NEVER_ASKED = Recipient(CustomerId("c4"), {"email": "who@example.com"}, {})


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_google_customer_match_hashes_contacts_and_keeps_country_and_zip_clear() -> None:
    text = export_csv([ADA, ZOE, NO_ADS, NEVER_ASKED], ExportFormat.GOOGLE)
    assert text.splitlines()[0] == "Email,Phone,First Name,Last Name,Country,Zip"
    ada, zoe = rows(text)
    assert ada == {
        "Email": h("ada.lovelace@example.com"), "Phone": h("+14155550132"),
        "First Name": h("ada"), "Last Name": h("love-lace"), "Country": "US", "Zip": "94016",
    }  # fmt: skip
    assert zoe == {"Email": h("zoe@example.fr"), "Phone": "", "First Name": h("zoë"),
                   "Last Name": h("pérez"), "Country": "FR", "Zip": "75001"}  # fmt: skip


def test_meta_hashes_every_normalised_column_but_the_external_id() -> None:
    text = export_csv([ADA, ZOE, NO_ADS], ExportFormat.META)
    assert text.splitlines()[0] == "email,phone,fn,ln,ct,st,zip,country,extern_id"
    ada, zoe = rows(text)
    assert ada == {
        "email": h("ada.lovelace@example.com"), "phone": h("14155550132"), "fn": h("ada"),
        "ln": h("lovelace"), "ct": h("sanfrancisco"), "st": h("ca"), "zip": h("94016"),
        "country": h("us"), "extern_id": "c1",
    }  # fmt: skip
    assert (zoe["fn"], zoe["ln"], zoe["zip"], zoe["country"], zoe["ct"]) == (
        h("zoë"), h("pérez"), h("75001"), h("fr"), "",
    )  # fmt: skip


def test_no_member_who_refused_or_was_never_asked_is_exported() -> None:
    for fmt in ExportFormat:
        assert len(export_csv([NO_ADS, NEVER_ASKED], fmt).splitlines()) == 1
