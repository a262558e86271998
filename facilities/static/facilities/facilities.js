// The maps of the facility pages (facilities/_map.html): Leaflet over the offline country outlines
// (static/vendor/world, TopoJSON), with a tile server only when the settings name one. Everything the page
// tells this script is in the JSON script element "facility-map-config" (facilities.views.map_settings).
//
// On the list and detail pages the map shows the facilities; on the form it is also a picker: choosing a
// place fills in the latitude and longitude fields, and typing in them moves the marker.
//
// Runs under the strict CSP: no inline styles in markup, popups built as DOM nodes, never from data as HTML.
(function () {
  "use strict";

  var COLOURS = { functional: "#1e6b34", partly_functional: "#8a5a00", not_functional: "#8f1d1d" };

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function popup(properties, strings) {
    var box = document.createElement("div");
    var title = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = properties.name || "";
    title.appendChild(strong);
    box.appendChild(title);
    var facts = document.createElement("p");
    facts.textContent = [properties.type_label, properties.status_label, properties.admin1, properties.country]
      .filter(Boolean)
      .join(" · ");
    box.appendChild(facts);
    if (properties.url) {
      var line = document.createElement("p");
      var link = document.createElement("a");
      link.href = properties.url;
      link.textContent = format(strings.open, { name: properties.name || properties.number || "" });
      line.appendChild(link);
      box.appendChild(line);
    }
    return box;
  }

  function addOutlines(map, config) {
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { attribution: config.tileAttribution || "" }).addTo(map);
      return;
    }
    if (typeof topojson === "undefined") {
      return;
    }
    fetch(config.worldUrl, { credentials: "same-origin" })
      .then(function (response) {
        return response.json();
      })
      .then(function (world) {
        var land = topojson.feature(world, world.objects.countries);
        L.geoJSON(land, {
          interactive: false,
          style: function () {
            return { color: "#8a94a3", weight: 0.6, fillColor: "#f4f5f7", fillOpacity: 1 };
          },
        }).addTo(map);
        map.eachLayer(function (layer) {
          if (layer.bringToFront && layer.options && layer.options.facility) {
            layer.bringToFront();
          }
        });
      })
      .catch(function () {
        /* The outlines are decoration: the markers and the table remain. */
      });
  }

  function markerFor(feature, place) {
    var status = feature.properties && feature.properties.status;
    return L.circleMarker(place, {
      facility: true,
      radius: 7,
      color: "#ffffff",
      weight: 2,
      fillColor: COLOURS[status] || "#1d4f91",
      fillOpacity: 1,
    });
  }

  function start() {
    var container = document.getElementById("facility-map");
    var holder = document.getElementById("facility-map-config");
    if (!container || !holder) {
      return;
    }
    var config = JSON.parse(holder.textContent);
    var status = document.getElementById("facility-map-status");
    if (typeof L === "undefined") {
      container.setAttribute("data-map-ready", "failed");
      if (status) {
        status.textContent = config.strings.failed;
      }
      return;
    }
    L.Icon.Default.imagePath = config.imagePath;
    var map = L.map(container, { worldCopyJump: true, minZoom: 1 }).setView([20, 10], 2);
    addOutlines(map, config);
    var points = L.geoJSON(config.features, {
      pointToLayer: markerFor,
      onEachFeature: function (feature, layer) {
        var properties = feature.properties || {};
        if (properties.name) {
          layer.bindTooltip(String(properties.name));
        }
        layer.bindPopup(function () {
          return popup(properties, config.strings);
        });
      },
    }).addTo(map);
    var count = (config.features.features || []).length;
    if (count === 1) {
      map.setView(points.getBounds().getCenter(), 12);
    } else if (count > 1) {
      map.fitBounds(points.getBounds(), { padding: [24, 24], maxZoom: 12 });
    }
    if (config.picker) {
      startPicker(map, config, status);
    }
    container.setAttribute("data-map-ready", "yes");
  }

  function startPicker(map, config, status) {
    var latitude = document.getElementById("id_latitude");
    var longitude = document.getElementById("id_longitude");
    if (!latitude || !longitude) {
      return;
    }
    var marker = null;

    function place(lat, lng) {
      if (marker === null) {
        marker = L.marker([lat, lng], { keyboard: false }).addTo(map);
      } else {
        marker.setLatLng([lat, lng]);
      }
    }

    function fromFields() {
      var lat = parseFloat(String(latitude.value).replace(",", "."));
      var lng = parseFloat(String(longitude.value).replace(",", "."));
      if (isFinite(lat) && isFinite(lng) && Math.abs(lat) <= 90 && Math.abs(lng) <= 180) {
        place(lat, lng);
        return true;
      }
      return false;
    }

    if (fromFields()) {
      map.setView(marker.getLatLng(), Math.max(map.getZoom(), 12));
    }
    latitude.addEventListener("change", fromFields);
    longitude.addEventListener("change", fromFields);
    map.on("click", function (event) {
      var wrapped = event.latlng.wrap();
      var lat = wrapped.lat.toFixed(6);
      var lng = wrapped.lng.toFixed(6);
      latitude.value = lat;
      longitude.value = lng;
      place(wrapped.lat, wrapped.lng);
      if (status) {
        status.textContent = format(config.strings.picked, { latitude: lat, longitude: lng });
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
