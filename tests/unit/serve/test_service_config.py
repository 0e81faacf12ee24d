"""The pygeoapi config of a build: collections, ids, CRSs, texts; serve without its extra."""

from __future__ import annotations

import sys
import tomllib

import pytest

from arealkart.cli.main import main
from arealkart.errors import ConfigError, QueryError
from arealkart.model.output_layers import OUTPUT_LAYERS
from arealkart.model.resources import package_data
from arealkart.model.vocabulary import LANGUAGES
from arealkart.publish.site import foreign_files, read_manifest
from arealkart.registry.style import texts
from arealkart.serve.config import (
    CRS84,
    STORAGE_CRS,
    _texts_of,
    collection_texts,
    service_config,
    service_url,
)

SERVED = ["ledige_arealer", "tomter", "soner", "hensynssoner", "sammendrag"]


@pytest.fixture(scope="module")
def out(demo_build):
    return demo_build.files[0].parent


@pytest.fixture(scope="module")
def config(out):
    return service_config(out, port=8123)


def test_the_service_offers_the_five_layers_in_order_with_their_id_columns(config):
    resources = config["resources"]
    assert list(resources) == SERVED
    for name, resource in resources.items():
        (provider,) = resource["providers"]
        assert provider["name"] == "arealkart.serve.provider.GeoPackageProvider"
        assert provider["table"] == name
        assert provider.get("id_field") == OUTPUT_LAYERS[name].id
        assert provider["storage_crs"] == STORAGE_CRS
        assert provider["crs"] == [CRS84, STORAGE_CRS]
    assert resources["sammendrag"]["providers"][0]["options"] == {
        "id_columns": ["kommunenummer", "kategori"]
    }


def test_the_config_names_the_geopackage_by_its_absolute_path_and_the_url(config, out):
    data = {r["providers"][0]["data"] for r in config["resources"].values()}
    assert data == {str((out / "arealkart.gpkg").resolve())}
    assert config["server"]["url"] == "http://127.0.0.1:8123"
    assert config["server"]["bind"] == {"host": "127.0.0.1", "port": 8123}
    public = service_config(out, url="https://kart.example.no/arealkart/")
    assert public["server"]["url"] == "https://kart.example.no/arealkart"
    assert service_url("::1", 80) == "http://[::1]:80"


def test_titles_are_the_maps_texts_in_every_language_the_main_one_first(config):
    assert config["server"]["languages"] == ["nn", "nb", "en"]  # the demo's maps are nynorsk
    title = config["metadata"]["identification"]["title"]
    assert title == {
        lang: texts(lang)["tittel_region"].format(region="Vest-Telemark") for lang in LANGUAGES
    }
    assert config["resources"]["tomter"]["title"] == {
        lang: texts(lang)["tomter"] for lang in LANGUAGES
    }
    hensyn = config["resources"]["hensynssoner"]["title"]
    assert hensyn["nn"] == "Omsynssoner" and hensyn["en"] == "Constraint zones"


def test_every_served_layer_has_a_title_and_a_description_in_every_language():
    with package_data("tjeneste.toml").open("rb") as fh:
        table = tomllib.load(fh)
    assert list(table["samlinger"]) == SERVED
    for layer in table["samlinger"]:
        words = collection_texts(layer, "Regionen")
        for kind in ("title", "description"):
            assert set(words[kind]) == set(LANGUAGES)
            assert all(text.strip() for text in words[kind].values()), (layer, kind)
        assert words["description"]["nb"] != words["description"]["en"]


def test_extents_are_crs84_boxes_around_the_region(config):
    for name, resource in config["resources"].items():
        west, south, east, north = resource["extents"]["spatial"]["bbox"]
        assert 7 < west < east < 10 and 58.5 < south < north < 60.5, name


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"tittel": "finst_ikkje", "beskrivelse": {}}, "not a key of kart_tekster.toml"),
        ({"tittel": {"nb": "A"}, "beskrivelse": {"nb": "B"}}, "no tittel in 'nn'"),
        ({"tittel": "tomter", "beskrivelse": {"nb": "A"}}, "no beskrivelse in 'nn'"),
    ],
)
def test_incomplete_service_texts_are_config_errors_naming_the_table(spec, message):
    with pytest.raises(ConfigError, match=message) as caught:
        _texts_of(spec, "samlinger.x", "R")
    assert "tjeneste.toml [samlinger.x]" in str(caught.value)


def test_no_build_is_a_query_error(tmp_path):
    with pytest.raises(QueryError, match="no build found"):
        service_config(tmp_path)


def test_the_config_is_one_pygeoapi_accepts(config):
    pytest.importorskip("pygeoapi", reason="the serve extra: pip install 'arealkart[serve]'")
    from pygeoapi.config import validate_config

    assert validate_config(config)


def test_the_service_folder_is_neither_foreign_nor_the_builds(tmp_path, out):
    (tmp_path / "serve").mkdir()
    (tmp_path / "serve" / "pygeoapi.yml").write_text("server: {}\n", encoding="utf-8")
    (tmp_path / "kontakt.html").write_text("<p>Ring oss</p>", encoding="utf-8")
    manifest = read_manifest(out)
    assert foreign_files(tmp_path, manifest) == ["kontakt.html"]


def test_serve_without_its_extra_says_how_to_install_it(capsys, monkeypatch, out):
    monkeypatch.setitem(sys.modules, "pygeoapi", None)  # import pygeoapi raises ImportError
    with pytest.raises(SystemExit) as caught:
        main(["serve", "--from", str(out), "--write-only"])
    assert caught.value.code == 1
    err = capsys.readouterr().err
    assert "needs pygeoapi" in err and "pip install 'arealkart[serve]'" in err
    assert "Traceback" not in err
    assert not (out / "serve").exists()


def test_a_refresh_keeps_the_address_the_service_was_set_up_with(demo_build, tmp_path):
    pytest.importorskip("pygeoapi", reason="the serve extra: pip install 'arealkart[serve]'")
    import shutil

    import yaml

    from arealkart.serve import write_service

    out = tmp_path / "output"
    shutil.copytree(demo_build.files[0].parent, out)
    public = "https://kart.kommune.no/arealkart"
    write_service(out, port=8000, url=public)
    refreshed = write_service(out)  # serve --write-only after a rebuild, no address given
    server = yaml.safe_load(refreshed.config.read_text(encoding="utf-8"))["server"]
    assert server["url"] == public and server["bind"] == {"host": "127.0.0.1", "port": 8000}
    anew = write_service(out, port=8001)  # an address given: it is the one written
    server = yaml.safe_load(anew.config.read_text(encoding="utf-8"))["server"]
    assert server["url"] == "http://127.0.0.1:8001" and server["bind"]["port"] == 8001
