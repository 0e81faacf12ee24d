"""The report (rapport): its figures are sammendrag.csv's, its texts are whole, its input
text is escaped, and it is written where the maps' rules say, linked to its twins and maps.
"""

from __future__ import annotations

import base64
import re
import tomllib
from dataclasses import fields, replace
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from arealkart.available.parameters import Parameters
from arealkart.cli.main import main
from arealkart.errors import ConfigError
from arealkart.model.resources import package_data
from arealkart.model.vocabulary import BUILDING_CATEGORIES, LANGUAGES, PLOT_STATUSES
from arealkart.publish.outputs import write_outputs
from arealkart.publish.report import REPORTS, report_folder, report_html, write_reports
from arealkart.publish.site import read_manifest
from arealkart.publish.summary import COLUMNS, MIXED_USES, summarise
from arealkart.registry.style import format_number, texts

SLUGS = ("vest-telemark", "seljord", "kviteseid", "nissedal", "fyresdal", "tokke", "vinje")


class Cells(HTMLParser):
    """Every table cell of a page: its attributes and its text; and the page's ``lang``."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[dict[str, str], str]] = []
        self.lang: str | None = None
        self._open: dict[str, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag in ("td", "th"):
            self._open, self._text = dict(attrs), []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._open is not None:
            self.cells.append((self._open, "".join(self._text)))
            self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._text.append(data)


def cells_of(page: str) -> Cells:
    parser = Cells()
    parser.feed(page)
    return parser


@pytest.fixture(scope="module")
def out(demo_build) -> Path:
    return demo_build.files[0].parent


@pytest.fixture(scope="module")
def sammendrag(out) -> pd.DataFrame:
    return pd.read_csv(out / "sammendrag.csv", dtype={"kommunenummer": str})


def page_path(out: Path, slug: str, lang: str, main: str = "nn") -> Path:
    return out / report_folder(lang, main) / f"{slug}.html"


# --- the figures are sammendrag.csv's -----------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("slug", ["vest-telemark", "vinje", "tokke"])
def test_every_figure_of_the_report_equals_sammendrag_csv(out, sammendrag, slug, lang):
    page = cells_of(page_path(out, slug, lang).read_text(encoding="utf-8"))
    checked = set()
    for attrs, text in page.cells:
        column = attrs.get("data-felt")
        if column not in COLUMNS:
            continue
        rows = sammendrag[sammendrag["kommunenummer"] == attrs["data-kommunenummer"]]
        if attrs["data-kategori"] != "*":
            rows = rows[rows["kategori"] == attrs["data-kategori"]]
        assert len(rows), attrs
        decimals = 1 if column.endswith("_daa") else 0
        assert text == format_number(rows[column].sum(), lang, decimals), (attrs, text)
        checked.add(column)
    shown = set(COLUMNS) - {"kommunenummer", "kommune", "kategori", "ledig_m2"}
    assert checked == shown


def test_the_region_report_has_every_municipality_and_category_of_sammendrag(out, sammendrag):
    page = cells_of(page_path(out, "vest-telemark", "nn").read_text(encoding="utf-8"))
    free = {
        (a["data-kommunenummer"], a["data-kategori"]): text
        for a, text in page.cells
        if a.get("data-felt") == "ledig_daa"
    }
    for row in sammendrag.itertuples():
        assert free[(row.kommunenummer, row.kategori)] == format_number(row.ledig_daa, "nn", 1)


def test_plots_by_status_add_up_to_the_summary_and_match_the_plots(demo_build, out):
    plots = demo_build.result.plots
    for slug in ("vest-telemark", "vinje"):
        page = cells_of(page_path(out, slug, "en").read_text(encoding="utf-8"))
        rows: dict[tuple[str, str], dict[str, int]] = {}
        for attrs, text in page.cells:
            if "data-status" not in attrs and attrs.get("data-felt") not in (
                "ledige_tomter",
                "tomter",
            ):
                continue
            key = (attrs["data-kommunenummer"], attrs["data-kategori"])
            what = attrs.get("data-status") or attrs["data-felt"]
            rows.setdefault(key, {})[what] = int(text.replace(",", ""))
        assert rows
        for (number, category), row in rows.items():
            assert (
                row["ledige_tomter"] + row["reservert"] + row["solgt"] + row["bebygd"]
                == row["tomter"]
            )
            part = plots if number == "0000" else plots[plots["kommunenummer"] == number]
            part = part[part["kategori"].isin(BUILDING_CATEGORIES)]
            if category != "*":
                part = part[part["kategori"] == category]
            for status in PLOT_STATUSES[1:]:
                assert row[status] == (part["status"] == status).sum(), (number, category, status)


def test_mixed_zones_by_planned_use_add_up_to_the_summary(out, sammendrag):
    page = cells_of(page_path(out, "vest-telemark", "nb").read_text(encoding="utf-8"))
    mixed = sum(
        int(text)
        for attrs, text in page.cells
        if attrs.get("data-kombinasjon") == "*" and attrs.get("data-bruk") in MIXED_USES
    )
    region = sammendrag[sammendrag["kommunenummer"] == "0000"]
    assert mixed == region["blandede_soner"].sum() > 0


def test_the_most_attractive_areas_come_by_score_then_id(demo_build, out):
    free = demo_build.result.free
    if "poeng" not in free.columns:
        pytest.skip("this build has no attractiveness score")
    page = page_path(out, "vinje", "nn").read_text(encoding="utf-8")
    ids = re.findall(r'data-ledig_id="([^"]+)"', page)
    vinje = free[(free["kommunenummer"] == "4036") & free["poeng"].notna()]
    expected = []
    for category in BUILDING_CATEGORIES:
        part = vinje[vinje["kategori"] == category]
        part = part.assign(neg=-part["poeng"]).sort_values(["neg", "ledig_id"])
        expected += list(part["ledig_id"][:10])
    assert ids == expected


def test_without_a_score_the_report_says_so(demo_build):
    free = demo_build.result.free.drop(columns=["poeng", "rang"], errors="ignore")
    plain = replace(demo_build, result=replace(demo_build.result, free=free))
    for lang in LANGUAGES:
        page = report_html(plain, "vinje", lang)
        assert tomllib_texts()[lang]["ingen_poeng"] in page


def test_a_build_with_no_free_land_and_no_plots_still_reports(demo_build):
    result = demo_build.result
    empty = replace(result, free=result.free.iloc[0:0], plots=result.plots.iloc[0:0])
    zones = empty.zones.assign(ledig_m2=0.0, tomter_estimert=0)
    empty = replace(empty, zones=zones)
    bare = replace(demo_build, result=empty, summary=summarise(empty, "Vest-Telemark"))
    page = report_html(bare, "vest-telemark", "en")
    assert texts("en")["ingen_ledig"] in page
    assert tomllib_texts()["en"]["ingen_tomter"] in page
    assert "<img" not in page


# --- texts and languages ----------------------------------------------------------------------


def tomllib_texts() -> dict[str, dict[str, str]]:
    with package_data("rapport_tekster.toml").open("rb") as fh:
        return tomllib.load(fh)


def test_every_language_has_the_same_report_texts_and_none_of_the_maps():
    table = tomllib_texts()
    assert set(table) == set(LANGUAGES)
    keys = set(table["nb"])
    for lang in LANGUAGES:
        assert set(table[lang]) == keys, lang
        assert not keys & set(texts(lang)), "a key of kart_tekster.toml"
        for key, value in table[lang].items():
            assert set(re.findall(r"\{(\w+)\}", value)) == set(
                re.findall(r"\{(\w+)\}", table["nb"][key])
            ), (lang, key)


def test_every_parameter_of_the_rule_has_a_name_in_every_language():
    table = tomllib_texts()
    for lang in LANGUAGES:
        missing = [f.name for f in fields(Parameters) if f"param_{f.name}" not in table[lang]]
        assert missing == [], lang


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_language_s_pages_speak_it_and_leave_no_placeholder(out, lang):
    own = {**texts(lang), **tomllib_texts()[lang]}
    for slug in ("vest-telemark", "vinje"):
        page = page_path(out, slug, lang).read_text(encoding="utf-8")
        assert cells_of(page).lang == lang
        assert not re.search(r"\{\w+\}", page)
        shown = re.sub(r"<[^>]+>", " ", page)
        assert (
            own["rapport_tittel"].format(namn="Vinje" if slug == "vinje" else "Vest-Telemark")
            in shown
        )
        for other in LANGUAGES:
            if other == lang:
                continue
            foreign = [
                value
                for key, value in tomllib_texts()[other].items()
                if "{" not in value
                and len(value) > 12
                and value not in own.values()
                and value in shown
            ]
            assert foreign == [], (other, foreign)


# --- input text is data -----------------------------------------------------------------------


SCRIPT = '<script>alert("plan")</script>'
IMAGE = '"><img src=x onerror=alert(1)>'


def test_text_from_input_files_is_escaped(demo_build):
    free = demo_build.result.free.assign(plan_navn=f"{SCRIPT} plan", feltnavn=IMAGE)
    if "poeng" not in free.columns:  # the names show in the list of the most attractive
        free = free.assign(poeng=50.0)
    summary = demo_build.summary.assign(kommune=demo_build.summary["kommune"] + " <b>")
    hostile = replace(
        demo_build,
        config=replace(demo_build.config, navn="Vest-Telemark <script>x</script>"),
        result=replace(demo_build.result, free=free),
        summary=summary,
    )
    for slug in ("vest-telemark", "vinje"):
        page = report_html(hostile, slug, "nn")
        assert "<script" not in page and "<img src=x" not in page and "<b>" not in page
        assert "&lt;script&gt;alert(&quot;plan&quot;)&lt;/script&gt; plan" in page
        assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
        assert "Vest-Telemark &lt;script&gt;x&lt;/script&gt;" in page


# --- the page itself ----------------------------------------------------------------------------


def test_a_page_is_self_contained_with_charts_and_tables(out):
    page = page_path(out, "vest-telemark", "nn").read_text(encoding="utf-8")
    assert "<script" not in page
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page), "nothing from the network"
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"[^>]* alt="([^"]+)"', page)
    assert len(images) == 2  # free land and plots, per municipality
    for data, alt in images:
        assert base64.b64decode(data).startswith(b"\x89PNG")
        assert len(alt) > 40
    assert page.count("<caption") == page.count("<table") >= 10
    assert 'scope="col"' in page and 'scope="row"' in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_the_same_build_writes_the_same_bytes(demo_build, tmp_path):
    first = write_reports(tmp_path / "a", demo_build, ["en"])
    second = write_reports(tmp_path / "b", demo_build, ["en"])
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_an_unknown_scope_or_language_is_refused(demo_build):
    with pytest.raises(ConfigError, match=r"unknown scope 'telemark'; expected one of"):
        report_html(demo_build, "telemark", "nn")
    with pytest.raises(ConfigError, match=r"unknown language 'se'"):
        report_html(demo_build, "vinje", "se")
    assert 'lang="en"' in report_html(demo_build, "4036", "en")  # a municipality's number


# --- where it goes, and its links ----------------------------------------------------------------


def test_a_build_writes_every_scope_in_every_language_with_links_that_resolve(out):
    manifest = read_manifest(out).paths()
    for lang in LANGUAGES:
        for slug in SLUGS:
            path = page_path(out, slug, lang)
            assert path.relative_to(out).as_posix() in manifest
            page = path.read_text(encoding="utf-8")
            for href in re.findall(r'href="([^"#]+)"', page):
                assert (path.parent / href).resolve().is_file(), (path, href)
            twins = re.findall(r'hreflang="(\w+)"', page)
            assert sorted(twins) == sorted(set(LANGUAGES) - {lang})
            assert f'href="{"../" * (len(report_folder(lang, "nn").parts))}kart/' in page


def test_the_report_alone_links_no_map_and_a_later_build_links_both(demo_build, tmp_path):
    written = write_outputs(demo_build, tmp_path, lang="en", parts=["rapport"])
    assert {p.relative_to(tmp_path).parts[0] for p in written} == {REPORTS.name}
    page = (tmp_path / "rapport" / "en" / "vinje.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert not [h for h in hrefs if "kart/" in h or "issues.csv" in h]
    assert not re.search(r'hreflang="(nn|nb)"', page)
    write_outputs(demo_build, tmp_path, lang="en", parts=["tables", "maps"])
    write_outputs(demo_build, tmp_path, lang="nn", parts=["rapport"])  # the kept en twin
    page = (tmp_path / "rapport" / "vinje.html").read_text(encoding="utf-8")
    assert 'href="en/vinje.html"' in page and 'href="../issues.csv"' in page
    assert "../kart/vinje.html" not in page  # no nynorsk map was written
    assert (tmp_path / "rapport" / "en" / "vinje.html").is_file()


def test_a_report_built_later_links_its_kept_twin_on_every_scope(demo_build, tmp_path):
    write_outputs(demo_build, tmp_path, lang="nn", parts=["rapport"])
    write_outputs(demo_build, tmp_path, lang="en", parts=["rapport"])  # nn's reports are kept
    for slug in ("vest-telemark", "vinje", "seljord"):  # the region's page, as its towns'
        english = (tmp_path / "rapport" / "en" / f"{slug}.html").read_text(encoding="utf-8")
        assert re.findall(r'hreflang="(\w+)"', english) == ["nn"], slug
        assert f'href="../{slug}.html"' in english, slug


def test_arealkart_report_writes_only_the_report(capsys, tmp_path):
    try:
        main(["report", "--output", str(tmp_path), "--workers", "1", "--lang", "nb"])
        code = 0
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out.startswith(f"Wrote {len(SLUGS)} report pages to ")
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert written == {"manifest.json", *(f"rapport/nb/{s}.html" for s in SLUGS)}


@pytest.mark.parametrize(
    ("totals", "decimals"), [([2.4, 0.8, 1.1, 0.3], 1), ([0.04, 0.02], 1), ([3, 1, 7], 0)]
)
def test_a_charts_axis_labels_are_as_fine_as_its_ticks(totals, decimals):
    from matplotlib.figure import Figure

    from arealkart.publish.report._charts import _finish

    ax = Figure().add_subplot()
    ax.barh(range(len(totals)), totals)
    _finish(ax, [f"r{i}" for i in range(len(totals))], totals, "daa", "nn", decimals)
    ticks = ax.get_xticks()
    labels = [ax.xaxis.get_major_formatter()(v, i) for i, v in enumerate(ticks)]
    assert len(set(labels)) == len(labels), labels  # no two ticks read the same
    if decimals == 0:
        assert all(float(v).is_integer() for v in ticks)
