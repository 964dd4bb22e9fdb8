/* The overview's map: country outlines (world-atlas TopoJSON) as a GeoJSON layer, no tiles, and one
   marker per located facility from /map.geojson, grouped where facilities are too close to draw apart. */
(function () {
  "use strict";
  var box = document.getElementById("map");
  if (!box || !window.L) { return; }
  var map = L.map(box, { worldCopyJump: false, minZoom: 1, maxZoom: 12, zoomSnap: 0.5 });
  map.setView([30, 40], 2);
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("Outlines: Natural Earth (world-atlas)");

  // A facility's marker, built as an element: names and places from the data are set as attribute
  // values by the DOM, never pasted into markup.
  function markerLink(id, css, label) {
    var link = document.createElement("a");
    link.className = css;
    link.href = "/facilities/" + encodeURIComponent(id);
    link.setAttribute("data-facility-id", id);
    link.setAttribute("aria-label", label);
    link.title = label;
    return link;
  }
  function figure(props) {
    if (props.workers == null) { return "no worker figure"; }
    var n = Number(props.workers).toLocaleString("en");
    return (props.approximate ? "about " + n : n) + " workers";
  }

  function unwrap(geometry) {
    if (!geometry) { return; }
    var polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    polygons.forEach(function (polygon) {
      polygon.forEach(function (ring) {
        var east = ring.some(function (p) { return p[0] > 150; });
        var west = ring.some(function (p) { return p[0] < -150; });
        if (east && west) {
          ring.forEach(function (p) { if (p[0] < 0) { p[0] += 360; } });
        }
      });
    });
  }

  fetch(box.getAttribute("data-outlines")).then(function (r) { return r.json(); }).then(function (topo) {
    var countries = topojson.feature(topo, topo.objects.countries);
    // Antarctica has no facilities and cannot be drawn in Web Mercator; rings that cross the
    // antimeridian (Russia's far east, Fiji) go on past 180 degrees instead of across the whole map.
    countries.features = countries.features.filter(function (f) { return f.id !== "010"; });
    countries.features.forEach(function (f) { unwrap(f.geometry); });
    L.geoJSON(countries, {
      interactive: false,
      style: { color: "#9aa5b1", weight: 1, fillColor: "#f7f4ec", fillOpacity: 1 }
    }).addTo(map).bringToBack();
  }).catch(function () { box.setAttribute("data-outlines-failed", "true"); });

  fetch(box.getAttribute("data-source")).then(function (r) { return r.json(); }).then(function (data) {
    var largest = 0;
    data.features.forEach(function (f) { largest = Math.max(largest, f.properties.workers || 0); });
    var clusters = L.markerClusterGroup({ maxClusterRadius: 40, spiderfyOnMaxZoom: true, showCoverageOnHover: false, chunkedLoading: true });
    var markers = data.features.map(function (f) {
      var p = f.properties;
      var size = p.workers ? Math.round(2 * (6 + 22 * Math.sqrt(p.workers / largest))) : 12;
      var css = "lw-marker" + (p.approximate ? " approximate" : "") + (p.workers == null ? " unknown" : "");
      var label = p.name + ", " + [p.city, p.country].filter(Boolean).join(", ") + ": " + figure(p);
      var marker = L.marker([f.geometry.coordinates[1], f.geometry.coordinates[0]], {
        icon: L.divIcon({ className: "lw-marker-icon", html: markerLink(String(f.id), css, label), iconSize: [size, size] }),
        keyboard: false, title: "", alt: ""
      });
      marker.on("click", function () { window.location.href = "/facilities/" + encodeURIComponent(f.id); });
      return marker;
    });
    clusters.addLayers(markers);
    map.addLayer(clusters);
    if (markers.length) {
      map.fitBounds(L.featureGroup(markers).getBounds().pad(0.5), { maxZoom: 5 });
    }
    box.setAttribute("data-marker-count", String(markers.length));
    box.setAttribute("data-ready", "true");
    box.lwMarkers = markers;
    box.lwClusters = clusters;
  }).catch(function () { box.setAttribute("data-failed", "true"); });
})();
