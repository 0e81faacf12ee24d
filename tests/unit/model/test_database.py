import pytest

from arealkart.errors import ConfigError
from arealkart.model.database import database_label, quoted_name, redacted


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql://kart:s3cr%40t@db.example.no:5433/plan",
            "postgresql://kart:***@db.example.no:5433/plan",
        ),
        ("postgresql://kart@db.example.no/plan", "postgresql://kart@db.example.no/plan"),
        ("postgres://:pw@/plan?host=/run/pg", "postgres://:***@/plan?host=/run/pg"),
        (
            "postgresql:///plan?user=kart&password=pw&sslmode=require",
            "postgresql:///plan?user=kart&password=***&sslmode=require",
        ),
        ("host=db dbname=plan password=pw user=kart", "host=db dbname=plan password=*** user=kart"),
        ("host=db password = 'p w\\'x' dbname=plan", "host=db password = *** dbname=plan"),
        ("service=plan", "service=plan"),
        ("postgresql://u:p@ss@host/db", "postgresql://u:***@host/db"),  # an unencoded @
    ],
)
def test_passwords_are_hidden_in_every_form_of_url(url, shown):
    assert redacted(url) == shown


def test_labels_name_the_database_and_table_or_a_digest_of_the_query():
    assert database_label("postgresql://u:pw@h/plan", "inn.soner") == "postgis:plan.inn.soner"
    assert database_label("dbname=plan host=h", "soner") == "postgis:plan.soner"
    one = database_label("postgresql://h/plan", query="SELECT * FROM a")
    assert one.startswith("postgis:plan.query-") and one != database_label(
        "postgresql://h/plan", query="SELECT * FROM b"
    )


@pytest.mark.parametrize("name", ["soner", "inn.soner", '"Inn"."Soner med rom"', "_a.b$1"])
def test_table_names_are_quoted(name):
    assert quoted_name(name, "x").count('"') >= 2


@pytest.mark.parametrize("name", ["", "a.b.c", "a;drop table b", "1abc", 'a"b', "a..b", "a b"])
def test_anything_but_a_table_name_is_refused(name):
    with pytest.raises(ConfigError, match="not a table name"):
        quoted_name(name, "region.toml")
