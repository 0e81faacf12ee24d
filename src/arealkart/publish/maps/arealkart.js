/* arealkart: the browser side of arealkart's maps (Leaflet 1.9, canvas renderer).
 *
 * arealkart.init(map, data) draws the compact layers written by arealkart.maps
 * (polyline6 geometry, columnar properties), styles them from their category and status,
 * builds popups and tooltips lazily (only for the feature the user touches), and adds the
 * title, legend, summary, filters, search and the other controls.  The state is kept on
 * window.arealkart for tests and curious users: drawn() counts the features drawn per
 * layer; ready and drawnAt say when the first full drawing was done.
 */
(function () {
  "use strict";

  var ORDER = ["grenser", "bebygd", "blokkert", "bolig", "fritid", "kombinert", "naering", "tomter"];
  var AREA_STATUSES = ["ledig", "delvis_utbygd", "utbygd", "blokkert", "ikke_byggeland"];
  var PLOT_STATUSES = ["ledig", "reservert", "solgt", "bebygd"];

  // --- decoding -------------------------------------------------------------------------

  function decodeValues(text) {
    var values = [], index = 0, length = text.length;
    while (index < length) {
      var result = 0, shift = 0, b;
      do {
        b = text.charCodeAt(index++) - 63;
        result |= (b & 31) << shift;
        shift += 5;
      } while (b >= 32);
      values.push(result & 1 ? ~(result >> 1) : result >> 1);
    }
    return values;
  }

  function decodeRing(text) {
    var values = decodeValues(text), out = [], lat = 0, lng = 0;
    for (var i = 0; i < values.length; i += 2) {
      lat += values[i];
      lng += values[i + 1];
      out.push([lat / 1e6, lng / 1e6]);
    }
    return out;
  }

  function decodeGeometry(geom) {
    if (typeof geom === "string") { return decodeRing(geom); }
    return geom.map(function (polygon) { return polygon.map(decodeRing); });
  }

  function decodeColumns(props) {
    var out = {};
    Object.keys(props || {}).forEach(function (name) {
      var col = props[name];
      out[name] = Array.isArray(col) ? col : col.i.map(function (i) { return i < 0 ? null : col.d[i]; });
    });
    return out;
  }

  // --- formatting -----------------------------------------------------------------------

  function escapeHtml(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c];
    });
  }

  function formatter(T) {
    return function (x, decimals) {
      var parts = Math.abs(x).toFixed(decimals).split(".");
      parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, T.tusenskille);
      return (x < 0 ? "-" : "") + parts.join(T.desimaltegn);
    };
  }

  // --- shapes ---------------------------------------------------------------------------

  // A polygon that is drawn as a dot when it is too small to see at the current zoom, so
  // free land stays visible on a whole-region map.  It also projects lazily: a zoom only
  // scales its bounding box (projected once, at zoom 0); its rings are projected only when
  // it is in view and big enough to be drawn as a shape.  That keeps a zoom or a pan of a
  // 50 000-area map at a fraction of Leaflet's cost of projecting every vertex.
  var DOT_PARTS = [[null]];
  var Area = L.Polygon.extend({
    _project: function () {
      var map = this._map;
      if (!this._box0) {
        var b = this.getBounds(), nw = map.project(b.getNorthWest(), 0), se = map.project(b.getSouthEast(), 0);
        this._box0 = [nw.x, nw.y, se.x, se.y];
      }
      var s = map.getZoomScale(map.getZoom(), 0), o = map.getPixelOrigin(), b0 = this._box0;
      var x0 = b0[0] * s - o.x, y0 = b0[1] * s - o.y, x1 = b0[2] * s - o.x, y1 = b0[3] * s - o.y;
      this._rings = null;
      this._dot = null;
      if (this.options.dotBelow && x1 - x0 < this.options.dotBelow && y1 - y0 < this.options.dotBelow) {
        var r = this.options.dotRadius + this._clickTolerance(), cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
        this._rawPxBounds = null;
        this._dot = L.point(cx, cy);
        this._pxBounds = L.bounds([cx - r, cy - r], [cx + r, cy + r]);
      } else {
        this._rawPxBounds = L.bounds([x0, y0], [x1, y1]);
        L.Polygon.prototype._updateBounds.call(this);
      }
    },
    _updateBounds: function () {
      if (!this._dot) { L.Polygon.prototype._updateBounds.call(this); }
    },
    _update: function () {
      if (!this._map) { return; }
      this._clipPoints();
      if (!this._dot) { this._simplifyPoints(); }
      this._updatePath();
    },
    _clipPoints: function () {
      var bounds = this._renderer._bounds;
      this._parts = [];
      if (!this._pxBounds || !this._pxBounds.intersects(bounds)) { return; }
      if (this._dot) {
        this._parts = DOT_PARTS;
        return;
      }
      if (!this._rings) {
        this._rings = [];
        this._projectLatlngs(this._latlngs, this._rings, new L.Bounds());
      }
      L.Polygon.prototype._clipPoints.call(this);
    },
    _updatePath: function () {
      if (!this._dot) { return L.Polygon.prototype._updatePath.call(this); }
      var renderer = this._renderer, o = this.options;
      if (!renderer._drawing || !this._parts.length) { return; }
      var r = o.dotRadius + (o.weight > 1 ? 1 : 0);
      renderer._akDot(this._dot.x, this._dot.y, r, o.fillColor, Math.min(1, o.fillOpacity + 0.3), o.color);
    },
    _empty: function () { return !this._parts.length; },
    _containsPoint: function (p) {
      if (this._dot) { return p.distanceTo(this._dot) <= this.options.dotRadius + this._clickTolerance(); }
      return L.Polygon.prototype._containsPoint.call(this, p);
    }
  });

  var PLOT_SHAPES = {ledig: "circle", reservert: "diamond", solgt: "struck", bebygd: "square"};
  var Plot = L.CircleMarker.extend({
    _updatePath: function () { this._renderer._akShape(this, PLOT_SHAPES[this.options.status] || "circle"); }
  });

  // A canvas renderer that fills runs of same-coloured dots with one fill() call: the
  // region map of 50 000 areas is mostly dots.
  function batchingCanvas(options) {
    var renderer = L.canvas(options), pending = null;
    function flush() {
      if (!pending) { return; }
      var ctx = renderer._ctx, dots = pending.dots, n;
      if (pending.edge) {  // a ring of the outline colour gives a light dot its contrast
        ctx.beginPath();
        for (n = 0; n < dots.length; n += 3) {
          ctx.moveTo(dots[n] + dots[n + 2] + 1, dots[n + 1]);
          ctx.arc(dots[n], dots[n + 1], dots[n + 2] + 1, 0, Math.PI * 2, false);
        }
        ctx.globalAlpha = 1;
        ctx.fillStyle = pending.edge;
        ctx.fill();  // two fills cost far less than one stroke of thousands of arcs
      }
      ctx.beginPath();
      for (n = 0; n < dots.length; n += 3) {
        ctx.moveTo(dots[n] + dots[n + 2], dots[n + 1]);
        ctx.arc(dots[n], dots[n + 1], dots[n + 2], 0, Math.PI * 2, false);
      }
      ctx.globalAlpha = pending.alpha;
      ctx.fillStyle = pending.colour;
      ctx.fill();
      pending = null;
    }
    renderer._akDot = function (x, y, r, colour, alpha, edge) {
      if (!pending || pending.colour !== colour || pending.alpha !== alpha || pending.edge !== edge) {
        flush();
        pending = {colour: colour, alpha: alpha, edge: edge, dots: []};
      }
      pending.dots.push(x, y, r);
    };
    // a plot's status is its shape as well as its colour (WCAG 1.4.1): ledig a circle,
    // reservert a diamond, solgt a circle struck through, bebygd a square
    renderer._akShape = function (layer, shape) {
      if (!this._drawing || layer._empty()) { return; }
      flush();
      var ctx = this._ctx, p = layer._point, r = Math.max(Math.round(layer._radius), 1);
      ctx.beginPath();
      if (shape === "square") {
        ctx.rect(p.x - r * 0.9, p.y - r * 0.9, r * 1.8, r * 1.8);
      } else if (shape === "diamond") {
        ctx.moveTo(p.x, p.y - r * 1.25);
        ctx.lineTo(p.x + r * 1.25, p.y);
        ctx.lineTo(p.x, p.y + r * 1.25);
        ctx.lineTo(p.x - r * 1.25, p.y);
        ctx.closePath();
      } else {
        ctx.arc(p.x, p.y, r, 0, Math.PI * 2, false);
      }
      this._fillStroke(ctx, layer);
      if (shape === "struck") {
        ctx.beginPath();
        ctx.moveTo(p.x - r * 0.7, p.y - r * 0.7);
        ctx.lineTo(p.x + r * 0.7, p.y + r * 0.7);
        ctx.moveTo(p.x + r * 0.7, p.y - r * 0.7);
        ctx.lineTo(p.x - r * 0.7, p.y + r * 0.7);
        ctx.globalAlpha = 1;
        ctx.strokeStyle = "#ffffff";
        ctx.lineWidth = 1.5;
        ctx.stroke();
      }
    };
    ["_updatePoly", "_updateCircle"].forEach(function (name) {
      var base = renderer[name];
      renderer[name] = function (layer, closed) {
        if (this._drawing) { flush(); }
        return base.call(this, layer, closed);
      };
    });
    // Leaflet's Canvas._draw, with the last run of dots filled before the clip is undone
    renderer._draw = function () {
      var layer, bounds = this._redrawBounds, ctx = this._ctx;
      ctx.save();
      if (bounds) {
        var size = bounds.getSize();
        ctx.beginPath();
        ctx.rect(bounds.min.x, bounds.min.y, size.x, size.y);
        ctx.clip();
      }
      this._drawing = true;
      for (var order = this._drawFirst; order; order = order.next) {
        layer = order.layer;
        if (!bounds || (layer._pxBounds && layer._pxBounds.intersects(bounds))) { layer._updatePath(); }
      }
      flush();
      this._drawing = false;
      ctx.restore();
    };
    return renderer;
  }

  function stripes(colour) {
    var canvas = document.createElement("canvas");
    canvas.width = canvas.height = 8;
    var ctx = canvas.getContext("2d");
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2.2;
    ctx.beginPath();
    ctx.moveTo(0, 8); ctx.lineTo(8, 0);
    ctx.moveTo(-2, 2); ctx.lineTo(2, -2);
    ctx.moveTo(6, 10); ctx.lineTo(10, 6);
    ctx.stroke();
    return ctx.createPattern(canvas, "repeat");
  }

  function isDrawn(layer) {
    if (!layer._map) { return false; }
    if (layer._parts) { return layer._parts.length > 0; }
    return layer._point ? !layer._empty() : false;
  }

  // --- the map --------------------------------------------------------------------------

  function init(map, data) {
    var T = data.t, fmt = formatter(T), S = data.style;
    var state = {map: map, data: data, groups: {}, items: [], ready: false, drawnAt: null};
    window.arealkart = state;
    // a finger is broad: on a phone a tap up to 12 px beside a small area or plot hits it
    var renderer = batchingCanvas({padding: 0.2, tolerance: phone() ? 12 : 3});
    state.renderer = renderer;
    // the plugins' own shapes (measure vertices, the locate circle) are SVG: leaflet-measure
    // reads their SVG paths and fails on canvas ones
    map.options.renderer = L.svg();
    var groups = state.groups;
    ORDER.forEach(function (key) { groups[key] = L.featureGroup(); });

    // every layer's columns, decoded once; the controls read them from state.columns
    var columns = state.columns = {};
    Object.keys(data.layers).forEach(function (key) { columns[key] = decodeColumns(data.layers[key].props); });
    // i: the feature's row in the page's columns, or (a page drawn from vector tiles) the
    // properties of the tile feature itself
    function value(layerKey, name, i) {
      if (i !== null && typeof i === "object") { return i[name] === undefined ? null : i[name]; }
      var col = columns[layerKey][name];
      return col ? col[i] : null;
    }
    function label(v) { return v === null || v === undefined ? "" : (T[v] || String(v)); }
    function show(v, kind) {
      if (kind === "yesno") { return v === null || v === undefined ? T.ukjent : (v ? T.ja : T.nei); }
      if (kind === "daa") { return fmt(v / 1000, 1); }
      if (kind === "int") { return fmt(v, 0); }
      if (kind === "score") { return fmt(v, 1); }
      if (kind === "value") { return label(v); }
      return String(v);
    }

    function popupHtml(layer) {
      var spec = data.layers[layer.akLayer], i = layer.akIndex, rows = [];
      spec.popup.forEach(function (row) {
        var v = value(layer.akLayer, row[0], i);
        if ((v === null || v === undefined || v === "") && row[2] !== "yesno") { return; }
        var text = row[2] === "distances" ? distancesText(layer.akLayer, i, v) :
          row[2] === "rank" ? rankText(layer.akLayer, i, v) : show(v, row[2]);
        if (text === "") { return; }
        if (row[2] === "distances") {  // the whole width below its heading: it is long
          rows.push("<tr><th colspan=\"2\">" + escapeHtml(T[row[1]]) + "</th></tr>" +
            "<tr><td colspan=\"2\" class=\"ak-distances\">" + escapeHtml(text) + "</td></tr>");
          return;
        }
        rows.push("<tr><th>" + escapeHtml(T[row[1]]) + "</th><td>" + escapeHtml(text) + "</td></tr>");
      });
      var head = layer.akLayer === "tomter" ? T.tomt : data.names[layer.akGroup];
      var id = value(layer.akLayer, "id", i), link = "";
      if (id !== null && id !== undefined) {
        link = "<p class=\"ak-popup-link\"><a href=\"#" + escapeHtml(encodeURIComponent(id)) + "\">" + escapeHtml(T.lenke_hit) + "</a></p>";
      }
      return "<div class=\"ak-popup\"><div class=\"ak-popup-head\" style=\"border-color:" +
        escapeHtml(layer.akColour) + "\">" + escapeHtml(head) + "</div><table>" + rows.join("") + "</table>" +
        nextStepHtml(layer) + link + "</div>";
    }

    // "4 av 37": the rank among the ranked land of the same municipality and category
    var ranked = {};
    function rankText(key, i, rank) {
      if (typeof i === "object") {  // a tile feature carries the count of its group
        return T.rang_av.replace("{rang}", fmt(rank, 0)).replace("{totalt}", fmt(value(key, "rang_totalt", i) || 0, 0));
      }
      var cols = columns[key], group = function (j) { return value(key, "kommunenummer", j) + "|" + value(key, "kategori", j); };
      if (!ranked[key]) {
        ranked[key] = {};
        (cols.rang || []).forEach(function (r, j) {
          if (r !== null && r !== undefined) { ranked[key][group(j)] = (ranked[key][group(j)] || 0) + 1; }
        });
      }
      return T.rang_av.replace("{rang}", fmt(rank, 0)).replace("{totalt}", fmt(ranked[key][group(i)] || 0, 0));
    }

    // "Sentrum 1,2 km · Skule 0,8 km · … (i luftline)": the nearest place of each kind, each
    // kept on one line (no-break spaces), the lines broken only between them
    function distancesText(key, i, basis) {
      var parts = (data.attractions || []).map(function (kind) {
        var m = value(key, "avstand_" + kind + "_m", i);
        if (m === null || m === undefined) { return null; }
        return [T["til_" + kind], fmt(m / 1000, 1), T.km].join(" ").replace(/ /g, "\u00a0");
      }).filter(Boolean);
      return parts.length ? parts.join(" · ") + " (" + label(basis).replace(/ /g, "\u00a0") + ")" : "";
    }

    // whom to contact and the plan's documents, from the config of the feature's municipality
    function nextStepHtml(layer) {
      var number = value(layer.akLayer, "kommunenummer", layer.akIndex);
      var step = (data.nextSteps || {})[number];
      if (!step) { return ""; }
      var parts = [], c = step.kontakt || {};
      function web(href) { return /^https?:\/\//.test(href) ? href : null; }
      var plan = value(layer.akLayer, "plan_id", layer.akIndex);
      if (step.planinnsyn && plan) {
        var href = web(step.planinnsyn.replace("{plan_id}", encodeURIComponent(plan))
          .replace("{kommunenummer}", encodeURIComponent(number)));
        if (href) {
          parts.push("<a href=\"" + escapeHtml(href) + "\" target=\"_blank\" rel=\"noopener\">" + escapeHtml(T.plandokumenter) + "</a>");
        }
      }
      var who = [];
      if (c.navn) { who.push(escapeHtml(c.navn)); }
      if (c.epost) { who.push("<a href=\"mailto:" + escapeHtml(encodeURIComponent(c.epost).replace("%40", "@")) + "\">" + escapeHtml(c.epost) + "</a>"); }
      if (c.telefon) { who.push("<a href=\"tel:" + escapeHtml(c.telefon.replace(/ /g, "")) + "\">" + escapeHtml(c.telefon) + "</a>"); }
      if (c.nettside && web(c.nettside)) { who.push("<a href=\"" + escapeHtml(c.nettside) + "\" target=\"_blank\" rel=\"noopener\">" + escapeHtml(T.nettside) + "</a>"); }
      if (who.length) { parts.push(escapeHtml(T.kontakt) + ": " + who.join(" · ")); }
      return parts.length ? "<div class=\"ak-popup-next\">" + parts.map(function (p) { return "<p>" + p + "</p>"; }).join("") + "</div>" : "";
    }

    function tooltipText(layer) {
      var key = layer.akLayer, i = layer.akIndex;
      if (key === "ledig") {
        var area = value(key, "areal_m2", i);
        return [value(key, "feltnavn", i), area === null ? null : fmt(area / 1000, 1) + " " + T.daa]
          .filter(Boolean).join(" · ");
      }
      if (key === "tomter") { return [value(key, "id", i), label(value(key, "status", i))].filter(Boolean).join(" · "); }
      return [T[key], value(key, "feltnavn", i)].filter(Boolean).join(" · ");
    }

    function hookEvents(group, interactive) {
      group.on("mouseover", function (e) {
        var layer = e.layer;
        if (!layer.getTooltip()) {
          layer.bindTooltip(function (l) { return escapeHtml(tooltipText(l)); }, {sticky: true, direction: "top"});
          layer.openTooltip(e.latlng);
        }
        if (layer.setStyle && layer.akHover) { layer.setStyle(layer.akHover); }
      });
      group.on("mouseout", function (e) {
        var layer = e.layer;
        if (layer.setStyle && layer.akBase) { layer.setStyle(layer.akBase); }
      });
      if (!interactive) { return; }
      group.on("click", function (e) {
        var layer = e.layer;
        if (e.originalEvent) { e.originalEvent.akTaken = true; }  // not the tiles' click too
        if (!layer.getPopup()) {
          layer.bindPopup(popupHtml, popupOptions());
          layer.openPopup(e.latlng);
        }
      });
    }

    // the popup fits beside the control columns and under the title (phones too) and
    // scrolls inside when its facts are more than the screen holds
    function popupOptions() {
      var size = map.getSize(), top = phone() ? 170 : 60;
      return {
        maxWidth: Math.max(160, Math.min(380, size.x - 170)), minWidth: Math.min(200, size.x - 170),
        maxHeight: Math.max(180, size.y - top - 40 - 40),
        autoPanPaddingTopLeft: [phone() ? 92 : 64, top], autoPanPaddingBottomRight: [64, 40]
      };
    }
    state.popupOptions = popupOptions;
    state.popupHtml = popupHtml;

    function addItem(layer, layerKey, groupKey, i, colour, base, hover) {
      layer.akLayer = layerKey;
      layer.akGroup = groupKey;
      layer.akIndex = i;
      layer.akColour = colour;
      layer.akBase = base;
      layer.akHover = hover;
      groups[groupKey].addLayer(layer);
      state.items.push({layer: layer, group: groups[groupKey], key: layerKey, i: i, on: true});
    }

    // borders and names: not interactive, at the bottom
    var borders = data.layers.grenser;
    (borders.geom || []).forEach(function (g) {
      var latlngs = decodeGeometry(g);
      groups.grenser.addLayer(L.polygon(latlngs, {renderer: renderer, interactive: false, fill: false, color: "#ffffff", weight: 5, opacity: 0.7}));
      groups.grenser.addLayer(L.polygon(latlngs, {renderer: renderer, interactive: false, fill: false, color: data.colours.grense, weight: 2, opacity: 0.85, dashArray: "8 4"}));
    });
    (borders.labels || []).forEach(function (p) {
      groups.grenser.addLayer(L.marker([p[0], p[1]], {
        interactive: false, keyboard: false,
        icon: L.divIcon({className: "ak-kommune", html: "<span>" + escapeHtml(p[2]) + "</span>", iconSize: null})
      }));
    });

    function addParts(key, style) {
      var spec = data.layers[key];
      spec.geom.forEach(function (g, i) {
        var base = L.extend({renderer: renderer}, style);
        addItem(L.polygon(decodeGeometry(g), base), key, key, i, style.color, {weight: style.weight}, {weight: style.weight + 1.5});
      });
    }
    function addFree(g, i) {
      var cat = value("ledig", "kategori", i);
      if (!groups[cat]) { return; }
      var colour = data.colours[cat], edge = (data.outlines || {})[cat] || colour;
      // a zone where year-round and leisure homes mix: a dashed, heavier edge
      var mixed = (data.mixedUses || []).indexOf(value("ledig", "bruk", i)) >= 0, weight = mixed ? 2 : 1;
      var layer = new Area(decodeGeometry(g), {
        renderer: renderer, color: mixed ? data.colours.grense : edge, weight: weight, opacity: 1, fillColor: colour,
        fillOpacity: S.fyll, dotBelow: S.prikk_piksler, dotRadius: S.prikk_radius, dashArray: mixed ? "5 3" : null
      });
      addItem(layer, "ledig", cat, i, colour, {weight: weight, fillOpacity: S.fyll}, {weight: 3, fillOpacity: Math.min(1, S.fyll + 0.25)});
    }

    if (data.tiles && !window.protomapsL) {  // its library blocked: said, not a blank map
      tileNotice(map, T)(T.kart_feilet);
    }
    if (data.tiles && window.protomapsL) {  // a page at country scale: its areas come as vector tiles
      state.tiles = tileAreas(map, data, state);
    } else if (data.tiles) {
      state.tiles = null;
    } else {
      addParts("bebygd", {color: data.colours.bebygd, weight: 0.5, fillColor: data.colours.bebygd, fillOpacity: S.fyll_deler});
      addParts("blokkert", {color: data.colours.blokkert, weight: 1, fillColor: stripes(data.colours.blokkert), fillOpacity: 0.9});
      data.layers.ledig.geom.forEach(addFree);
    }

    var plots = data.layers.tomter, points = decodeRing(plots.points || "");
    points.forEach(function (p, i) {
      var status = value("tomter", "status", i), colour = data.plotColours[status] || "#999999";
      var layer = new Plot(p, {
        renderer: renderer, radius: S.tomt_radius, color: "#333333", weight: 1, fillColor: colour, fillOpacity: 0.95,
        status: status
      });
      addItem(layer, "tomter", "tomter", i, colour, {weight: 1}, {weight: 2.5});
    });

    ORDER.forEach(function (key) {
      var spec = data.layers[groups[key] && data.categories.indexOf(key) >= 0 ? "ledig" : key];
      hookEvents(groups[key], !!(spec && spec.popup && spec.popup.length));
    });

    addControls(map, data, state, fmt);
    keyboardPopups(map, state);

    // the page opens at its building land (its free areas and plots), else its borders
    var view = data.view || data.bounds;
    if (view) { map.fitBounds(view, {paddingTopLeft: [64, 90], paddingBottomRight: [64, 60], maxZoom: 15, animate: false}); }
    if (state.addMiniMap) { state.addMiniMap(); }
    ORDER.forEach(function (key) { groups[key].addTo(map); });
    if (state.tiles) { state.tiles.start(); }
    (data.attribution || []).forEach(function (text) { map.attributionControl.addAttribution(escapeHtml(text)); });
    var prefix = map.attributionControl.options.prefix;  // Leaflet's link says what it is in English
    if (typeof prefix === "string") {
      map.attributionControl.setPrefix(prefix.replace(/title="[^"]*"/, "title=\"" + escapeHtml(T.leaflet_tittel) + "\""));
    }

    function restoreOrder() {
      ORDER.forEach(function (key) { if (map.hasLayer(groups[key])) { groups[key].bringToFront(); } });
    }
    map.on("overlayadd", restoreOrder);
    state.restoreOrder = restoreOrder;
    state.layerOf = function (id) {
      var item = state.itemOf(id);
      return item ? item.layer : null;
    };
    state.drawn = function () {
      var out = {};
      ORDER.forEach(function (key) {
        var n = 0;
        if (map.hasLayer(groups[key])) {
          groups[key].eachLayer(function (layer) { if (layer.akLayer && isDrawn(layer)) { n++; } });
          if (state.tiles) { n += state.tiles.painted(key); }
        }
        out[key] = n;
      });
      return out;
    };
    state.itemOf = function (id) {
      for (var n = 0; n < state.items.length; n++) {
        var item = state.items[n], ids = columns[item.key].id;
        if (ids && ids[item.i] === id) { return item; }
      }
      return null;
    };
    // page.html#<ledig_id or tomt_id> opens at that feature with its popup open
    function openFromHash() {
      var id = decodeURIComponent(window.location.hash.slice(1)), item = id ? state.itemOf(id) : null;
      if (item) { state.openItem(item, null); }
    }
    window.addEventListener("hashchange", openFromHash);
    printable(map, state);
    function whenDrawn(done) {
      if (state.tiles) { state.tiles.whenLoaded(done); } else { L.Util.requestAnimFrame(done); }
    }
    whenDrawn(function () {
      state.drawnAt = performance.now();
      state.ready = true;
      openFromHash();
    });
    return state;
  }

  // --- vector tiles ---------------------------------------------------------------------

  // A page at country scale draws its free areas, built and blocked parts from a PMTiles
  // archive beside it (protomaps-leaflet reads it by HTTP range requests), in the same
  // colours as the page that carries them: a free area too small to see is a dot, and
  // below data.tiles.dotsBelow a dot is drawn from the area's point as well, so land too
  // small for a low zoom's tile stays visible.  The layer switches and the filters choose
  // what the tiles draw; a click opens the popup of the free area under it, from the
  // tile feature's properties.
  function tileAreas(map, data, state) {
    var src = data.tiles, S = data.style, T = data.t, shown = {}, pass = null;
    var painted = {}, seen = {}, loaded = false, waiting = [], pending = null;
    var notice = tileNotice(map, T), usable = window.location.protocol !== "file:";
    if (!usable) { notice(T.fliser_fil); }  // a browser reads no ranges of a file
    map.createPane("akTiles").style.zIndex = 350;  // over the base map, under the plots
    function count(key, id) {
      var ids = painted[key] = painted[key] || {};
      ids[id === undefined || id === null ? Object.keys(ids).length : id] = true;
    }
    function mixed(p) {
      return p.kombinasjon === "bolig_fritid" || (data.mixedUses || []).indexOf(p.bruk) >= 0;
    }
    function box(geom) {
      var b = [Infinity, Infinity, -Infinity, -Infinity];
      geom.forEach(function (ring) {
        ring.forEach(function (pt) {
          if (pt.x < b[0]) { b[0] = pt.x; } if (pt.y < b[1]) { b[1] = pt.y; }
          if (pt.x > b[2]) { b[2] = pt.x; } if (pt.y > b[3]) { b[3] = pt.y; }
        });
      });
      return b;
    }
    function dot(ctx, x, y, colour, edge) {
      ctx.globalAlpha = 1;
      ctx.beginPath();
      ctx.arc(x, y, S.prikk_radius + 1, 0, Math.PI * 2, false);
      ctx.fillStyle = edge;
      ctx.fill();
      ctx.globalAlpha = Math.min(1, S.fyll + 0.3);
      ctx.beginPath();
      ctx.arc(x, y, S.prikk_radius, 0, Math.PI * 2, false);
      ctx.fillStyle = colour;
      ctx.fill();
    }
    function path(ctx, geom) {
      ctx.beginPath();
      geom.forEach(function (ring) {
        ring.forEach(function (pt, n) { if (n) { ctx.lineTo(pt.x, pt.y); } else { ctx.moveTo(pt.x, pt.y); } });
        ctx.closePath();
      });
    }
    // an area in its group's style: fill, outline (dashed where homes mix), a dot if small
    function areaSymbolizer(key, fill, opacity, edge, weight) {
      return {
        before: function () {},
        draw: function (ctx, geom, z, f) {
          var p = f.props, b = box(geom), isMixed = p.lag === "ledig" && mixed(p);
          count(key, p.id);
          if (p.id !== undefined) { seen[p.id] = true; }
          if (p.lag === "ledig" && b[2] - b[0] < S.prikk_piksler && b[3] - b[1] < S.prikk_piksler) {
            dot(ctx, (b[0] + b[2]) / 2, (b[1] + b[3]) / 2, fill, edge);
            return;
          }
          path(ctx, geom);
          ctx.globalAlpha = opacity;
          ctx.fillStyle = fill;
          ctx.fill();
          ctx.globalAlpha = 1;
          ctx.lineWidth = isMixed ? 2 : weight;
          ctx.strokeStyle = isMixed ? data.colours.grense : edge;
          ctx.setLineDash(isMixed ? [5, 3] : []);
          ctx.stroke();
          ctx.setLineDash([]);
        }
      };
    }
    function pointSymbolizer(key, fill, edge) {
      return {
        before: function () {},
        draw: function (ctx, geom, z, f) {
          if (seen[f.props.id]) { return; }  // drawn from its area in this tile
          count(key, f.props.id);
          var pt = geom[0] && geom[0][0];
          if (pt) { dot(ctx, pt.x, pt.y, fill, edge); }
        }
      };
    }
    function on(p, key) { return shown[key] && (!pass || pass(p)); }
    var layerName = src.layer;
    var rules = [{  // first in every tile: what this tile has drawn so far is forgotten
      dataLayer: layerName, filter: function () { return false; },
      symbolizer: {before: function () { seen = {}; }, draw: function () {}}
    }];
    [["bebygd", data.colours.bebygd, S.fyll_deler, data.colours.bebygd, 0.5],
      ["blokkert", stripes(data.colours.blokkert), 0.9, data.colours.blokkert, 1]].forEach(function (part) {
      rules.push({
        dataLayer: layerName, symbolizer: areaSymbolizer(part[0], part[1], part[2], part[3], part[4]),
        filter: function (z, f) { return f.props.lag === part[0] && on(f.props, part[0]); }
      });
    });
    data.categories.forEach(function (cat) {
      var colour = data.colours[cat], edge = (data.outlines || {})[cat] || colour;
      rules.push({
        dataLayer: layerName, symbolizer: areaSymbolizer(cat, colour, S.fyll, edge, 1),
        filter: function (z, f) { return f.props.lag === "ledig" && f.props.kategori === cat && on(f.props, cat); }
      });
    });
    data.categories.forEach(function (cat) {
      var colour = data.colours[cat], edge = (data.outlines || {})[cat] || colour;
      rules.push({
        dataLayer: layerName, maxzoom: src.dotsBelow - 1, symbolizer: pointSymbolizer(cat, colour, edge),
        filter: function (z, f) { return f.props.lag === "ledig_punkt" && f.props.kategori === cat && on(f.props, cat); }
      });
    });
    var layer = protomapsL.leafletLayer({
      url: src.url, pane: "akTiles", paintRules: rules, labelRules: [], levelDiff: 0,
      maxDataZoom: src.maxZoom, maxZoom: S.maks_zoom, attribution: "", tileDelay: 0
    });
    function isLoaded() {
      loaded = true;
      waiting.splice(0).forEach(function (done) { done(); });
    }
    layer.on("load", isLoaded);
    function redraw() {  // once for a burst of switches and filter changes
      if (pending !== null) { return; }
      pending = window.setTimeout(function () {
        pending = null;
        painted = {};
        if (layer._map) { layer.rerenderTiles(); }
      }, 0);
    }
    map.on("zoomstart", function () { painted = {}; });
    var Switch = L.Layer.extend({  // a group's place in the layer control: draws it or not
      initialize: function (key) { this.key = key; },
      onAdd: function () { shown[this.key] = true; redraw(); },
      onRemove: function () { shown[this.key] = false; redraw(); }
    });
    var facts = data.layers.ledig.facts || {};
    (facts.categories || []).forEach(function (cat) { if (state.groups[cat]) { state.groups[cat].addLayer(new Switch(cat)); } });
    ["bebygd", "blokkert"].forEach(function (key) {
      if (data.layers[key].count) { state.groups[key].addLayer(new Switch(key)); }
    });
    function start() {  // once the map has its opening view
      if (!usable) { isLoaded(); return; }
      checkRanges(src.url, function () { notice(T.fliser_tenar); });
      layer.addTo(map);
    }

    // a free area's polygon, or its point where dots are drawn from points
    function freeFeature(p) {
      return p.lag === "ledig" || (p.lag === "ledig_punkt" && map.getZoom() < src.dotsBelow);
    }

    // the free area under a click, drawn (its group on, the filters passing it)
    function picked(latlng) {
      var found = (layer.queryTileFeaturesDebug(latlng.lng, latlng.lat, S.prikk_radius + 3).get("") || [])
        .map(function (hit) { return hit.feature.props; })
        .filter(function (p) { return freeFeature(p) && on(p, p.kategori); });
      found.sort(function (a, b) { return (a.lag === "ledig" ? 0 : 1) - (b.lag === "ledig" ? 0 : 1); });
      return found[0] || null;
    }
    // a dot drawn from an area's point: its polygon, with every fact, is in the deeper
    // tiles, so the map zooms in to it, and its popup opens there
    function openAt(p, latlng) {
      if (p.lag === "ledig_punkt") {
        var deeper = function () {
          var full = picked(latlng);
          openAt(full && full.id === p.id && full.lag === "ledig" ? full : L.extend({}, p, {lag: "ledig"}), latlng);
        };
        if (map.getZoom() >= src.dotsBelow) { deeper(); return; }
        layer.once("load", deeper);
        map.setView(latlng, src.dotsBelow + 2, {animate: false});
        return;
      }
      var html = state.popupHtml({akLayer: "ledig", akGroup: p.kategori, akIndex: p, akColour: data.colours[p.kategori]});
      L.popup(state.popupOptions()).setLatLng(latlng).setContent(html).openOn(map);
    }
    map.on("click", function (e) {
      if (e.originalEvent && e.originalEvent.akTaken) { return; }  // a plot's own popup
      var p = picked(e.latlng);
      if (p) { openAt(p, e.latlng); }
    });

    // the free areas the tiles of the current view hold, each once, the largest first
    function inView() {
      var z = Math.min(Math.round(map.getZoom()), src.maxZoom), view = map.getBounds(), byId = {};
      var nw = map.project(view.getNorthWest(), z).divideBy(256).floor();
      var se = map.project(view.getSouthEast(), z).divideBy(256).floor();
      var cache = layer.views.get("").tileCache.cache;
      for (var x = nw.x; x <= se.x; x++) {
        for (var y = nw.y; y <= se.y; y++) {
          var entry = cache.get(x + ":" + y + ":" + z), features = entry && entry.data.get(layerName);
          (features || []).forEach(function (f) {
            var p = f.props;
            if (!freeFeature(p) || !on(p, p.kategori)) { return; }
            var b = L.latLngBounds(map.unproject([x * 256 + f.bbox.minX, y * 256 + f.bbox.minY], z),
              map.unproject([x * 256 + f.bbox.maxX, y * 256 + f.bbox.maxY], z));
            var key = p.id === undefined ? x + ":" + y + ":" + Object.keys(byId).length : p.id;
            if (!byId[key]) { byId[key] = {props: p, bounds: b}; return; }
            byId[key].bounds.extend(b);
            if (p.lag === "ledig") { byId[key].props = p; }  // every fact, not the point's few
          });
        }
      }
      var areas = Object.keys(byId).map(function (k) { return byId[k]; })
        .filter(function (a) { return view.intersects(a.bounds); });
      areas.sort(function (a, b) { return (b.props.areal_m2 || 0) - (a.props.areal_m2 || 0); });
      return {areas: areas};
    }
    function open(area, from) {
      map.closePopup();
      state.returnFocus = from || null;
      state.focusPopup = true;
      var centre = area.bounds.getCenter();
      if (area.props.lag === "ledig_punkt") { openAt(area.props, centre); return; }  // zooms in
      if (!map.getBounds().contains(area.bounds)) { map.fitBounds(area.bounds, {maxZoom: 16, padding: [60, 60], animate: false}); }
      openAt(area.props, centre);
    }
    return {
      layer: layer,
      start: start,
      inView: inView,
      open: open,
      painted: function (key) { return Object.keys(painted[key] || {}).length; },
      setFilter: function (ok) { pass = ok; redraw(); },
      whenLoaded: function (done) { if (loaded) { done(); } else { waiting.push(done); } }
    };
  }

  // A message on the map for a page whose tiles cannot be read (opened from disk, or a
  // server that answers no range requests): said once, and seen, not a blank map.
  function tileNotice(map, T) {
    var said = false;
    return function (text) {
      if (said) { return; }
      said = true;
      var note = L.DomUtil.create("p", "ak-failed ak-tiles-failed", map.getContainer());
      note.setAttribute("role", "alert");
      note.textContent = text;
      L.DomEvent.disableClickPropagation(note);
    };
  }

  // The archive's first bytes, asked for as a range: a server that sends the whole file
  // (or nothing) cannot serve the tiles.
  function checkRanges(url, failed) {
    if (!window.fetch) { return; }
    fetch(url, {headers: {Range: "bytes=0-126"}}).then(function (r) {
      if (r.status !== 206) { failed(); }
      if (r.body && r.body.cancel) { r.body.cancel(); }
    }, failed);
  }

  // --- the measure tool's texts ---------------------------------------------------------

  // leaflet-measure speaks no Norwegian: it runs in English, and every English text it
  // writes (its panel, results and popups) is replaced by the page's own, whole words
  // and longest first ("Sq Meters" before "Meters"), so that a replaced text is final.
  function translateMeasure(container, texts) {
    var words = Object.keys(texts).sort(function (a, b) { return b.length - a.length; });
    var pattern = words.length ? new RegExp("\\b(" + words.map(function (w) {
      return w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }).join("|") + ")\\b", "g") : null;
    function translate(text) {
      return pattern ? text.replace(pattern, function (w) { return texts[w]; }) : text;
    }
    function walk(root) {
      var nodes = document.createTreeWalker(root, NodeFilter.SHOW_TEXT), node;
      while ((node = nodes.nextNode())) {
        var done = translate(node.nodeValue);
        if (done !== node.nodeValue) { node.nodeValue = done; }
      }
      root.querySelectorAll("[title]").forEach(function (el) { el.title = translate(el.title); });
    }
    function measureParts() {
      return container.querySelectorAll(".leaflet-control-measure, .leaflet-measure-resultpopup");
    }
    measureParts().forEach(walk);
    // only the tool's panel and the popup pane: the tiles of a pan are none of its business
    var observer = new MutationObserver(function () { measureParts().forEach(walk); });
    [container.querySelector(".leaflet-control-measure"), container.querySelector(".leaflet-popup-pane")]
      .forEach(function (el) { if (el) { observer.observe(el, {childList: true, subtree: true, characterData: true}); } });
  }

  // --- printing --------------------------------------------------------------------------

  // A printed page is a one-page prospect: the map centred on the feature whose popup is
  // open, and that popup's facts below it (print styles in arealkart.css).
  function printable(map, state) {
    var sheet = document.createElement("div");
    sheet.className = "ak-print";
    document.body.appendChild(sheet);
    var before = null;
    function prepare() {
      var popup = map._popup && map.hasLayer(map._popup) ? map._popup : null;
      sheet.innerHTML = "";
      if (!popup) { return; }
      var content = popup.getElement().querySelector(".ak-popup");
      if (content) { sheet.appendChild(content.cloneNode(true)); }
      before = map.getCenter();
      map.invalidateSize({animate: false});
      map.panTo(popup.getLatLng(), {animate: false});
    }
    function restore() {
      map.invalidateSize({animate: false});
      if (before) { map.panTo(before, {animate: false}); before = null; }
    }
    window.addEventListener("beforeprint", prepare);
    window.addEventListener("afterprint", restore);
    var media = window.matchMedia("print");
    if (media.addEventListener) {
      media.addEventListener("change", function (e) { if (e.matches) { prepare(); } else { restore(); } });
    }
    state.preparePrint = prepare;
  }

  // --- small screens and keyboards -------------------------------------------------------

  function phone() { return window.matchMedia("(max-width: 600px)").matches; }

  // A popup opened from the keyboard (the list) gets the focus; Escape closes it and gives
  // the focus back to where it came from.
  function keyboardPopups(map, state) {
    var T = state.data.t, byKeyboard = false, popupHeads = 0;
    document.addEventListener("keydown", function (ev) { if (ev.key === "Tab") { byKeyboard = true; } }, true);
    document.addEventListener("pointerdown", function () { byKeyboard = false; }, true);
    map.on("popupopen", function (e) {
      var el = e.popup.getElement();
      if (!el) { return; }
      var close = el.querySelector(".leaflet-popup-close-button");
      if (close) { close.setAttribute("aria-label", T.lukk); close.title = T.lukk; }
      if (e.popup._source && e.popup._source.closeTooltip) { e.popup._source.closeTooltip(); }
      if (phone()) {  // the popup is what the visitor looks at now
        var container = map.getContainer();
        container.querySelectorAll(".ak-panel > details").forEach(function (d) {
          d.open = false;
          d.parentElement.classList.remove("ak-open");
        });
        container.classList.remove("ak-panel-open");  // now, not at the toggle events
        if (state.layerControl) { state.layerControl.collapse(); }
        var top = topClearance(map), bottom = bottomClearance(map);
        e.popup.options.autoPanPaddingTopLeft = [92, top];
        e.popup.options.autoPanPaddingBottomRight = [64, bottom];
        // the tip (about 20 px) and the popup's own margins stay in view too
        e.popup.options.maxHeight = Math.max(160, map.getSize().y - top - bottom - 44);
        e.popup.update();
        e.popup._adjustPan();  // Leaflet 1.9: pan again, now that the panels are closed
      }
      var content = el.querySelector(".leaflet-popup-content");
      content.setAttribute("tabindex", "-1");
      content.setAttribute("role", "dialog");
      // labelled by its heading: the measure tool's is translated only after it opens
      var head = content.querySelector(".ak-popup-head, h3");
      if (head) {
        head.id = head.id || "ak-popup-head-" + (++popupHeads);
        content.setAttribute("aria-labelledby", head.id);
      }
      if (!el.akKeyboard) {  // a layer's popup keeps its element: listen once
        el.akKeyboard = true;
        el.addEventListener("keydown", function (ev) {
          if (ev.key === "Escape") { ev.stopPropagation(); map.closePopup(); }
        });
        // Tab out of a popup closes it: the focus goes back to what opened it (a row of the
        // list, the search), or stays where Tab put it
        el.addEventListener("focusout", function (ev) {
          var to = ev.relatedTarget;
          if (byKeyboard && to && !el.contains(to)) { map.closePopup(); }
        });
        el.addEventListener("click", function (ev) {
          var link = ev.target.closest && ev.target.closest(".ak-popup-link a");
          if (link) { ev.preventDefault(); shareLink(map, link, T); }
        });
      }
      if (state.focusPopup) {
        state.focusPopup = false;
        content.focus({preventScroll: true});
      }
    });
    map.on("popupclose", function () {
      var back = state.returnFocus;
      state.returnFocus = null;
      if (back && document.body.contains(back)) { back.focus({preventScroll: true}); }
    });
  }

  // "Link here": the address bar takes the feature's address (no reload, the popup stays),
  // the clipboard gets it where the browser allows, and the popup says which happened.
  function shareLink(map, link, T) {
    window.history.replaceState(null, "", link.href);
    var status = link.parentNode.querySelector(".ak-popup-status");
    if (!status) {
      status = document.createElement("span");
      status.className = "ak-popup-status";
      status.setAttribute("role", "status");
      link.parentNode.appendChild(status);
    }
    function say(text) {
      status.textContent = text;
      var popup = map._popup;  // grown by a line: placed and panned again (Leaflet 1.9)
      if (popup) { popup._updateLayout(); popup._updatePosition(); popup._adjustPan(); }
    }
    say(T.lenke_adresse);
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(link.href).then(function () { say(T.lenke_kopiert); }, function () {});
    }
  }

  // Measuring from the keyboard: a started measurement gives the map the focus; the arrows
  // move the map under a cross at its centre, Enter or Space sets a point there, Escape
  // finishes the measurement, and its result opens with the focus.  (leaflet-measure 2.1.7
  // listens to the mouse only: its _handleMeasureClick takes a mouse event, here one at
  // the centre, and _handleMeasureDoubleClick finishes.)
  function keyboardMeasure(map, measure, state) {
    var el = map.getContainer(), box = measure.getContainer();
    // the toggle hides itself as it opens the tool: the focus goes on to its start button
    box.querySelector(".leaflet-control-measure-toggle").addEventListener("click", function () {
      window.setTimeout(function () {
        var start = box.querySelector(".js-start");
        if (start && start.offsetParent !== null) { start.focus(); }
      }, 0);
    });
    map.on("measurestart", function () {
      el.classList.add("ak-measuring");
      el.focus({preventScroll: true});
    });
    map.on("measurefinish", function () {
      if (document.activeElement === el) {  // measured from the keyboard: on to the result
        state.focusPopup = true;
        state.returnFocus = el;
      }
      el.classList.remove("ak-measuring");
    });
    el.addEventListener("keydown", function (ev) {
      if (!measure._locked || ev.target !== el) { return; }
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        var rect = el.getBoundingClientRect();
        measure._handleMeasureClick({originalEvent: {clientX: rect.left + rect.width / 2, clientY: rect.top + rect.height / 2}});
      } else if (ev.key === "Escape") {
        ev.stopPropagation();
        measure._handleMeasureDoubleClick();
      }
    });
  }

  // How far down a phone's popup must stay: below the title and the right-hand buttons
  // (the left-hand column is cleared by the popup's left padding).
  function topClearance(map) {
    return clearance(map, ".ak-title, .leaflet-top.leaflet-right > .leaflet-control", function (r, box) { return r.bottom - box.top; });
  }

  // How far up from the bottom it must stay: above the closed panels and the attribution.
  function bottomClearance(map) {
    return clearance(map, ".leaflet-bottom > .leaflet-control", function (r, box) { return box.bottom - r.top; });
  }

  // The largest reach into the map of the controls ``selector`` finds, plus a margin.
  function clearance(map, selector, reach) {
    var container = map.getContainer(), box = container.getBoundingClientRect(), most = 0;
    container.querySelectorAll(selector).forEach(function (c) {
      var r = c.getBoundingClientRect();
      if (r.height) { most = Math.max(most, reach(r, box)); }
    });
    return most + 8;
  }

  // On a phone every panel starts closed and at most one is open at a time.
  function onePanelAtATime(container) {
    var panels = container.querySelectorAll(".ak-panel > details");
    if (phone()) { panels.forEach(function (d) { d.open = false; }); }
    panels.forEach(function (d) {
      d.addEventListener("toggle", function () {
        if (d.open && phone()) { panels.forEach(function (other) { if (other !== d) { other.open = false; } }); }
        var open = [].some.call(panels, function (p) { return p.open; });
        container.classList.toggle("ak-panel-open", open && phone());
        panels.forEach(function (p) { p.parentElement.classList.toggle("ak-open", p.open); });
      });
    });
  }

  // A link to the page in another language opens it at the same feature (#<id>): the ids
  // are the same in every language.
  function twinsKeepTheFeature(container) {
    container.querySelectorAll(".ak-languages a").forEach(function (a) {
      function carry() { a.setAttribute("href", a.getAttribute("href").split("#")[0] + window.location.hash); }
      ["click", "focus", "mouseenter", "touchstart"].forEach(function (name) { a.addEventListener(name, carry); });
    });
  }

  // Plugin buttons drawn as links without href are not reached by Tab: make them buttons.
  function operableControls(container) {
    container.querySelectorAll(".leaflet-control a, .leaflet-control .search-button").forEach(function (a) {
      var href = a.getAttribute("href");
      if (href && href !== "#") { return; }  // a real link (the index, a language twin)
      if (!a.hasAttribute("href")) { a.setAttribute("tabindex", "0"); }
      a.setAttribute("role", "button");
      if (!a.getAttribute("aria-label") && a.title) { a.setAttribute("aria-label", a.title); }
      // the click on the key's release: a control that moves the focus on its click (the
      // search box) must not get the release of the same key (Enter would submit it empty)
      a.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); }
      });
      a.addEventListener("keyup", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); a.click(); }
      });
    });
  }

  // --- controls -------------------------------------------------------------------------

  function htmlControl(position, html, className, label) {
    var control = L.control({position: position});
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "leaflet-control ak-panel " + className);
      div.innerHTML = html;
      if (label) {
        div.setAttribute("role", "region");
        div.setAttribute("aria-label", label);
      }
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    return control;
  }

  function addControls(map, data, state, fmt) {
    var T = data.t, groups = state.groups;
    var base = {}, first = null;
    data.base.forEach(function (b, i) {
      var layer = L.tileLayer(b.url, {attribution: b.attribution, maxZoom: data.style.maks_zoom});
      base[b.name] = layer;
      if (i === 0) { first = b; layer.addTo(map); }
    });

    htmlControl("topleft", data.panels.title, "ak-title").addTo(map);
    L.control.zoom({position: "topleft", zoomInTitle: T.zoom_inn, zoomOutTitle: T.zoom_ut}).addTo(map);
    L.control.fullscreen({position: "topleft", title: T.fullskjerm, titleCancel: T.avslutt_fullskjerm, forceSeparateButton: true}).addTo(map);
    L.control.locate({
      position: "topleft", icon: "ak-icon-locate", iconLoading: "ak-icon-locate ak-loading",
      strings: {title: T.min_posisjon, metersUnit: T.meter, popup: T.posisjon_popup, outsideMapBoundsMsg: T.utenfor_kartet},
      onLocationError: function () { window.alert(T.posisjon_feilet); }
    }).addTo(map);
    // leaflet-measure 2.1.7 with Leaflet ≥ 1.8 (see folium's MeasureControl and
    // https://github.com/ljagis/leaflet-measure/issues/171)
    L.Control.Measure.include({
      _setCaptureMarkerIcon: function () {
        this._captureMarker.options.autoPanOnFocus = false;
        this._captureMarker.options.keyboard = false;  // an invisible layer, no Tab stop
        this._captureMarker.setIcon(L.divIcon({iconSize: this._map.getSize().multiplyBy(2)}));
      }
    });
    var measure = new L.Control.Measure({
      position: "topleft", localization: data.measure,
      primaryLengthUnit: "meters", secondaryLengthUnit: "kilometers",
      primaryAreaUnit: "sqmeters", secondaryAreaUnit: "daa",
      units: {daa: {factor: 0.001, display: T.daa, decimals: 2}},
      decPoint: T.desimaltegn, thousandsSep: T.tusenskille,
      activeColor: "#d7191c", completedColor: "#1f4e9e"
    }).addTo(map);
    keyboardMeasure(map, measure, state);
    translateMeasure(map.getContainer(), data.measureTexts || {});
    filterControl(map, data, state, fmt).addTo(map);

    accessibleSearch(map, searchControl(map, data, state).addTo(map));
    var overlays = {};
    ORDER.forEach(function (key) {  // only the layers this page has
      if (groups[key].getLayers().length) { overlays[swatch(data, key) + escapeHtml(data.names[key])] = groups[key]; }
    });
    state.layerControl = L.control.layers(base, overlays, {collapsed: phone(), position: "topright"}).addTo(map);
    var toggle = state.layerControl.getContainer().querySelector(".leaflet-control-layers-toggle");
    if (toggle) { toggle.title = T.kartlag; toggle.setAttribute("aria-label", T.kartlag); }
    listControl(map, data, state, fmt).addTo(map);

    L.control.scale({imperial: false, position: "bottomleft"}).addTo(map);
    if (data.panels.summary) { htmlControl("bottomleft", data.panels.summary, "ak-summary", T.sammendrag).addTo(map); }
    if (first && !phone()) {  // on a phone the overview map only takes room
      // added once the map has its opening view (init calls this): added before, its own
      // first move could set the map back to where folium opened it
      state.addMiniMap = function () {
        var mini = new L.Control.MiniMap(L.tileLayer(first.url, {attribution: "", maxZoom: data.style.maks_zoom}), {
          position: "bottomright", toggleDisplay: true, width: 130, height: 130, zoomLevelOffset: -5,
          mapOptions: {keyboard: false},  // a picture of where the map is: no Tab stop
          strings: {hideText: T.skjul_oversiktskart, showText: T.vis_oversiktskart}
        }).addTo(map);
        var box = mini.getContainer(), legend = box.parentNode.querySelector(".ak-legend");
        if (legend) { box.parentNode.insertBefore(box, legend.nextSibling); }  // below the legend
      };
    }
    htmlControl("bottomright", data.panels.legend, "ak-legend", T.tegnforklaring).addTo(map);
    keepApart(map.getContainer(), ".ak-filter details", ".ak-summary details");
    keepApart(map.getContainer(), ".ak-list details", ".ak-legend details");
    onePanelAtATime(map.getContainer());
    operableControls(map.getContainer());
    twinsKeepTheFeature(map.getContainer());
    var container = map.getContainer();
    container.setAttribute("role", "main");
    container.setAttribute("aria-label", document.title);
    clearOfAttribution(map);
  }

  // The attribution runs the width of a phone: the bottom-left panels sit above it.
  function clearOfAttribution(map) {
    var corner = map.getContainer().querySelector(".leaflet-bottom.leaflet-left");
    var attribution = map.attributionControl && map.attributionControl.getContainer();
    if (!corner || !attribution) { return; }
    function place() {
      var wide = attribution.getBoundingClientRect().left < corner.getBoundingClientRect().right;
      corner.style.bottom = phone() && wide ? attribution.offsetHeight + "px" : "";
    }
    map.on("resize", place);
    setTimeout(place, 0);
  }

  // An accessible list of the page's free areas and plots: each row a button that opens the
  // feature's popup.  It follows the filters (state.applyFilters calls state.updateList).
  // A page drawn from vector tiles lists the free areas of the current view (the largest
  // first, at most data.tiles.listMax of them), read from the tiles the map shows, and
  // every plot; it is made anew when the view or the filters change.
  function listControl(map, data, state, fmt) {
    var T = data.t, control = L.control({position: "topright"});
    var rows = [], built = false, tiled = !!state.tiles, listEl = null;
    function columnsOf(key) { return state.columns[key]; }
    function listed() {
      return state.items.filter(function (it) { return it.key === "ledig" || it.key === "tomter"; });
    }
    function freeText(get) {
      var area = get("areal_m2");
      return [T[get("kategori")], get("feltnavn"), get("plan_navn"),
        area === null ? null : fmt(area / 1000, 1) + " " + T.daa, T[get("status")]].filter(Boolean).join(" · ");
    }
    function describe(item) {
      var cols = columnsOf(item.key), i = item.i;
      if (item.key === "ledig") {
        return freeText(function (name) { return cols[name] ? cols[name][i] : null; });
      }
      return [T.tomt + " " + (cols.id ? cols.id[i] : i + 1), cols.status && T[cols.status[i]]].filter(Boolean).join(" · ");
    }
    function sortKey(item) {
      var cols = columnsOf(item.key);
      return item.key === "ledig" ? -(cols.areal_m2 ? cols.areal_m2[item.i] || 0 : 0) : 1;
    }
    function addRow(list, text, open, item) {
      var li = document.createElement("li"), button = document.createElement("button");
      button.type = "button";
      button.className = "ak-list-item";
      button.tabIndex = -1;  // one row is a Tab stop; the arrow keys move between rows
      button.textContent = text;
      button.addEventListener("click", function () { open(button); });
      li.appendChild(button);
      list.appendChild(li);
      rows.push({item: item, li: li});
    }
    // the rows are made when the list is first opened (or reached from the keyboard):
    // a region map of 50 000 areas must not wait for 50 000 buttons
    function build(list) {
      if (tiled) { fromTiles(list); return; }
      if (built) { return; }
      built = true;
      var items = listed();
      items.sort(function (a, b) { return sortKey(a) - sortKey(b); });
      items.forEach(function (item) {
        addRow(list, describe(item), function (button) { state.openItem(item, button); }, item);
      });
    }
    function fromTiles(list) {
      var had = list.contains(document.activeElement);
      list.textContent = "";
      rows = [];
      var found = state.tiles.inView(), areas = found.areas.slice(0, data.tiles.listMax);
      areas.forEach(function (area) {
        addRow(list, freeText(function (name) { return area.props[name] === undefined ? null : area.props[name]; }),
          function (button) { state.tiles.open(area, button); }, {on: true});
      });
      var note = document.createElement("li");
      note.className = "ak-list-note";
      note.textContent = (areas.length < found.areas.length ? T.fliser_liste_maks : T.fliser_liste)
        .replace("{vist}", fmt(areas.length, 0)).replace("{totalt}", fmt(found.areas.length, 0));
      list.insertBefore(note, list.firstChild);
      listed().forEach(function (item) {
        if (item.key === "tomter" && item.on) {
          addRow(list, describe(item), function (button) { state.openItem(item, button); }, item);
        }
      });
      if (had && rows.length) { rows[0].li.firstChild.focus(); }
    }
    function visibleRows() { return rows.filter(function (row) { return !row.li.hidden; }); }
    function makeCurrent(row) {
      rows.forEach(function (r) { r.li.firstChild.tabIndex = r === row ? 0 : -1; });
    }
    function onKey(ev) {
      var shown = visibleRows(), at = shown.findIndex(function (r) { return r.li.firstChild === document.activeElement; });
      var to = {ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: shown.length - 1}[ev.key];
      if (to === undefined || at < 0 || !shown.length) { return; }
      ev.preventDefault();
      var row = shown[Math.max(0, Math.min(shown.length - 1, to))];
      makeCurrent(row);
      row.li.firstChild.focus();
    }
    state.updateList = function () {
      var open = listEl && listEl.parentNode.open;
      if (tiled && open && !(map._popup && map.hasLayer(map._popup))) { fromTiles(listEl); }
      rows.forEach(function (row) { row.li.hidden = !row.item.on; });
      var current = rows.find(function (r) { return r.li.firstChild.tabIndex === 0 && !r.li.hidden; });
      var first = visibleRows()[0];
      if (!current && first) { makeCurrent(first); }
      var shown = listed().filter(function (it) { return it.on; }).length;
      if (tiled) { shown = rows.length ? rows.length : null; }  // what the view has
      if (control.count) { control.count.textContent = shown === null ? "" : fmt(shown, 0); }
    };
    if (tiled) { map.on("moveend", function () { state.updateList(); }); }
    state.openItem = function (item, from) {
      var layer = item.layer;
      map.closePopup();  // first: its popupclose gives the focus back to the last opener
      state.returnFocus = from || null;
      state.focusPopup = true;
      var at = layer.getBounds ? layer.getBounds() : L.latLngBounds([layer.getLatLng()]);
      map.once("moveend", function () {
        var centre = layer.getBounds ? layer.getBounds().getCenter() : layer.getLatLng();
        layer.fire("click", {latlng: centre}, true);
      });
      map.fitBounds(at, {maxZoom: 16, padding: [60, 60], animate: false});
    };
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "leaflet-control ak-panel ak-list");
      div.setAttribute("role", "region");
      div.setAttribute("aria-label", T.liste);
      var details = document.createElement("details"), summary = document.createElement("summary");
      var count = document.createElement("span"), list = document.createElement("ul");
      var long = document.createElement("span"), short = document.createElement("span");
      long.className = "ak-long";
      long.textContent = T.liste + " ";
      short.className = "ak-short";
      short.textContent = T.liste_kort + " ";
      count.className = "ak-list-count";
      summary.append(long, short, count);
      details.appendChild(summary);
      details.appendChild(list);
      div.appendChild(details);
      control.count = count;
      listEl = list;
      // made at once on the click (Enter or Space on the heading too), before the toggle,
      // so the next Tab lands on the first row
      summary.addEventListener("click", function () { build(list); state.updateList(); });
      list.addEventListener("keydown", onKey);
      // on a desktop the open list ends above the legend and the overview map
      function fitAbove() {
        var corner = map.getContainer().querySelector(".leaflet-bottom.leaflet-right");
        if (!details.open || !corner || phone()) { list.style.maxHeight = ""; return; }
        var room = corner.getBoundingClientRect().top - list.getBoundingClientRect().top - 12;
        list.style.maxHeight = Math.max(120, Math.floor(room)) + "px";
      }
      details.addEventListener("toggle", function () {
        if (details.open) { build(list); state.updateList(); }
        fitAbove();
      });
      window.addEventListener("resize", fitAbove);
      state.updateList();
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    return control;
  }

  // Opening one panel closes the other when they would overlap (small screens).
  function keepApart(container, first, second) {
    var a = container.querySelector(first), b = container.querySelector(second);
    if (!a || !b) { return; }
    function box(el) { return (el.closest(".leaflet-control") || el).getBoundingClientRect(); }
    function overlap() {
      var r1 = box(a), r2 = box(b);
      return r1.bottom > r2.top && r2.bottom > r1.top && r1.right > r2.left && r2.right > r1.left;
    }
    [[a, b], [b, a]].forEach(function (pair) {
      pair[0].addEventListener("toggle", function () {
        if (pair[0].open && pair[1].open !== undefined && overlap()) { pair[1].open = false; }
      });
    });
  }

  function swatch(data, key) {
    var colour = data.colours[key] || (key === "tomter" ? data.plotColours.ledig : data.colours.grense);
    return "<span class=\"ak-swatch ak-swatch-" + key + "\" style=\"--ak-colour:" + escapeHtml(colour) + "\"></span>";
  }

  function present(values, canonical) {
    var seen = {};
    values.forEach(function (v) { if (v !== null && v !== undefined) { seen[v] = true; } });
    return canonical.filter(function (v) { return seen[v]; })
      .concat(Object.keys(seen).filter(function (v) { return canonical.indexOf(v) < 0; }).sort());
  }

  function filterControl(map, data, state, fmt) {
    var T = data.t;
    var freeCols = state.columns.ledig, plotCols = state.columns.tomter;
    // a page drawn from vector tiles cannot scan its areas: the page says what they have
    var facts = data.layers.ledig.facts || null;
    var areaStatuses = present(facts ? facts.status : freeCols.status || [], AREA_STATUSES);
    var plotStatuses = present(plotCols.status || [], PLOT_STATUSES);
    var control = L.control({position: "topleft"});

    function boxes(name, values, colours) {
      return values.map(function (v) {
        var swatch = colours && colours[v] ? "<span class=\"ak-swatch\" style=\"background:" + escapeHtml(colours[v]) + "\"></span>" : "";
        return "<label><input type=\"checkbox\" checked name=\"" + name + "\" value=\"" + escapeHtml(v) + "\">" + swatch + escapeHtml(T[v] || v) + "</label>";
      }).join("");
    }

    control.onAdd = function () {
      var div = L.DomUtil.create("div", "leaflet-control ak-panel ak-filter");
      div.setAttribute("role", "region");
      div.setAttribute("aria-label", T.filter);
      var html = "<details><summary>" + escapeHtml(T.filter) + "<span class=\"ak-filter-on\"></span></summary>" +
        "<fieldset><legend>" + escapeHtml(T.filter_kategori) + "</legend>" + boxes("kategori", data.categories, data.colours) + "</fieldset>" +
        "<label class=\"ak-min\">" + escapeHtml(T.filter_min_daa) + " <input type=\"text\" inputmode=\"decimal\" name=\"min_daa\" value=\"\" placeholder=\"0\" size=\"5\"></label>";
      if (areaStatuses.length) {
        html += "<fieldset><legend>" + escapeHtml(T.filter_status_areal) + "</legend>" + boxes("status_areal", areaStatuses) + "</fieldset>";
      }
      if (plotStatuses.length) {
        html += "<fieldset><legend>" + escapeHtml(T.filter_status_tomter) + "</legend>" + boxes("status_tomter", plotStatuses, data.plotColours) + "</fieldset>";
      }
      if (facts ? facts.mixed : freeCols.kategori && freeCols.kategori.some(function (c, i) { return mixedAt(row(freeCols, i)); })) {
        html += "<label class=\"ak-check\"><input type=\"checkbox\" name=\"kombinert\">" + escapeHtml(T.filter_kombinert) + "</label>";
      }
      if ((facts && facts.nearby) || [freeCols, plotCols].some(function (cols) { return (cols.avstand_naeringshage_m || []).some(function (m) { return m !== null; }); })) {
        html += "<label class=\"ak-min\">" + escapeHtml(T.filter_naeringshage_km) + " <input type=\"text\" inputmode=\"decimal\" name=\"naeringshage_km\" value=\"\" placeholder=\"–\" size=\"5\"></label>";
      }
      html += "<div class=\"ak-filter-foot\"><output class=\"ak-count\"></output> <button type=\"button\" class=\"ak-reset\">" + escapeHtml(T.nullstill) + "</button></div></details>";
      div.innerHTML = html;
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      div.addEventListener("input", apply);
      div.addEventListener("change", apply);
      div.querySelector(".ak-reset").addEventListener("click", function () {
        div.querySelectorAll("input[type=checkbox]").forEach(function (box) { box.checked = box.name !== "kombinert"; });
        div.querySelectorAll("input[type=text]").forEach(function (input) { input.value = ""; });
        apply();
      });
      control.div = div;
      // open, the panel ends above the map's foot (on a phone it would run off the screen)
      // and scrolls inside
      var details = div.querySelector("details");
      function fit() {
        if (!details.open) { details.style.maxHeight = ""; return; }
        var foot = map.getContainer().getBoundingClientRect().bottom - 28;  // the attribution
        details.style.maxHeight = Math.max(160, Math.floor(foot - details.getBoundingClientRect().top)) + "px";
      }
      details.addEventListener("toggle", fit);
      window.addEventListener("resize", fit);
      setTimeout(apply, 0);
      return div;
    };

    function checked(name) {
      var out = {};
      control.div.querySelectorAll("input[name=" + name + "]").forEach(function (box) { out[box.value] = box.checked; });
      return out;
    }

    // one feature's property by name: row i of the page's columns (or a tile feature's)
    function row(cols, i) {
      return function (name) { var col = cols[name]; return col && col[i] !== undefined ? col[i] : null; };
    }
    function props(p) {
      return function (name) { return p[name] === undefined ? null : p[name]; };
    }

    // where year-round and leisure homes may (kombinasjon) or do (bruk) mix
    function mixedAt(get) {
      var use = get("bruk");
      return get("kombinasjon") === "bolig_fritid" || (use !== null && (data.mixedUses || []).indexOf(use) >= 0);
    }

    // a number typed into a field (",", or "."), null when empty; one that is not a number
    // of 0 or more is marked invalid and filters nothing
    function number(name) {
      var input = control.div.querySelector("input[name=" + name + "]");
      if (!input) { return null; }
      var text = String(input.value).trim(), n = Number(text.replace(",", "."));
      var ok = text === "" || (isFinite(n) && n >= 0);
      input.setAttribute("aria-invalid", ok ? "false" : "true");
      return ok && text !== "" ? n : null;
    }

    function apply() {
      var cats = checked("kategori"), areaOk = checked("status_areal"), plotOk = checked("status_tomter");
      var min = number("min_daa"), minM2 = min ? min * 1000 : 0, km = number("naeringshage_km");
      var mixedBox = control.div.querySelector("input[name=kombinert]"), onlyMixed = !!(mixedBox && mixedBox.checked);
      function near(get) {
        var m = get("avstand_naeringshage_m");
        return km === null || (m !== null && m <= km * 1000);
      }
      function wanted(get) { return near(get) && (!onlyMixed || mixedAt(get)); }
      // a free area the filters let through (by its properties)
      function freeOk(get) {
        var area = get("areal_m2"), status = get("status");
        return cats[get("kategori")] !== false && (area === null || area >= minM2) && (status === null || areaOk[status] !== false) && wanted(get);
      }
      function partOk(get) {
        var cat = get("kategori");
        return cat === null || cats[cat] !== false;
      }
      var shown = 0, total = 0, added = false;
      state.items.forEach(function (item) {
        var ok, i = item.i, cat;
        if (item.key === "ledig") {
          ok = freeOk(row(freeCols, i));
          total++;
          if (ok) { shown++; }
        } else if (item.key === "tomter") {
          cat = plotCols.kategori ? plotCols.kategori[i] : null;
          var plotStatus = plotCols.status ? plotCols.status[i] : null;
          ok = (cat === null || cats[cat] !== false) && (plotStatus === null || plotOk[plotStatus] !== false) && wanted(row(plotCols, i));
        } else {
          ok = partOk(row(state.columns[item.key], i));
        }
        if (ok !== item.on) {
          item.on = ok;
          if (ok) { item.group.addLayer(item.layer); added = true; } else { item.group.removeLayer(item.layer); }
        }
      });
      if (added && state.restoreOrder) { state.restoreOrder(); }
      if (state.tiles) {
        state.tiles.setFilter(function (p) { return p.lag === "bebygd" || p.lag === "blokkert" ? partOk(props(p)) : freeOk(props(p)); });
        state.tilesOk = function (p) { return freeOk(props(p)); };
      }
      if (state.updateList) { state.updateList(); }
      // a closed filter heading still says that a filter is on
      var off = [cats, areaOk, plotOk].some(function (set) {
        return Object.keys(set).some(function (k) { return set[k] === false; });
      });
      control.div.querySelector(".ak-filter-on").textContent = off || minM2 > 0 || onlyMixed || km !== null ? " (" + T.filter_paa + ")" : "";
      if (state.tiles) {  // the areas are in tiles: the page knows how many, not which pass
        total = data.layers.ledig.count;
        shown = null;
        control.div.querySelector(".ak-count").textContent = T.fliser_filter.replace("{totalt}", fmt(total, 0));
      } else {
        control.div.querySelector(".ak-count").textContent = T.filter_viser.replace("{vist}", fmt(shown, 0)).replace("{totalt}", fmt(total, 0));
      }
      state.filtered = {shown: shown, total: total};
    }

    state.applyFilters = function () { apply(); };
    return control;
  }

  function searchControl(map, data, state) {
    var T = data.t, index = null;
    function buildIndex() {
      var entries = {}, byPlan = {};
      function add(title, target) {
        var key = title, n = 2;
        while (entries[key]) { key = title + " (" + n++ + ")"; }
        entries[key] = target;
      }
      state.items.forEach(function (item) {
        if (item.key !== "ledig" && item.key !== "tomter") { return; }
        var cols = state.columns[item.key];
        var i = item.i;
        if (item.key === "ledig") {
          var field = cols.feltnavn ? cols.feltnavn[i] : null, plan = cols.plan_navn ? cols.plan_navn[i] : null;
          var where = cols.kommune && cols.kommune[i] ? " (" + cols.kommune[i] + ")" : "";
          add([field || cols.id && cols.id[i], plan].filter(Boolean).join(" · ") + where, {layers: [item.layer]});
          if (plan) { (byPlan[plan + where] = byPlan[plan + where] || []).push(item.layer); }
        } else if (cols.id && cols.id[i]) {
          add(T.tomt + " " + cols.id[i], {layers: [item.layer]});
        }
      });
      Object.keys(byPlan).forEach(function (plan) { add(T.plan + ": " + plan, {layers: byPlan[plan]}); });
      return entries;
    }
    function boundsOf(layers) {
      var b = L.latLngBounds([]);
      layers.forEach(function (l) { b.extend(l.getBounds ? l.getBounds() : l.getLatLng()); });
      return b;
    }
    state.search = function (text) {
      index = index || buildIndex();
      var needle = String(text).toLowerCase();
      return Object.keys(index).filter(function (title) { return title.toLowerCase().indexOf(needle) >= 0; });
    };
    state.goTo = function (title) {
      index = index || buildIndex();
      var target = index[title];
      if (!target) { return false; }
      var layers = target.layers;
      var item = layers.length === 1 && state.items.find(function (it) { return it.layer === layers[0]; });
      if (item && layers[0]._map) {  // one feature: its popup, with the focus, as from the list
        state.openItem(item, map.getContainer().querySelector(".leaflet-control-search .search-button"));
      } else {
        map.fitBounds(boundsOf(layers), {maxZoom: 16, padding: [40, 40]});
      }
      return true;
    };
    var control = new L.Control.Search({
      position: "topright", initial: false, marker: false, collapsed: true, firstTipSubmit: true,
      textPlaceholder: T.sok, textCancel: T.sok_avbryt, textErr: T.sok_ingen,
      propertyName: "title", propertyLoc: "loc", tooltipLimit: 12,
      // plan, field and plot names come from third-party files: a tip is text, never HTML
      // (the plugin's own tip puts the name into innerHTML)
      buildTip: function (text) {
        var tip = L.DomUtil.create("li", "");
        tip.textContent = text;
        return tip;
      },
      sourceData: function (text, callResponse) {
        var records = state.search(text).map(function (title) {
          var c = boundsOf(index[title].layers).getCenter();
          return {title: title, loc: [c.lat, c.lng]};
        });
        callResponse(records);
        return {abort: function () {}};
      },
      // closed first (its collapse moves the focus), then the pick with its popup
      moveToLocation: function (latlng, title) { control.collapse(); state.goTo(title); }
    });
    return control;
  }

  // The search as a combobox: its suggestions a listbox of options, the selected one the
  // input's active descendant, "nothing found" spoken; a closed search gives the focus to
  // its button (not to the page); on a phone the open search lies below the title.
  function accessibleSearch(map, control) {
    var box = control.getContainer(), input = control._input, tips = control._tooltip;
    var alert = control._alert, button = box.querySelector(".search-button");
    tips.id = "ak-search-tips";
    tips.setAttribute("role", "listbox");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-label", input.placeholder);  // the plugin's <label> is empty
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", tips.id);
    input.setAttribute("aria-expanded", "false");
    alert.setAttribute("role", "status");
    function sync() {
      var open = tips.style.display !== "none" && tips.children.length > 0, active = null;
      [].forEach.call(tips.children, function (tip, n) {
        var selected = tip.classList.contains("search-tip-select");
        tip.id = "ak-search-tip-" + n;
        tip.setAttribute("role", "option");
        tip.setAttribute("aria-selected", selected ? "true" : "false");
        if (selected) { active = tip.id; }
      });
      input.setAttribute("aria-expanded", open ? "true" : "false");
      if (active) { input.setAttribute("aria-activedescendant", active); } else { input.removeAttribute("aria-activedescendant"); }
    }
    new MutationObserver(sync).observe(tips, {childList: true, subtree: true, attributes: true, attributeFilter: ["class", "style"]});
    control.on("search:expanded", function () {
      if (!phone()) { return; }
      var title = map.getContainer().querySelector(".ak-title");
      var corner = box.parentNode.getBoundingClientRect().top;
      if (title) { box.style.marginTop = Math.round(title.getBoundingClientRect().bottom - corner + 8) + "px"; }
    });
    control.on("search:collapsed", function () {
      box.style.marginTop = "";
      var lost = !document.activeElement || document.activeElement === document.body;
      if (lost && button) { button.focus({preventScroll: true}); }
    });
  }

  window.arealkartInit = init;
})();
