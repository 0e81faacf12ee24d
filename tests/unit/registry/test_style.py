"""Map styling facts: outlines that keep 3:1 contrast with the base maps."""

import colorsys

from arealkart.registry.style import colours, contrast, outline, style


def test_outlines_have_3_to_1_contrast_with_every_reference_base_map():
    rule = style()["kontrast"]
    fills = {**colours(), **style()["tomtefarger"]}
    for name, fill in fills.items():
        edge = outline(fill)
        assert all(contrast(edge, bg) >= rule["minst"] for bg in rule["bakgrunner"]), name
        if all(contrast(fill, bg) >= rule["minst"] for bg in rule["bakgrunner"]):
            assert edge == fill, name  # a colour that has the contrast is kept
    edge = outline("#e0b000")  # darkened no more than needed: just over 3:1 on the worst
    assert min(contrast(edge, bg) for bg in rule["bakgrunner"]) < 3.1
    assert contrast("#ffffff", "#000000") == 21


def test_outline_keeps_the_hue():
    for fill in ("#e0b000", "#e67e22", "#f4a300", "#fc3"):
        edge = outline(fill)
        full = fill if len(fill) == 7 else "#" + "".join(c * 2 for c in fill[1:])
        h1 = colorsys.rgb_to_hsv(*(int(full[i : i + 2], 16) / 255 for i in (1, 3, 5)))[0]
        h2 = colorsys.rgb_to_hsv(*(int(edge[i : i + 2], 16) / 255 for i in (1, 3, 5)))[0]
        assert abs(h1 - h2) < 0.01, fill
