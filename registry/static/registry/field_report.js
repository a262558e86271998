// The map picker of the field-report form (registry/field_reports/form.html): Leaflet over the offline country
// outlines (TopoJSON from static/vendor/world), as insights/map.js draws them. It only fills in the form's
// latitude and longitude fields, which work without it:
// * a tap or click on the map puts the marker there; the marker can be dragged;
// * typing a latitude and longitude moves the marker;
// * with the keyboard: arrow keys move the map, + and - zoom, Enter or Space puts the marker at the cross in
//   the middle (the "Put the marker at the cross" button does the same);
// * choosing a country zooms to it while no place is set.
// The page's Permissions-Policy switches geolocation off, so there is no "use my location".
//
// Everything the page tells this script is in the JSON script element "report-map-config"
// (registry/field_report_views.py, map_config). Runs under the strict CSP: no inline styles in markup.
(function () {
  "use strict";

  var DECIMALS = 5; // about 1 m
  var PLACED_ZOOM = 12;

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  // Natural Earth rings that cross the antimeridian jump from 180 to -180; keep each ring continuous.
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
    if (geometry && geometry.type === "Polygon") {
      return { type: "Polygon", coordinates: geometry.coordinates.map(unwrapRing) };
    }
    if (geometry && geometry.type === "MultiPolygon") {
      return {
        type: "MultiPolygon",
        coordinates: geometry.coordinates.map(function (polygon) {
          return polygon.map(unwrapRing);
        }),
      };
    }
    return geometry;
  }

  function readNumber(input, limit) {
    var text = (input.value || "").trim().replace(",", ".");
    if (text === "") {
      return null;
    }
    var value = Number(text);
    if (!isFinite(value) || Math.abs(value) > limit) {
      return undefined;
    }
    return value;
  }

  function Picker(container, config) {
    this.container = container;
    this.config = config;
    this.text = config.strings;
    this.latitude = document.getElementById("id_latitude");
    this.longitude = document.getElementById("id_longitude");
    this.country = document.getElementById("id_country_iso3");
    this.status = document.getElementById("map-status");
    this.centreButton = document.getElementById("map-centre");
    this.clearButton = document.getElementById("map-clear");
    this.marker = null;
    this.outlineByNumber = {};
    this.outlineByName = {};
  }

  Picker.prototype.say = function (message) {
    if (this.status) {
      this.status.textContent = message;
    }
  };

  Picker.prototype.start = function () {
    var self = this;
    L.Icon.Default.imagePath = this.config.imagePath;
    var withTiles = Boolean(this.config.tileUrl);
    this.map = L.map(this.container, {
      minZoom: 1,
      maxZoom: withTiles ? 18 : 12,
      worldCopyJump: true,
      zoomSnap: 0.5,
      keyboard: true,
    }).setView([20, 15], 2);
    this.map.attributionControl.addAttribution(this.text.outlines);
    if (withTiles) {
      L.tileLayer(this.config.tileUrl, { attribution: this.config.tileAttribution, maxZoom: 19 }).addTo(this.map);
    }
    this.outlines = L.geoJSON(null, {
      interactive: false,
      style: {
        color: "#ffffff",
        weight: 0.8,
        fillColor: "#d9d9d9",
        fillOpacity: withTiles ? 0 : 1,
        opacity: withTiles ? 0.6 : 1,
      },
      onEachFeature: function (feature, layer) {
        self.remember(feature, layer);
      },
    }).addTo(this.map);

    this.map.on("click", function (event) {
      self.place(event.latlng, false);
    });
    // Leaflet makes the container focusable; Enter or Space there puts the marker at the cross.
    this.container.addEventListener("keydown", function (event) {
      if (event.target !== self.container) {
        return;
      }
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        self.place(self.map.getCenter(), false);
      }
    });
    this.centreButton.hidden = false;
    this.centreButton.addEventListener("click", function () {
      self.place(self.map.getCenter(), false);
    });
    this.clearButton.addEventListener("click", function () {
      self.clear();
    });
    [this.latitude, this.longitude].forEach(function (input) {
      input.addEventListener("change", function () {
        self.fromFields(true);
      });
    });
    if (this.country) {
      this.country.addEventListener("change", function () {
        if (!self.marker) {
          self.showCountry(self.country.value);
        }
      });
    }

    var placed = this.fromFields(false);
    fetch(this.config.worldUrl, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(self.config.worldUrl + ": " + response.status);
        }
        return response.json();
      })
      .then(function (world) {
        self.drawOutlines(world);
        if (!placed && self.country && self.country.value) {
          self.showCountry(self.country.value);
        }
        self.container.setAttribute("data-map-ready", "true");
      })
      .catch(function (error) {
        // Without the outlines the map still takes clicks; say what went wrong.
        self.container.setAttribute("data-map-ready", "true");
        if (window.console) {
          window.console.error(error);
        }
      });
  };

  Picker.prototype.drawOutlines = function (world) {
    var features = topojson.feature(world, world.objects.countries).features.map(function (feature) {
      return {
        type: "Feature",
        id: feature.id,
        properties: feature.properties,
        geometry: unwrapGeometry(feature.geometry),
      };
    });
    this.outlines.addData(features);
  };

  Picker.prototype.remember = function (feature, layer) {
    if (feature.id) {
      this.outlineByNumber[String(feature.id)] = layer;
    }
    if (feature.properties && feature.properties.name) {
      this.outlineByName[feature.properties.name] = layer;
    }
  };

  Picker.prototype.showCountry = function (iso3) {
    var number = this.config.countryNumbers[iso3];
    var layer = (number && this.outlineByNumber[number]) || (iso3 === "XKX" && this.outlineByName.Kosovo);
    if (layer) {
      this.map.fitBounds(layer.getBounds(), { maxZoom: 7, padding: [10, 10], animate: false });
    }
  };

  // Put the marker at `latlng`, write the fields (unless they were the source), and say so.
  Picker.prototype.place = function (latlng, fromFields) {
    var self = this;
    var wrapped = latlng.wrap();
    var latitude = Number(wrapped.lat.toFixed(DECIMALS));
    var longitude = Number(wrapped.lng.toFixed(DECIMALS));
    if (!this.marker) {
      this.marker = L.marker([latitude, longitude], {
        draggable: true,
        keyboard: true,
        alt: this.text.marker,
        title: this.text.marker,
      }).addTo(this.map);
      this.marker.on("dragend", function () {
        self.place(self.marker.getLatLng(), false);
      });
    } else {
      this.marker.setLatLng([latitude, longitude]);
    }
    if (!fromFields) {
      this.latitude.value = latitude.toFixed(DECIMALS);
      this.longitude.value = longitude.toFixed(DECIMALS);
      this.latitude.dispatchEvent(new Event("input", { bubbles: true }));
    }
    this.clearButton.hidden = false;
    this.container.setAttribute("data-marker", latitude.toFixed(DECIMALS) + "," + longitude.toFixed(DECIMALS));
    this.say(format(this.text.placed, { latitude: latitude.toFixed(DECIMALS), longitude: longitude.toFixed(DECIMALS) }));
  };

  Picker.prototype.clear = function () {
    if (this.marker) {
      this.map.removeLayer(this.marker);
      this.marker = null;
    }
    this.latitude.value = "";
    this.longitude.value = "";
    this.clearButton.hidden = true;
    this.container.removeAttribute("data-marker");
    this.say(this.text.removed);
  };

  // Move the marker to the typed coordinates; true when there were both. `announce`: say when they are wrong.
  Picker.prototype.fromFields = function (announce) {
    var latitude = readNumber(this.latitude, 90);
    var longitude = readNumber(this.longitude, 180);
    if (latitude === undefined || longitude === undefined) {
      if (announce) {
        this.say(this.text.invalid);
      }
      return false;
    }
    if (latitude === null || longitude === null) {
      return false;
    }
    this.place(L.latLng(latitude, longitude), true);
    this.map.setView([latitude, longitude], Math.max(this.map.getZoom(), PLACED_ZOOM), { animate: false });
    return true;
  };

  function start() {
    var container = document.getElementById("report-map");
    var holder = document.getElementById("report-map-config");
    if (!container || !holder) {
      return;
    }
    var config = JSON.parse(holder.textContent);
    if (typeof L === "undefined" || typeof topojson === "undefined") {
      container.setAttribute("data-map-ready", "failed");
      var status = document.getElementById("map-status");
      if (status) {
        status.textContent = config.strings.failed;
      }
      return;
    }
    container.setAttribute("data-map-ready", "loading");
    new Picker(container, config).start();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
