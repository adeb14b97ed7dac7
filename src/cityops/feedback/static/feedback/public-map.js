/* The public map of published answers: markers from published.geojson, text set as text (never HTML). */
(function () {
  "use strict";
  function start() {
    var el = document.getElementById("public-map");
    if (!el || typeof window.L === "undefined" || !window.fetch) { return; }
    var b = (el.getAttribute("data-bbox") || "").split(",").map(Number);
    if (b.length !== 4 || b.some(isNaN)) { return; }
    var L = window.L;
    el.hidden = false;
    L.Icon.Default.imagePath = el.getAttribute("data-icons") || "";
    var bounds = L.latLngBounds([b[0], b[1]], [b[2], b[3]]);
    var map = L.map(el).fitBounds(bounds);
    var tiles = el.getAttribute("data-tiles");
    if (tiles) { L.tileLayer(tiles, { maxZoom: 19 }).addTo(map); }
    L.rectangle(bounds, { weight: 1, fill: false }).addTo(map);
    fetch(el.getAttribute("data-url"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (data) {
        (data.features || []).forEach(function (f) {
          var c = f.geometry.coordinates;
          var box = document.createElement("div");
          var title = document.createElement("strong");
          title.textContent = f.properties.category + " · " + f.properties.closed;
          var text = document.createElement("p");
          text.textContent = f.properties.description;
          var answer = document.createElement("p");
          answer.textContent = f.properties.answer;
          box.appendChild(title); box.appendChild(text); box.appendChild(answer);
          L.marker([c[1], c[0]]).bindPopup(box).addTo(map);
        });
      })
      .catch(function () { /* the list below still shows everything */ });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
