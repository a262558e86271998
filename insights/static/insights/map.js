// The map of attacks on health care (insights/map.html): Leaflet with an offline world of country outlines
// (TopoJSON from static/vendor/world, turned into GeoJSON by topojson-client), a choropleth of the events per
// country, and the located events in clusters (leaflet.markercluster). A tile server is used only when the
// settings name one (MAP_TILE_URL); nothing else is loaded from another origin.
//
// Everything the page tells this script is in the JSON script element "map-config" (insights/map_views.py,
// map_config): the addresses to fetch, the optional tile server, the words to show, and `overlays`, more
// GeoJSON layers for the layer control (the facility registry adds its layer there).
//
// Runs under the strict CSP: no inline styles in markup (Leaflet sets element styles through the DOM, which
// the CSP allows), popups built as DOM nodes, never from the data as HTML.
(function () {
  "use strict";

  var NO_EVENTS_COLOUR = "#d9d9d9";

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(
      function (response) {
        if (!response.ok) {
          throw new Error(url + ": " + response.status);
        }
        return response.json();
      }
    );
  }

  // Natural Earth rings that cross the antimeridian jump from 180 to -180; Leaflet draws in the plane, where
  // such a jump becomes a band across the whole world. Keep each ring continuous instead (longitudes may then
  // run past 180, which Leaflet draws just beyond the edge).
  function unwrapRing(ring) {
    var shift = 0;
    var previous = null;
    return ring.map(function (point) {
      var longitude = point[0] + shift;
      if (previous !== null) {
        while (longitude - previous > 180) {
          shift -= 360;
          longitude -= 360;
        }
        while (longitude - previous < -180) {
          shift += 360;
          longitude += 360;
        }
      }
      previous = longitude;
      return [longitude, point[1]];
    });
  }

  function unwrapGeometry(geometry) {
    if (!geometry) {
      return geometry;
    }
    if (geometry.type === "Polygon") {
      return { type: "Polygon", coordinates: geometry.coordinates.map(unwrapRing) };
    }
    if (geometry.type === "MultiPolygon") {
      return {
        type: "MultiPolygon",
        coordinates: geometry.coordinates.map(function (polygon) {
          return polygon.map(unwrapRing);
        }),
      };
    }
    return geometry;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function WorldMap(container, config) {
    this.container = container;
    this.config = config;
    this.text = config.strings;
    this.status = document.getElementById("map-status");
    this.numbers = new Intl.NumberFormat(document.documentElement.lang || undefined);
    this.withTiles = Boolean(config.tileUrl);
  }

  WorldMap.prototype.say = function (message) {
    if (this.status) {
      this.status.textContent = message;
    }
  };

  WorldMap.prototype.start = function () {
    var self = this;
    L.Icon.Default.imagePath = this.config.imagePath;
    this.map = L.map(this.container, {
      minZoom: 1,
      // The outlines (1:50m) say little closer in than this; tiles, when there are, go further.
      maxZoom: this.withTiles ? 18 : 10,
      worldCopyJump: true,
      zoomSnap: 0.5,
    }).setView([20, 15], 2);
    this.map.attributionControl.addAttribution(this.text.outlines);
    if (this.withTiles) {
      L.tileLayer(this.config.tileUrl, { attribution: this.config.tileAttribution, maxZoom: 19 }).addTo(this.map);
    }
    // The layers exist from the start, so the layer control lists them in this order whatever loads first.
    this.outlines = L.geoJSON(null, { interactive: false, style: this.outlineStyle() }).addTo(this.map);
    this.countries = L.geoJSON(null, {
      style: function (feature) {
        return self.countryStyle(feature);
      },
      onEachFeature: function (feature, layer) {
        self.describeCountry(feature, layer);
      },
    }).addTo(this.map);
    this.points = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false }).addTo(this.map);
    var overlays = {};
    overlays[this.text.points] = this.points;
    overlays[this.text.countries] = this.countries;
    this.control = L.control.layers(null, overlays, { collapsed: false, position: "topright" }).addTo(this.map);
    // Leaflet's control is a list of labelled checkboxes; name it for assistive technology.
    this.control.getContainer().setAttribute("aria-label", this.text.layers || "");

    this.say(this.text.loading);
    var world = fetchJson(this.config.worldUrl);
    var counts = fetchJson(this.config.countriesUrl);
    var countriesDrawn = Promise.all([world, counts]).then(function (found) {
      self.drawCountries(found[0], found[1]);
    });
    var pointsDrawn = fetchJson(this.config.pointsUrl).then(function (collection) {
      self.drawPoints(collection);
    });
    (this.config.overlays || []).forEach(function (overlay) {
      self.addOverlay(overlay);
    });
    Promise.all([countriesDrawn, pointsDrawn])
      .then(function () {
        self.container.setAttribute("data-map-ready", "true");
      })
      .catch(function (error) {
        self.container.setAttribute("data-map-ready", "failed");
        self.say(self.text.failed);
        if (window.console) {
          window.console.error(error);
        }
      });
  };

  // -- Countries ------------------------------------------------------------------------------------------------

  WorldMap.prototype.outlineStyle = function () {
    return {
      color: "#ffffff",
      weight: 0.7,
      fillColor: NO_EVENTS_COLOUR,
      // Over tiles the outlines are lines only, so the tiles show through.
      fillOpacity: this.withTiles ? 0 : 1,
      opacity: this.withTiles ? 0.6 : 1,
    };
  };

  WorldMap.prototype.countryStyle = function (feature) {
    var row = feature.properties.row;
    var found = row && row["class"] !== null ? this.classes[row["class"]] : null;
    return {
      color: "#ffffff",
      weight: 0.7,
      fillColor: found ? found.color : NO_EVENTS_COLOUR,
      fillOpacity: this.withTiles ? 0.75 : 1,
    };
  };

  WorldMap.prototype.countryText = function (row) {
    return row.name + ": " + this.numbers.format(row.events);
  };

  WorldMap.prototype.describeCountry = function (feature, layer) {
    var row = feature.properties.row;
    layer.bindTooltip(this.countryText(row), { sticky: true });
    layer.bindPopup(this.countryText(row));
  };

  WorldMap.prototype.drawCountries = function (world, document_) {
    var features = topojson.feature(world, world.objects.countries).features.map(function (feature) {
      return {
        type: "Feature",
        id: feature.id,
        properties: feature.properties,
        geometry: unwrapGeometry(feature.geometry),
      };
    });
    this.classes = document_.classes;
    var byNumeric = {};
    var byName = {};
    document_.countries.forEach(function (row) {
      if (row.numeric) {
        byNumeric[row.numeric] = row;
      }
      if (row.outline_name) {
        byName[row.outline_name] = row;
      }
    });
    this.outlines.addData(features);
    var counted = [];
    features.forEach(function (feature) {
      var name = feature.properties && feature.properties.name;
      var row = (feature.id && byNumeric[feature.id]) || (name && byName[name]);
      if (row) {
        counted.push({
          type: "Feature",
          id: feature.id,
          geometry: feature.geometry,
          properties: { name: name, row: row },
        });
      }
    });
    this.countries.addData(counted);
    this.addLegend();
    if (this.config.fitCountries && counted.length) {
      this.map.fitBounds(this.countries.getBounds(), { maxZoom: 6, padding: [10, 10], animate: false });
    }
  };

  WorldMap.prototype.addLegend = function () {
    var self = this;
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var box = element("div", "map-legend");
      box.appendChild(element("p", "map-legend-title", self.text.legend));
      var list = element("ul", "map-legend-classes");
      var rows = [{ color: NO_EVENTS_COLOUR, label: self.text.noEvents }].concat(self.classes);
      rows.forEach(function (item) {
        var entry = element("li");
        var swatch = element("span", "map-legend-swatch");
        swatch.setAttribute("aria-hidden", "true");
        swatch.style.backgroundColor = item.color;
        entry.appendChild(swatch);
        entry.appendChild(document.createTextNode(item.label));
        list.appendChild(entry);
      });
      box.appendChild(list);
      return box;
    };
    legend.addTo(this.map);
  };

  // -- Points ---------------------------------------------------------------------------------------------------

  WorldMap.prototype.drawPoints = function (collection) {
    var self = this;
    var labels = collection.labels || {};
    var markers = collection.features.map(function (feature) {
      var place = feature.geometry.coordinates;
      var properties = feature.properties;
      var marker = L.marker([place[1], place[0]], {
        alt: format(self.text.marker, {
          date: properties.date || self.text.notGiven,
          country: self.lookup(labels.countries, properties.country),
        }),
      });
      marker.bindPopup(function () {
        return self.popup(properties, labels, collection.incident_url);
      });
      return marker;
    });
    this.points.addLayers(markers);
    var values = { shown: this.numbers.format(collection.shown), total: this.numbers.format(collection.total) };
    if (!collection.total) {
      this.say(this.text.noPoints);
    } else if (collection.shown < collection.total) {
      this.say(format(this.text.showing, values));
    } else {
      this.say(format(this.text.showingAll, values));
    }
  };

  WorldMap.prototype.lookup = function (names, code) {
    if (!code) {
      return this.text.notGiven;
    }
    return (names && names[code]) || code;
  };

  WorldMap.prototype.popup = function (properties, labels, incidentUrl) {
    var self = this;
    var box = element("div", "map-popup");
    var list = element("dl");
    function add(term, value) {
      list.appendChild(element("dt", null, term));
      list.appendChild(element("dd", null, value));
    }
    add(this.text.date, properties.date || this.text.notGiven);
    add(this.text.country, this.lookup(labels.countries, properties.country));
    if (properties.admin1) {
      add(this.text.admin1, properties.admin1);
    }
    var names = function (table, codes) {
      return codes.length
        ? codes
            .map(function (code) {
              return self.lookup(table, code);
            })
            .join(", ")
        : self.text.notGiven;
    };
    add(this.text.families, names(labels.families, properties.families || []));
    add(this.text.sources, names(labels.sources, properties.sources || []));
    Object.keys(labels.counts || {}).forEach(function (name) {
      if (properties[name]) {
        add(labels.counts[name], self.numbers.format(properties[name]));
      }
    });
    box.appendChild(list);
    if (incidentUrl && properties.incident_id) {
      var link = element("a", null, format(this.text.incident, { number: properties.incident }));
      link.href = incidentUrl.replace("{id}", String(properties.incident_id));
      var line = element("p");
      line.appendChild(link);
      box.appendChild(line);
    }
    return box;
  };

  // -- More layers (facilities, later) ----------------------------------------------------------------------------

  WorldMap.prototype.addOverlay = function (overlay) {
    var self = this;
    var layer = L.geoJSON(null, {
      pointToLayer: function (feature, place) {
        return L.circleMarker(place, { radius: 6, color: "#1d4f91", weight: 2, fillColor: "#ffffff", fillOpacity: 1 });
      },
      onEachFeature: function (feature, layer_) {
        var name = feature.properties && feature.properties.name;
        if (name) {
          layer_.bindTooltip(String(name));
          layer_.bindPopup(function () {
            return element("p", null, name);
          });
        }
      },
    });
    this.control.addOverlay(layer, overlay.label);
    fetchJson(overlay.url)
      .then(function (collection) {
        layer.addData(collection);
        layer.addTo(self.map);
      })
      .catch(function (error) {
        if (window.console) {
          window.console.error(error);
        }
      });
  };

  function start() {
    var container = document.getElementById("map");
    var holder = document.getElementById("map-config");
    if (!container || !holder) {
      return;
    }
    var config = JSON.parse(holder.textContent);
    if (typeof L === "undefined" || typeof topojson === "undefined" || !L.markerClusterGroup) {
      container.setAttribute("data-map-ready", "failed");
      var status = document.getElementById("map-status");
      if (status) {
        status.textContent = config.strings.failed;
      }
      return;
    }
    new WorldMap(container, config).start();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
